"""#15 point 11: the system libraries Qt's xcb platform needs, found with ldd, and the one install line."""

from __future__ import annotations

import argparse
import ctypes
import os
import shutil
import subprocess
import sys
from pathlib import Path

import importlib.util

import pytest

from app import syslibs

_spec = importlib.util.spec_from_file_location("isoplay_bootstrap", Path(__file__).parents[2] / "bootstrap.py")
assert _spec is not None and _spec.loader is not None
bootstrap = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(bootstrap)

LDD = """\tlinux-vdso.so.1 (0x00007ffc)
\tlibQt6XcbQpa.so.6 => /venv/PySide6/Qt/lib/libQt6XcbQpa.so.6 (0x00007f77)
\tlibxcb-cursor.so.0 => /lib/x86_64-linux-gnu/libxcb-cursor.so.0 (0x00007f77)
\tlibxcb-icccm.so.4 => not found
\tlibxcb-keysyms.so.1 => not found
\tlibxcb-icccm.so.4 => not found
\tlibweird.so.9 => not found
"""


def test_missing_libraries_are_read_from_ldd_once_each_in_order() -> None:
    assert syslibs.missing_from_ldd(LDD) == ("libxcb-icccm.so.4", "libxcb-keysyms.so.1", "libweird.so.9")
    assert syslibs.missing_from_ldd("\tlibc.so.6 => /lib/libc.so.6 (0x1)\n") == ()


@pytest.mark.parametrize(("release", "family", "line"), [
    ('ID=debian\nVERSION_ID="12"\n', "debian", "apt-get install -y libxcb-icccm4 libxcb-keysyms1 libweird.so.9"),
    ('ID=ubuntu\nID_LIKE=debian\n', "debian", "apt-get install -y libxcb-icccm4 libxcb-keysyms1 libweird.so.9"),
    ('ID="fedora"\n', "fedora", "dnf install -y xcb-util-wm xcb-util-keysyms libweird.so.9"),
    ('ID=rocky\nID_LIKE="rhel centos fedora"\n', "fedora", "dnf install -y xcb-util-wm xcb-util-keysyms libweird.so.9"),
    ('ID=manjaro\nID_LIKE=arch\n', "arch", "pacman -S --needed xcb-util-wm xcb-util-keysyms libweird.so.9"),
    ('ID="opensuse-tumbleweed"\nID_LIKE="opensuse suse"\n', "suse",
     "zypper install -y libxcb-icccm4 libxcb-keysyms1 libweird.so.9"),
])
def test_one_install_line_for_the_distribution(release: str, family: str, line: str) -> None:
    missing = syslibs.Missing(syslibs.missing_from_ldd(LDD), syslibs.distribution_family(release))
    assert missing.family == family
    assert missing.install_line().endswith(line)
    assert missing.install_line().count("install") + missing.install_line().count("pacman") == 1
    report = syslibs.report(missing)
    assert "libxcb-icccm.so.4, libxcb-keysyms.so.1" in report and missing.install_line() in report


def test_an_unknown_distribution_names_the_libraries() -> None:
    missing = syslibs.Missing(("libxcb-icccm.so.4",), syslibs.distribution_family("ID=plan9\n"))
    assert missing.family is None
    assert missing.install_line() == "install the packages that provide: libxcb-icccm.so.4"


@pytest.mark.skipif(not sys.platform.startswith("linux") or shutil.which("ldd") is None, reason="Linux with ldd")
def test_the_check_on_the_real_qt_plugin_names_exactly_what_the_loader_cannot_load() -> None:
    plugin = syslibs.xcb_plugin()
    assert plugin is not None and plugin.name == "libqxcb.so"
    missing = syslibs.check(plugin)
    assert missing is not None
    linked = [line.split()[0] for line in subprocess.run(["ldd", str(plugin)], capture_output=True, text=True,
                                                         check=True).stdout.splitlines() if "=>" in line]
    for soname in linked:
        if soname.startswith("libQt6"):
            continue
        try:
            ctypes.CDLL(soname)
            loads = True
        except OSError:
            loads = False
        assert loads == (soname not in missing.sonames), soname
    for soname in missing.sonames:  # every missing one has a package name on Debian
        assert soname in syslibs.PACKAGES
    # bootstrap.py ide prints that report (and nothing when the platform isn't xcb)
    expected = syslibs.report(missing) if missing.sonames else None
    assert bootstrap.missing_qt_libraries({"DISPLAY": ":0"}) == expected
    assert bootstrap.missing_qt_libraries({"DISPLAY": ":0", "QT_QPA_PLATFORM": "offscreen"}) is None
    # without a display the IDE command itself says so and names the headless commands
    assert bootstrap.missing_qt_libraries({}) is None


def test_bootstrap_ide_without_a_display_names_the_headless_commands(monkeypatch: pytest.MonkeyPatch,
                                                                     capsys: pytest.CaptureFixture[str]) -> None:
    # Linux with Qt's xcb plugin lacking a library, on any machine: the library check speaks only where a
    # window could open; without a display the IDE command says so and names the headless commands.
    from app.commands import ide

    monkeypatch.setattr(sys, "platform", "linux")
    monkeypatch.setattr(syslibs, "xcb_plugin", lambda site=None: Path("libqxcb.so"))
    monkeypatch.setattr(syslibs, "check", lambda plugin, *a: syslibs.Missing(("libxcb-icccm.so.4",), "debian"))
    assert "libxcb-icccm4" in (bootstrap.missing_qt_libraries({"DISPLAY": ":0"}) or "")
    assert bootstrap.missing_qt_libraries({"WAYLAND_DISPLAY": "wayland-0"}) is not None
    assert bootstrap.missing_qt_libraries({}) is None
    for name in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM"):
        monkeypatch.delenv(name, raising=False)
    args = argparse.Namespace(dir=None, screenshot=None, request=None, debug_at=None, size=None, load=None, theme=None)
    assert ide.run(args) == 0
    out = capsys.readouterr().out
    assert "no display found" in out and "isoplay dev DIR" in out


def test_the_readme_lists_the_libraries() -> None:
    readme = (Path(bootstrap.ROOT) / "README.md").read_text(encoding="utf-8")
    assert syslibs.XCB_DEPS_README in readme
    assert all(name in syslibs.XCB_DEPS_README for name in ("libxcb-cursor0", "libxcb-icccm4", "libxcb-keysyms1"))
