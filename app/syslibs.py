"""The system libraries Qt's xcb platform plugin needs on Linux, which of them are missing, and the one
command that installs them on this distribution.

Standard library only: ``bootstrap.py ide`` imports this file before the virtualenv's packages can be
trusted to load, and ``isoplay ide`` uses it too. The check runs ``ldd`` on PySide6's ``libqxcb.so`` (which
lists the whole dependency closure, Qt's own libraries resolved through their RPATH), so it names exactly
what the dynamic loader would fail on — instead of Qt's first error, which names only one library and
sometimes one that is installed (``libxcb-cursor0`` is reported when ``libxcb-icccm4`` is missing).
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

PACKAGES: dict[str, dict[str, str]] = {
    # soname: {distribution family: package}
    "libxcb-cursor.so.0": {"debian": "libxcb-cursor0", "fedora": "xcb-util-cursor", "arch": "xcb-util-cursor",
                           "suse": "libxcb-cursor0"},
    "libxcb-icccm.so.4": {"debian": "libxcb-icccm4", "fedora": "xcb-util-wm", "arch": "xcb-util-wm",
                          "suse": "libxcb-icccm4"},
    "libxcb-keysyms.so.1": {"debian": "libxcb-keysyms1", "fedora": "xcb-util-keysyms", "arch": "xcb-util-keysyms",
                            "suse": "libxcb-keysyms1"},
    "libxcb-image.so.0": {"debian": "libxcb-image0", "fedora": "xcb-util-image", "arch": "xcb-util-image",
                          "suse": "libxcb-image0"},
    "libxcb-render-util.so.0": {"debian": "libxcb-render-util0", "fedora": "xcb-util-renderutil",
                                "arch": "xcb-util-renderutil", "suse": "libxcb-render-util0"},
    "libxcb-util.so.1": {"debian": "libxcb-util1", "fedora": "xcb-util", "arch": "xcb-util", "suse": "libxcb-util1"},
    "libxkbcommon-x11.so.0": {"debian": "libxkbcommon-x11-0", "fedora": "libxkbcommon-x11",
                              "arch": "libxkbcommon-x11", "suse": "libxkbcommon-x11-0"},
    "libxkbcommon.so.0": {"debian": "libxkbcommon0", "fedora": "libxkbcommon", "arch": "libxkbcommon",
                          "suse": "libxkbcommon0"},
    "libX11-xcb.so.1": {"debian": "libx11-xcb1", "fedora": "libX11-xcb", "arch": "libx11", "suse": "libX11-xcb1"},
    "libX11.so.6": {"debian": "libx11-6", "fedora": "libX11", "arch": "libx11", "suse": "libX11-6"},
    "libxcb.so.1": {"debian": "libxcb1", "fedora": "libxcb", "arch": "libxcb", "suse": "libxcb1"},
    "libfontconfig.so.1": {"debian": "libfontconfig1", "fedora": "fontconfig", "arch": "fontconfig",
                           "suse": "libfontconfig1"},
    "libfreetype.so.6": {"debian": "libfreetype6", "fedora": "freetype", "arch": "freetype2", "suse": "libfreetype6"},
    "libEGL.so.1": {"debian": "libegl1", "fedora": "libglvnd-egl", "arch": "libglvnd", "suse": "libEGL1"},
    "libGL.so.1": {"debian": "libgl1", "fedora": "libglvnd-glx", "arch": "libglvnd", "suse": "libGL1"},
    "libOpenGL.so.0": {"debian": "libopengl0", "fedora": "libglvnd-opengl", "arch": "libglvnd", "suse": "libOpenGL0"},
    "libGLX.so.0": {"debian": "libglx0", "fedora": "libglvnd-glx", "arch": "libglvnd", "suse": "libGLX0"},
    "libdbus-1.so.3": {"debian": "libdbus-1-3", "fedora": "dbus-libs", "arch": "dbus", "suse": "libdbus-1-3"},
    "libSM.so.6": {"debian": "libsm6", "fedora": "libSM", "arch": "libsm", "suse": "libSM6"},
    "libICE.so.6": {"debian": "libice6", "fedora": "libICE", "arch": "libice", "suse": "libICE6"},
}
for _soname, _family in (("libxcb-%s.so.%s" % pair, pair) for pair in (
        ("randr", "0"), ("shape", "0"), ("shm", "0"), ("sync", "1"), ("xfixes", "0"), ("render", "0"),
        ("xkb", "1"), ("xinerama", "0"), ("xinput", "0"), ("glx", "0"))):
    PACKAGES[_soname] = {"debian": f"libxcb-{_family[0]}{_family[1]}", "fedora": "libxcb", "arch": "libxcb",
                         "suse": f"libxcb-{_family[0]}{_family[1]}"}
INSTALL = {"debian": "sudo apt-get install -y", "fedora": "sudo dnf install -y", "arch": "sudo pacman -S --needed",
           "suse": "sudo zypper install -y"}
XCB_DEPS_README = ("libxcb-cursor0 libxcb-icccm4 libxcb-keysyms1 libxcb-image0 libxcb-render-util0 libxcb-xkb1 "
                   "libxkbcommon-x11-0 libxcb-randr0 libxcb-shape0 libxcb-xfixes0 libxcb-sync1 libxcb-shm0 "
                   "libx11-xcb1 libegl1 libfontconfig1 libdbus-1-3")
"""What the README's install line names (Debian/Ubuntu)."""
_NOT_FOUND = re.compile(r"^\s*(\S+)\s+=>\s+not found\s*$")


@dataclass(frozen=True)
class Missing:
    """The result of ``check``."""

    sonames: tuple[str, ...]
    """Libraries the loader cannot find, in ``ldd``'s order, each once."""
    family: str | None
    """The distribution family (``debian``, ``fedora``, ``arch``, ``suse``), None if unknown."""

    @property
    def packages(self) -> tuple[str, ...]:
        """The packages that provide them on this family (a soname without a known package stays as is)."""
        names: list[str] = []
        for soname in self.sonames:
            name = PACKAGES.get(soname, {}).get(self.family or "", soname)
            if name not in names:
                names.append(name)
        return tuple(names)

    def install_line(self) -> str:
        """The one command to run (for an unknown distribution: the library names to look for)."""
        if self.family in INSTALL:
            command = INSTALL[self.family]
            if hasattr(os, "geteuid") and os.geteuid() == 0:
                command = command.removeprefix("sudo ")
            return f"{command} {' '.join(self.packages)}"
        return "install the packages that provide: " + " ".join(self.sonames)


def missing_from_ldd(output: str) -> tuple[str, ...]:
    """The ``=> not found`` sonames of ``ldd`` output, each once, in order."""
    found: list[str] = []
    for line in output.splitlines():
        match = _NOT_FOUND.match(line)
        if match and match.group(1) not in found:
            found.append(match.group(1))
    return tuple(found)


def distribution_family(os_release: str) -> str | None:
    """The family from ``/etc/os-release`` text (``ID`` and ``ID_LIKE``)."""
    fields = dict(line.split("=", 1) for line in os_release.splitlines() if "=" in line)
    ids = " ".join(fields.get(key, "").strip().strip('"').lower() for key in ("ID", "ID_LIKE")).split()
    for family, names in (("debian", ("debian", "ubuntu")), ("fedora", ("fedora", "rhel", "centos")),
                          ("arch", ("arch",)), ("suse", ("suse", "opensuse"))):
        if any(i in names or any(i.startswith(n) for n in names) for i in ids):
            return family
    return None


def xcb_plugin(site_packages: Path | None = None) -> Path | None:
    """PySide6's xcb platform plugin (``libqxcb.so``), found without importing Qt."""
    roots = [site_packages] if site_packages is not None else [Path(p) for p in sys.path if p]
    for root in roots:
        plugin = root / "PySide6" / "Qt" / "plugins" / "platforms" / "libqxcb.so"
        if plugin.is_file():
            return plugin
    return None


def check(plugin: Path, os_release: Path = Path("/etc/os-release")) -> Missing | None:
    """What ``plugin`` lacks on this system (None if ``ldd`` is not available to ask)."""
    ldd = shutil.which("ldd")
    if ldd is None:
        return None
    proc = subprocess.run([ldd, str(plugin)], capture_output=True, text=True, check=False)
    release = os_release.read_text(encoding="utf-8", errors="replace") if os_release.is_file() else ""
    return Missing(missing_from_ldd(proc.stdout), distribution_family(release))


def report(missing: Missing) -> str:
    """The message ``bootstrap.py ide`` prints when libraries are missing."""
    return ("Qt's xcb platform (the IDE's window on X11) needs system libraries that are missing: "
            f"{', '.join(missing.sonames)}.\nInstall them with:\n\n    {missing.install_line()}\n")
