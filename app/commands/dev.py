"""``isoplay dev DIR [--port 8787] [--host 127.0.0.1]``: local server with hot reload."""

from __future__ import annotations

import argparse
import asyncio
import signal
import sys
from pathlib import Path

from runtime.devserver import DevServer, make_socket, serve, terminal_logger
from runtime.gcpolicy import tune_for_serving
from runtime.service import ProjectRuntime
from app.commands._env import add_env_argument, show_config_warnings


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Add the ``dev`` command."""
    p = sub.add_parser("dev", help="serve a project locally with hot reload")
    p.add_argument("dir", type=Path, nargs="?", default=Path("."))
    add_env_argument(p)
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=8787)
    p.add_argument("--no-watch", action="store_true", help="do not reload on save")
    p.add_argument("--no-cron", action="store_true", help="do not run the manifest's cron schedules")
    p.set_defaults(handler=run)


async def _main(args: argparse.Namespace) -> int:
    on_logs, on_build = terminal_logger()
    runtime = ProjectRuntime(args.dir, on_logs=on_logs, on_build=on_build, run_crons=not args.no_cron)
    try:
        sock = make_socket(args.host, args.port)
    except OSError as exc:
        print(f"isoplay: cannot listen on {args.host}:{args.port}: {exc.strerror}", file=sys.stderr)
        return 1
    host, port = sock.getsockname()[:2]
    print(f"isoplay dev: serving {runtime.project.root.name} at http://{host}:{port}/  "
          f"(admin: /__isoplay/health, /__isoplay/metrics; Ctrl+C to stop)", file=sys.stderr)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        try:
            loop.add_signal_handler(sig, stop.set)
        except NotImplementedError:  # Windows: Ctrl+C raises KeyboardInterrupt instead
            pass
    started = asyncio.Event()
    tuner = loop.create_task(_tune_gc_once(started))
    try:
        await serve(DevServer(runtime, watch=not args.no_watch), sock, started=started, stop=stop)
    finally:
        tuner.cancel()
    return 0


async def _tune_gc_once(started: asyncio.Event) -> None:
    await started.wait()
    tune_for_serving()


def run(args: argparse.Namespace) -> int:
    """Serve until interrupted."""
    show_config_warnings(args.dir)
    try:
        import uvloop

        return uvloop.run(_main(args))
    except ImportError:
        return asyncio.run(_main(args))
