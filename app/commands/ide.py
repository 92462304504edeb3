"""``isoplay ide [DIR] [--screenshot FILE.png [--request 'GET /path'] [--debug-at FILE:LINE]]``: open the IDE
(``isoplay`` with no command does too).

On Linux without a display (no DISPLAY / WAYLAND_DISPLAY and no
QT_QPA_PLATFORM), it says so, names the headless commands and exits 0.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

SCREENSHOT_TIMEOUT_MS = 30_000
NO_DISPLAY = """isoplay: no display found (DISPLAY and WAYLAND_DISPLAY are not set), so the IDE cannot open.

Headless commands:
  isoplay new DIR --template hello|kv|cron|router   create a project
  isoplay run DIR --request 'GET /'                 run one request, cron, event or one-off
  isoplay dev DIR                                   serve it locally with hot reload
  isoplay bundle DIR                                build the bundle
  isoplay check DIR                                 type-check it
  QT_QPA_PLATFORM=offscreen isoplay ide DIR --screenshot out.png
                                                    render the IDE offscreen to a PNG"""


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Add the ``ide`` command."""
    p = sub.add_parser("ide", help="open the IDE (the default command)")
    p.add_argument("dir", type=Path, nargs="?", help="project folder to open (default: the last one)")
    p.add_argument("--screenshot", type=Path, metavar="FILE.png",
                   help="open DIR, wait for diagnostics and one request, save a capture of the window, exit")
    p.add_argument("--request", metavar="'METHOD /path'",
                   help="with --screenshot: the simulator request to send (default: GET /)")
    p.add_argument("--debug-at", metavar="FILE:LINE",
                   help="with --screenshot: set a breakpoint there, debug the request (F5) and capture the paused IDE")
    p.add_argument("--theme", choices=("light", "dark"), help="use this theme (and remember it)")
    p.add_argument("--size", metavar="WxH", help="with --screenshot: the window size (default 1480x900)")
    p.add_argument("--load", type=float, metavar="SECONDS",
                   help="with --screenshot: run a load run of the request for SECONDS and capture the Profiler "
                        "while it runs")
    p.add_argument("--chart", choices=("heap", "latency", "throughput", "queue", "pool"), default="latency",
                   help="with --load: the Profiler chart to show")
    p.set_defaults(handler=run)


def parse_debug_at(text: str) -> tuple[str, int]:
    """``src/index.ts:12`` -> (project-relative file, 1-based line).

    Raises:
        ValueError: not FILE:LINE with a positive line.
    """
    file, _sep, line = text.rpartition(":")
    if not file or not line.isdigit() or int(line) < 1:
        raise ValueError(f"--debug-at: expected FILE:LINE (e.g. src/index.ts:12), got {text!r}")
    return file.replace("\\", "/"), int(line)


def parse_size(text: str) -> tuple[int, int]:
    """``1600x1000`` -> (1600, 1000).

    Raises:
        ValueError: not WxH with sizes from 320 to 10000.
    """
    width, _sep, height = text.lower().partition("x")
    if not (width.isdigit() and height.isdigit() and 320 <= int(width) <= 10_000 and 240 <= int(height) <= 10_000):
        raise ValueError(f"--size: expected WxH (e.g. 1600x1000), got {text!r}")
    return int(width), int(height)


def parse_request(text: str) -> tuple[str, str]:
    """``'GET /count'`` -> (method, path).

    Raises:
        ValueError: not 'METHOD /path'.
    """
    parts = text.split()
    if len(parts) != 2 or not parts[0].isalpha():
        raise ValueError(f"--request: expected 'METHOD /path', got {text!r}")
    return parts[0].upper(), parts[1]


def has_display(screenshot: bool) -> bool:
    """Whether Qt can open a window here (offscreen counts when a screenshot is asked for)."""
    if not sys.platform.startswith("linux"):
        return True
    if os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"):
        return True
    platform = os.environ.get("QT_QPA_PLATFORM", "")
    return bool(platform) and (screenshot or platform not in ("offscreen", "minimal"))


def run(args: argparse.Namespace) -> int:
    """Open the window and run the event loop until it closes."""
    if args.screenshot is None and (args.request or args.debug_at or args.size or args.load):
        print("isoplay: --request, --debug-at, --size and --load only go with --screenshot", file=sys.stderr)
        return 1
    if not has_display(args.screenshot is not None):
        print(NO_DISPLAY)
        return 0
    if args.screenshot is not None and args.dir is None:
        print("isoplay: --screenshot needs a project folder: isoplay ide DIR --screenshot out.png", file=sys.stderr)
        return 1
    try:
        request = parse_request(args.request) if args.request else None
        debug_at = parse_debug_at(args.debug_at) if args.debug_at else None
        size = parse_size(args.size) if args.size else None
        if args.load is not None and not 0 < args.load <= 600:
            raise ValueError(f"--load: expected seconds from 0 to 600, got {args.load:g}")
    except ValueError as exc:
        print(f"isoplay: {exc}", file=sys.stderr)
        return 1
    from app.main import run_ide

    return run_ide(args.dir, args.screenshot, args.theme, request=request, debug_at=debug_at, size=size,
                   load=(args.load, args.chart) if args.load else None)
