"""The self-contained desktop build: build it, then run the packaged executable offline.

Slow (a PyInstaller build, ~1 min), so it only runs on demand::

    ISOPLAY_TEST_PACKAGING=1 pytest -m packaging tests/packaging

``ISOPLAY_PACKAGE_DIR=dist/isoplay`` tests an existing build instead of making a
fresh one. Every packaged command runs with HOME (and the XDG folders) in a
temporary folder, so no user cache or installed toolchain is used, with the npm
registry pointed at an unreachable port, without ISOPLAY_TOOLCHAIN_DIR, and with
a PATH holding no Python -- so a pass proves the build carries its own Python,
V8, Qt, esbuild and TypeScript.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

pytestmark = [
    pytest.mark.packaging,
    pytest.mark.timeout(900),
    pytest.mark.skipif(os.environ.get("ISOPLAY_TEST_PACKAGING") != "1",
                       reason="builds the desktop package; set ISOPLAY_TEST_PACKAGING=1 to run"),
    pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the packaging scripts target Linux"),
]


@pytest.fixture(scope="module")
def package(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The one-folder build (dist/isoplay/): built fresh into a temp folder unless ISOPLAY_PACKAGE_DIR names one."""
    given = os.environ.get("ISOPLAY_PACKAGE_DIR")
    if given:
        return Path(given).resolve()
    out = tmp_path_factory.mktemp("package")
    proc = subprocess.run([str(ROOT / "packaging" / "build"), "--python", sys.executable,
                           "--dist", str(out / "dist"), "--work", str(out / "work")],
                          capture_output=True, text=True, timeout=850, cwd=ROOT)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    return out / "dist" / "isoplay"


@pytest.fixture
def offline_env(tmp_path: Path) -> dict[str, str]:
    """An environment with a fresh HOME, no toolchain override, no Python on PATH, no reachable registry."""
    home = tmp_path / "home"
    home.mkdir()
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("ISOPLAY_", "XDG_", "PYTHON", "VIRTUAL_ENV", "NODE", "npm_", "NPM_", "QT_",
                                "ESBUILD_"))}
    env.update(HOME=str(home), PATH="/usr/bin:/bin", QT_QPA_PLATFORM="offscreen",
               npm_config_registry="http://127.0.0.1:9/", NPM_CONFIG_REGISTRY="http://127.0.0.1:9/",
               npm_config_offline="true")
    return env


def isoplay(package: Path, env: dict[str, str], *args: str, cwd: Path, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(package / "isoplay"), *args], capture_output=True, text=True, env=env, cwd=cwd,
                          timeout=timeout)


def test_layout(package: Path) -> None:
    internal = package / "_internal"
    for rel in ("resources/templates/hello/isoplay.toml", "resources/types/isoplay.d.ts",
                "resources/prelude/src/index.ts", "resources/icons/isoplay.svg", "resources/icons/png/isoplay-256.png",
                "py_mini_racer/libmini_racer.so", "py_mini_racer/icudtl.dat", "debugger/agent/agent.ts",
                "PySide6/Qt/plugins/platforms/libqoffscreen.so", "PySide6/Qt/plugins/platforms/libqxcb.so",
                "toolchain/node_modules/@esbuild", "toolchain/node_modules/@typescript"):
        assert (internal / rel).exists(), rel
    assert list((internal / "PySide6/Qt/plugins/imageformats").glob("*.so"))
    assert list((internal / "lexilla").glob("_lexilla*.so"))
    assert (package / "share" / "isoplay.desktop").is_file() and os.access(package / "install-linux", os.X_OK)


def test_version_names_the_bundled_engines(package: Path, offline_env: dict[str, str], tmp_path: Path) -> None:
    pins = json.loads((ROOT / "resources" / "toolchain" / "package.json").read_text())["dependencies"]
    proc = isoplay(package, offline_env, "--version", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    assert lines[0].startswith("isoplay ") and lines[1].startswith("V8 ")
    assert lines[2] == f"esbuild {pins['esbuild']}"
    assert lines[3].startswith("TypeScript 7.") and "not installed" not in proc.stdout


def test_commands_are_all_there(package: Path, offline_env: dict[str, str], tmp_path: Path) -> None:
    proc = isoplay(package, offline_env, "--help", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    expected = {p.stem for p in (ROOT / "app" / "commands").glob("*.py") if p.stem != "__init__"}
    missing = {name for name in expected if f"    {name}" not in proc.stdout}
    assert not missing, proc.stdout


def test_new_run_check_bundle_debug_offline(package: Path, offline_env: dict[str, str], tmp_path: Path) -> None:
    project = tmp_path / "proj"
    assert isoplay(package, offline_env, "new", str(project), "--template", "hello", cwd=tmp_path).returncode == 0

    proc = isoplay(package, offline_env, "run", str(project), "--request", "GET /?name=pkg", "--json", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    result = json.loads(proc.stdout)
    assert result["status"] == 200 and result["body"] == "Hello, pkg!\n", result

    proc = isoplay(package, offline_env, "check", str(project), cwd=tmp_path)
    assert proc.returncode == 0, proc.stdout + proc.stderr

    proc = isoplay(package, offline_env, "bundle", str(project), "-o", str(tmp_path / "out"), cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert list((tmp_path / "out").glob("*.js"))

    # The debugger runs its worker as `sys.executable -m debugger.worker`: the runtime hook serves that.
    script = tmp_path / "cmds.txt"
    script.write_text("p name\nc\n")
    proc = isoplay(package, offline_env, "debug", str(project), "--break", "src/index.ts:7", "--script", str(script),
                   "--json", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    events = [json.loads(line) for line in proc.stdout.splitlines() if line.startswith("{")]
    assert events[0]["event"] == "paused" and events[0]["line"] == 7
    assert any(e["event"] == "value" and e["value"] == '"world"' for e in events)
    assert events[-1]["event"] == "exited" and events[-1]["status"] == "ok"

    # Nothing was installed into the (fresh) user cache: only the built prelude lands there.
    cache = Path(offline_env["HOME"]) / ".cache" / "isoplay"
    assert not (cache / "toolchain").exists()


def test_ide_screenshot_offscreen_from_a_folder_argument(package: Path, offline_env: dict[str, str],
                                                         tmp_path: Path) -> None:
    project = tmp_path / "proj"
    assert isoplay(package, offline_env, "new", str(project), "--template", "hello", cwd=tmp_path).returncode == 0
    shot = tmp_path / "ide.png"
    # `isoplay DIR` (what the .desktop entry runs) opens DIR in the IDE.
    proc = isoplay(package, offline_env, str(project), "--screenshot", str(shot), cwd=tmp_path, timeout=180)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert shot.is_file() and shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert "timed out" not in proc.stderr, proc.stderr


def test_install_linux_puts_entry_and_icons_in_place(package: Path, tmp_path: Path) -> None:
    home = tmp_path / "home"
    env = {k: v for k, v in os.environ.items() if not k.startswith("XDG_")}
    env["HOME"] = str(home)
    proc = subprocess.run([str(package / "install-linux")], capture_output=True, text=True, env=env, timeout=300)
    assert proc.returncode == 0, proc.stderr
    share = home / ".local" / "share"
    desktop = (share / "applications" / "isoplay.desktop").read_text()
    exe = share / "isoplay" / "app" / "isoplay"
    assert f'Exec="{exe}" %f' in desktop and "Icon=isoplay" in desktop
    for size in (16, 32, 48, 128, 256, 512):
        assert (share / "icons" / "hicolor" / f"{size}x{size}" / "apps" / "isoplay.png").is_file()
    assert (share / "icons" / "hicolor" / "scalable" / "apps" / "isoplay.svg").is_file()
    link = home / ".local" / "bin" / "isoplay"
    proc = subprocess.run([str(link), "--version"], capture_output=True, text=True, env=env, timeout=60)
    assert proc.returncode == 0 and proc.stdout.startswith("isoplay "), proc.stderr
    proc = subprocess.run([str(package / "install-linux"), "--uninstall"], capture_output=True, text=True, env=env,
                          timeout=60)
    assert proc.returncode == 0 and not exe.exists() and not link.exists()
