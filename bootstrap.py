#!/usr/bin/env python3
"""Set up isoplay from a fresh checkout, then start the IDE or run the tests.

    python3 bootstrap.py ide [DIR]     set up, check the system libraries Qt's X11 platform needs (and print
                                       the one install line for this distribution if some are missing),
                                       then open the IDE (or say how to work headless)
    python3 bootstrap.py test [ARGS]   set up, then run the test suite (pytest ARGS)

Needs only Python 3.11+. It creates .venv, installs isoplay with its dev extra
(re-installing when pyproject.toml changes), installs the pinned JS toolchain
(esbuild, TypeScript 7) into the per-user cache, and runs the command.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")
PY = BIN / ("python.exe" if os.name == "nt" else "python")
STAMP = VENV / ".isoplay-installed"


def say(msg: str) -> None:
    """Print a progress line."""
    print(f"bootstrap: {msg}", flush=True)


def ensure_venv() -> None:
    """Create the virtualenv and install isoplay into it when needed."""
    if sys.version_info < (3, 11):
        sys.exit(f"bootstrap: isoplay needs Python 3.11 or newer (this is {sys.version.split()[0]})")
    if not PY.exists():
        say(f"creating {VENV}")
        venv.EnvBuilder(with_pip=True, clear=True).create(VENV)
    digest = hashlib.sha256((ROOT / "pyproject.toml").read_bytes()).hexdigest()
    if STAMP.exists() and STAMP.read_text().strip() == digest:
        return
    say("installing isoplay and its dependencies (first run takes a minute)")
    pip = [str(PY), "-m", "pip", "--disable-pip-version-check", "-q"]
    subprocess.run([*pip, "install", "--upgrade", "pip"], check=True)
    subprocess.run([*pip, "install", "-e", f"{ROOT}[dev]"], check=True, cwd=ROOT)
    STAMP.write_text(digest)


def ensure_toolchain() -> None:
    """Install the pinned esbuild + TypeScript 7 into the user cache (once)."""
    code = "from runtime import toolchain; t = toolchain.ensure(print); print('toolchain:', t.versions())"
    proc = subprocess.run([str(PY), "-c", code], cwd=ROOT)
    if proc.returncode != 0:
        sys.exit("bootstrap: the JS toolchain could not be installed (see the message above)")


def missing_qt_libraries(env: dict[str, str]) -> str | None:
    """On Linux with the xcb platform and a display: the message naming the missing system libraries,
    else None. Without a display (no DISPLAY or WAYLAND_DISPLAY) no window can open whatever is
    installed, so ``isoplay ide`` says that and names the headless commands instead."""
    if not sys.platform.startswith("linux") or env.get("QT_QPA_PLATFORM", "xcb").split(":")[0] != "xcb":
        return None
    if not env.get("DISPLAY") and not env.get("WAYLAND_DISPLAY"):
        return None
    sys.path.insert(0, str(ROOT))
    from app import syslibs  # standard library only

    plugin = next((found for site in sorted(VENV.glob("lib/python3*/site-packages"))
                   if (found := syslibs.xcb_plugin(site)) is not None), None)
    plugin = plugin or syslibs.xcb_plugin()  # (a PySide6 on this Python's path, e.g. when run from the venv)
    missing = syslibs.check(plugin) if plugin is not None else None
    return syslibs.report(missing) if missing is not None and missing.sonames else None


def main(argv: list[str]) -> int:
    """Dispatch ``ide`` or ``test``."""
    command = argv[0] if argv else "ide"
    if command not in {"ide", "test"}:
        print(__doc__)
        return 2
    ensure_venv()
    ensure_toolchain()
    env = dict(os.environ)
    if command == "test":
        env.setdefault("QT_QPA_PLATFORM", "offscreen")
        return subprocess.run([str(PY), "-m", "pytest", *argv[1:]], cwd=ROOT, env=env).returncode
    problem = missing_qt_libraries(env)
    if problem is not None:
        print(f"bootstrap: {problem}", file=sys.stderr)
        return 1
    return subprocess.run([str(BIN / "isoplay"), "ide", *argv[1:]], cwd=ROOT, env=env).returncode


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
