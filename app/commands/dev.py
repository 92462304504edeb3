"""``isoplay dev DIR [--port 8787] [--host 127.0.0.1] [--workers N]``: local server with hot reload.

With ``--workers N`` (N > 1) the supervisor of ``isoplay serve --workers`` runs N
processes on the one port, each a complete dev server: it builds the project,
watches it and reloads on save by itself (so a save costs N builds), and all of
them share ``.isoplay/kv.sqlite3`` and ``cache.sqlite3`` (SQLite in WAL mode).
Crons run in worker 0 only; build reports are printed by worker 0 only, request
logs by whichever worker served the request. A worker that dies is restarted.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from typing import TYPE_CHECKING

from app.commands._env import add_env_argument, show_config_warnings

if TYPE_CHECKING:
    import asyncio

    from runtime.service import BuildReport

# The server's modules are imported by ``run`` once it has started the first esbuild run
# (runtime.bundler.start_early): the two then overlap instead of adding up.


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Add the ``dev`` command."""
    p = sub.add_parser("dev", help="serve a project locally with hot reload")
    p.add_argument("dir", type=Path, nargs="?", default=Path("."))
    add_env_argument(p)
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=8787)
    p.add_argument("--no-watch", action="store_true", help="do not reload on save")
    p.add_argument("--no-cron", action="store_true", help="do not run the manifest's cron schedules")
    p.add_argument("--workers", type=int, default=1, metavar="N",
                   help="processes serving the port, each building and reloading the project itself, under a "
                        "supervisor that restarts them (default: 1, this process)")
    p.add_argument("--worker", nargs=4, type=int, default=None, help=argparse.SUPPRESS,
                   metavar=("INDEX", "LISTEN_FD", "LIFE_FD", "READY_FD"))
    p.set_defaults(handler=run)


POLL_ENV = "ISOPLAY_DEV_POLL_US"
"""Microseconds ``isoplay dev`` polls for a crossing's result and, after an answer, for the next request
before it sleeps (at most 5000). See ``runtime.engine.poll_for_results`` and ``HttpFront.poll_briefly``:
a sequential client's next step then need not wake a sleeping thread. Off (0) by default until it is
measured on a quiet machine (README, Decisions): on the busy machine it was neutral within the noise."""


def _poll_seconds() -> float:
    try:
        return max(0.0, min(float(os.environ.get(POLL_ENV, "0")), 5000.0)) / 1e6
    except ValueError:
        return 0.0


async def _main(args: argparse.Namespace) -> int:
    import asyncio
    import signal
    import socket

    from runtime.devserver import DevServer, make_socket, serve, terminal_logger
    from runtime.engine import poll_for_results
    from runtime.service import ProjectRuntime

    on_logs, on_build = terminal_logger()
    role = args.worker
    if role is not None and role[0] != 0:
        on_build = _quiet  # worker 0 reports builds; the others build silently
    runtime = ProjectRuntime(args.dir, on_logs=on_logs, on_build=on_build,
                             run_crons=not args.no_cron and (role is None or role[0] == 0))
    if role is not None:
        sock = socket.socket(fileno=role[1])
        sock.setblocking(False)
    else:
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
    if role is not None:
        from runtime.cluster.supervisor import watch_parent

        watch_parent(role[2], stop.set)
    for sig in (signal.SIGINT, signal.SIGTERM):
        try:
            loop.add_signal_handler(sig, stop.set)
        except NotImplementedError:  # Windows: Ctrl+C raises KeyboardInterrupt instead
            pass
    started = asyncio.Event()
    tuner = loop.create_task(_tune_gc_once(started, role))
    try:
        poll = _poll_seconds()
        poll_for_results(poll)
        await serve(DevServer(runtime, watch=not args.no_watch), sock, started=started, stop=stop,
                    poll_after_answer_s=poll)
    finally:
        tuner.cancel()
    return 0


def _quiet(report: BuildReport) -> None:
    """A build reporter that says nothing."""


async def _tune_gc_once(started: asyncio.Event, role: list[int] | None) -> None:
    from runtime.gcpolicy import tune_for_serving

    await started.wait()
    tune_for_serving()
    if role is not None:
        from runtime.cluster.supervisor import report_ready

        report_ready(role[3], role[0])


def _supervise(args: argparse.Namespace) -> int:
    from runtime.cluster.supervisor import Supervisor
    from runtime.devserver import make_socket

    from app.commands.serve import _worker_argv

    try:
        sock = make_socket(args.host, args.port)
    except OSError as exc:
        print(f"isoplay: cannot listen on {args.host}:{args.port}: {exc.strerror}", file=sys.stderr)
        return 1
    supervisor = Supervisor(sock, args.workers, _worker_argv(list(getattr(args, "argv", None) or sys.argv[1:])))
    try:
        supervisor.start()
    except RuntimeError as exc:
        print(f"isoplay dev: {exc}", file=sys.stderr)
        return 1
    host, port = sock.getsockname()[:2]
    print(f"isoplay dev: serving {args.dir.resolve().name} at http://{host}:{port}/  ({args.workers} workers, pids "
          f"{' '.join(str(p) for p in supervisor.statistics().pids)}; admin: /__isoplay/health; Ctrl+C to stop)",
          file=sys.stderr)
    return supervisor.run()


def run(args: argparse.Namespace) -> int:
    """Serve until interrupted (alone, as a supervisor of ``--workers``, or as one of its workers)."""
    if args.workers < 1 or args.workers > 64:
        print(f"isoplay: --workers must be between 1 and 64 (got {args.workers})", file=sys.stderr)
        return 1
    supervising = args.worker is None and args.workers > 1 and hasattr(os, "fork")
    if not supervising:
        from runtime.bundler import start_early

        start_early(args.dir)  # esbuild works while the server's modules import (see _main)
    if args.worker is None:
        show_config_warnings(args.dir)
    if supervising:
        return _supervise(args)
    try:
        import uvloop

        return uvloop.run(_main(args))
    except ImportError:
        import asyncio

        return asyncio.run(_main(args))
