"""Shared by the tests that hold a real esbuild mid-build on a FIFO import (bundler, reload, IDE)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

needs_fifo = pytest.mark.skipif(not hasattr(os, "mkfifo") or not Path("/proc").is_dir(),
                                reason="needs mkfifo (a build held on a FIFO) and /proc (to see esbuild)")
"""Skips where there is no mkfifo or /proc (Windows, macOS); CI runs on Linux, where they run and can fail."""


def esbuild_children() -> dict[int, str]:
    """pid -> state letter of this process's esbuild children (Z: zombie, i.e. not reaped)."""
    children: dict[int, str] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        name = stat[stat.index("(") + 1 : stat.rindex(")")]
        state, ppid = stat[stat.rindex(")") + 2 :].split()[:2]
        if int(ppid) == os.getpid() and name.startswith("esbuild"):
            children[int(entry.name)] = state
    return children
