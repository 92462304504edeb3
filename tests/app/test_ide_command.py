"""``isoplay ide`` as a user runs it: the no-display message, and --screenshot offscreen."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from runtime.project import new_project


def isoplay(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "app", *args], capture_output=True, text=True, env=env, timeout=90)


def test_without_a_display_it_names_the_headless_commands(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM")}
    if not sys.platform.startswith("linux"):
        return
    done = isoplay([], env)
    assert done.returncode == 0, done.stderr
    assert "no display" in done.stdout and "isoplay run DIR" in done.stdout and "--screenshot" in done.stdout
    assert "Traceback" not in done.stderr


def test_screenshot_captures_the_window_offscreen(tmp_path: Path, tools: Any) -> None:
    root = tmp_path / "shot"
    new_project(root, "hello", "shot")
    png = tmp_path / "ide.png"
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    done = isoplay(["ide", str(root), "--screenshot", str(png)], env)
    assert done.returncode == 0, done.stderr
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert "timed out" not in done.stderr and "Traceback" not in done.stderr


def test_screenshot_of_a_folder_that_is_not_a_project_fails_cleanly(tmp_path: Path) -> None:
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    done = isoplay(["ide", str(tmp_path), "--screenshot", str(tmp_path / "x.png")], env)
    assert done.returncode == 1 and "not an isoplay project" in done.stderr and "Traceback" not in done.stderr


def test_debug_screenshot_pauses_at_the_breakpoint_before_capturing(tmp_path: Path, tools: Any) -> None:
    root = tmp_path / "kv"
    new_project(root, "kv", "kv")
    png = tmp_path / "ide-debug.png"
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    done = isoplay(["ide", str(root), "--screenshot", str(png), "--request", "GET /count",
                    "--debug-at", "src/index.ts:8"], env)
    assert done.returncode == 0, done.stderr
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert "timed out" not in done.stderr and "Traceback" not in done.stderr  # it paused and loaded the frame
    breakpoints = json.loads((root / ".isoplay" / "breakpoints.json").read_text(encoding="utf-8"))["breakpoints"]
    assert [(b["file"], b["line"]) for b in breakpoints] == [("src/index.ts", 8)]


def test_debug_screenshot_options_are_checked(tmp_path: Path) -> None:
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    done = isoplay(["ide", str(tmp_path), "--screenshot", str(tmp_path / "x.png"), "--debug-at", "index.ts"], env)
    assert done.returncode == 1 and "expected FILE:LINE" in done.stderr and "Traceback" not in done.stderr
    done = isoplay(["ide", str(tmp_path), "--debug-at", "src/index.ts:3"], env)
    assert done.returncode == 1 and "only go with --screenshot" in done.stderr
