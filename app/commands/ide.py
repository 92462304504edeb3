"""``isoplay ide [DIR] [--screenshot FILE.png]``: open the IDE (``isoplay`` with no command does too).

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
    p.add_argument("--theme", choices=("light", "dark"), help="use this theme (and remember it)")
    p.set_defaults(handler=run)


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
    if not has_display(args.screenshot is not None):
        print(NO_DISPLAY)
        return 0
    if args.screenshot is not None and args.dir is None:
        print("isoplay: --screenshot needs a project folder: isoplay ide DIR --screenshot out.png", file=sys.stderr)
        return 1
    from app.main import run_ide

    return run_ide(args.dir, args.screenshot, args.theme)
