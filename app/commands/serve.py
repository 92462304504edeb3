"""``isoplay serve``: the server runtime (deploy API + deployed apps), and its token management."""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
import socket
import sys
from collections.abc import Callable, Coroutine
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from runtime.httpfront import FrontLimits
from runtime.store import open_store, store_spec
from runtime.server.config import DEFAULT_MAX_BUNDLE_BYTES, DEFAULT_PORT, MIB, ServerConfig


def default_data_dir() -> Path:
    """Where ``isoplay serve`` keeps its data without ``--data``."""
    import platformdirs

    return platformdirs.user_data_path("isoplay") / "server"


def default_workers() -> int:
    """One worker per core (the cores this process may run on)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # macOS, Windows
        return max(1, os.cpu_count() or 1)


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Add the ``serve`` command."""
    p = sub.add_parser("serve", help="run the deploy server (apps at /{app}/, API at /api/)")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=DEFAULT_PORT)
    p.add_argument("--data", type=Path, default=None, metavar="DIR",
                   help=f"data folder: registry, bundles, KV (default: {default_data_dir()})")
    tokens = p.add_mutually_exclusive_group()
    tokens.add_argument("--create-token", metavar="NAME",
                        help="create an admin API token (all apps), print it once, and exit; "
                             "`isoplay tokens create` makes scoped ones")
    tokens.add_argument("--revoke-token", metavar="NAME", help="revoke an API token and exit (as `isoplay tokens revoke`)")
    tokens.add_argument("--list-tokens", action="store_true", help="list tokens and exit (as `isoplay tokens list`)")
    p.add_argument("--max-bundle-mb", type=float, default=DEFAULT_MAX_BUNDLE_BYTES / MIB, metavar="N",
                   help="largest upload accepted (default: 10)")
    p.add_argument("--dev-errors", action="store_true", help="answer script errors with their TypeScript stack")
    p.add_argument("--public-metrics", action="store_true",
                   help="answer /metrics without a token (by default it needs a metrics or admin token: "
                        "it names every app)")
    p.add_argument("--fetch-allow-private", action="store_true",
                   help="let scripts fetch private addresses (10/8, 172.16/12, 192.168/16, fc00::/7); "
                        "loopback and link-local stay refused")
    p.add_argument("--fetch-allow-loopback", action="store_true",
                   help="let scripts fetch this machine (127.0.0.0/8, ::1): for trying a server against local "
                        "services, never on a shared host")
    p.add_argument("--no-record", dest="record", action="store_false",
                   help="keep no recordings, whatever the apps' [recordings] policies say")
    limits = FrontLimits()
    p.add_argument("--max-url-bytes", type=int, default=limits.max_url_bytes, metavar="N",
                   help=f"longest request target; 414 beyond (default: {limits.max_url_bytes})")
    p.add_argument("--max-header-bytes", type=int, default=limits.max_header_bytes, metavar="N",
                   help=f"most bytes of request header names and values; 431 beyond (default: {limits.max_header_bytes})")
    p.add_argument("--max-headers", type=int, default=limits.max_headers, metavar="N",
                   help=f"most request header lines; 431 beyond (default: {limits.max_headers})")
    p.add_argument("--store", default=None, metavar="URL",
                   help="postgresql://... to keep apps, bundles, tokens and KV in PostgreSQL, shared by every node "
                        "(default: $ISOPLAY_STORE, else SQLite files in --data)")
    p.add_argument("--migrate", action="store_true",
                   help="create or upgrade the --store database's schema, then exit")
    p.add_argument("--workers", type=int, default=None, metavar="N",
                   help="worker processes sharing the port, under a supervisor that restarts them "
                        f"(default: one per core, here {default_workers()}; 1 serves from this process)")
    p.add_argument("--worker", nargs=4, type=int, default=None, help=argparse.SUPPRESS,
                   metavar=("INDEX", "LISTEN_FD", "LIFE_FD", "READY_FD"))
    p.set_defaults(handler=run)


def migration_notice(storage: object) -> str:
    """What to tell the operator when opening the storage migrated tokens from before roles ("" if none)."""
    names = tuple(getattr(storage, "migrated_tokens", ()))
    if not names:
        return ""
    shown = ", ".join(repr(n) for n in names[:10]) + (f" and {len(names) - 10} more" if len(names) > 10 else "")
    return (f"{len(names)} token(s) from before scoped tokens ({shown}) now have role admin on all apps, as before; "
            "create narrower ones with `isoplay tokens create NAME --app APP` and revoke these")


def _manage_tokens(args: argparse.Namespace, data: Path) -> int:
    import time

    from runtime.server.sqlite_storage import SqliteDeploymentStorage
    from runtime.server.tokens import create_token

    storage = open_store(store_spec(args.store), data)
    try:
        notice = migration_notice(storage)
        if notice:
            print(f"isoplay serve: {notice}", file=sys.stderr)
        if args.create_token:
            token = create_token(storage, args.create_token)
            print(token)
            print(f"isoplay serve: created token {args.create_token!r} (admin on all apps); it is shown only this "
                  "once (only its hash is stored); `isoplay tokens create` makes tokens scoped to apps", file=sys.stderr)
        elif args.revoke_token:
            storage.remove_token(args.revoke_token)
            print(f"isoplay serve: revoked token {args.revoke_token!r}", file=sys.stderr)
        else:
            for record in storage.list_tokens():
                created = time.strftime('%Y-%m-%d %H:%M', time.localtime(record.created_at))
                print(f"{record.name}\t{record.role}\t{','.join(record.apps)}\t{created}")
    finally:
        storage.close()
    return 0


@dataclass(frozen=True)
class WorkerRole:
    """What a worker process of ``--workers N`` was handed by its supervisor."""

    index: int
    life_fd: int
    ready_fd: int


async def _serve(config: ServerConfig, sock: socket.socket, role: WorkerRole | None = None) -> int:
    from runtime.cluster.supervisor import report_ready, watch_parent
    from runtime.gcpolicy import tune_for_serving
    from runtime.server.core import ServerCore
    from runtime.server.httpserver import HttpServer

    # A worker never cleans up staging folders: a sibling may be mid-deploy (the supervisor cleaned up once).
    storage = open_store(config.store, config.data_dir, cleanup=role is None)
    test_clock = os.environ.get("ISOPLAY_TEST_CLOCK")  # tests of real processes: a shared, faster clock for crons
    if test_clock:
        from runtime.triggers import ScaledClock

        core = ServerCore(config, storage=storage, clock=ScaledClock.parse(test_clock))
    else:
        core = ServerCore(config, storage=storage)
    balance = None
    if role is not None:
        from runtime.cluster.balance import AcceptBalance

        balance = AcceptBalance.from_env()  # each worker takes its share of the shared socket's connections
    http = HttpServer(core.asgi, sock, balance=balance)
    await http.start()
    tune_for_serving()
    stop = asyncio.Event()
    if role is None:
        _say_migrated(core.storage)  # before the URL line, which tells supervisors and tests the server is up
        print(f"isoplay serve: {http.url}/  (apps at /{{app}}/, API at /api/, data in {config.data_dir}; "
              "Ctrl+C to stop)", file=sys.stderr)
        _hint_tokens(core.storage.list_tokens(), config.data_dir)
    else:
        watch_parent(role.life_fd, stop.set)
        report_ready(role.ready_fd, role.index)
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        try:
            loop.add_signal_handler(sig, stop.set)
        except NotImplementedError:  # Windows: Ctrl+C raises KeyboardInterrupt instead
            pass
    waiter = loop.create_task(stop.wait())
    serving = loop.create_task(http.wait())
    await asyncio.wait({waiter, serving}, return_when=asyncio.FIRST_COMPLETED)
    waiter.cancel()
    core.begin_stopping()
    await http.stop()
    await core.stop()
    return 0


def _hint_tokens(tokens: list[object], data: Path) -> None:
    if not tokens:
        print(f"isoplay serve: no API tokens yet; create one with `isoplay tokens create NAME --role admin --data "
              f"{data}` (it works at once, no restart)", file=sys.stderr)


def _say_migrated(storage: object) -> None:
    notice = migration_notice(storage)
    if notice:
        print(f"isoplay serve: {notice}", file=sys.stderr)


def _run_loop(main: Coroutine[Any, Any, int]) -> int:
    try:
        import uvloop

        return uvloop.run(main)
    except ImportError:
        return asyncio.run(main)


def _listen(host: str, port: int) -> socket.socket | None:
    from runtime.devserver import make_socket

    try:
        return make_socket(host, port)
    except OSError as exc:
        print(f"isoplay: cannot listen on {host}:{port}: {exc.strerror}", file=sys.stderr)
        return None


def _worker_argv(argv: list[str]) -> Callable[[int, int, int, int], list[str]]:
    """The command line of a worker: this one without ``--workers``, plus its role."""
    rest: list[str] = []
    skip = False
    for item in argv:
        if skip:
            skip = False
        elif item == "--workers":
            skip = True
        elif not item.startswith("--workers="):
            rest.append(item)

    def command(index: int, listen_fd: int, life_fd: int, ready_fd: int) -> list[str]:
        return [sys.executable, "-m", "app", *rest, "--worker", str(index), str(listen_fd), str(life_fd),
                str(ready_fd)]

    return command


def _supervise(args: argparse.Namespace, config: ServerConfig, count: int) -> int:
    from runtime.cluster.supervisor import Supervisor
    sock = _listen(args.host, args.port)
    if sock is None:
        return 1
    storage = open_store(config.store, config.data_dir)  # creates the store and cleans up after a crash, once
    _say_migrated(storage)  # (this first open migrates old tokens, so the workers have nothing to say)
    tokens = storage.list_tokens()
    storage.close()
    supervisor = Supervisor(sock, count, _worker_argv(list(getattr(args, "argv", None) or sys.argv[1:])))
    try:
        supervisor.start()
    except RuntimeError as exc:
        print(f"isoplay serve: {exc}", file=sys.stderr)
        return 1
    host, port = sock.getsockname()[:2]
    url = f"http://[{host}]:{port}" if ":" in host else f"http://{host}:{port}"
    print(f"isoplay serve: {url}/  (apps at /{{app}}/, API at /api/, data in {config.data_dir}; {count} workers, "
          f"pids {' '.join(str(p) for p in supervisor.statistics().pids)}; Ctrl+C to stop)", file=sys.stderr)
    _hint_tokens(tokens, config.data_dir)
    return supervisor.run()


def _migrate(config: ServerConfig) -> int:
    from runtime.store import is_postgres
    from runtime.store.postgres import SCHEMA_VERSION, PostgresDeploymentStorage

    if not is_postgres(config.store):
        print("isoplay: --migrate needs --store postgresql://... (the SQLite store migrates itself on open)",
              file=sys.stderr)
        return 1
    storage = PostgresDeploymentStorage.open(config.store, migrate=True)
    storage.close()
    print(f"isoplay serve: the store's schema is at version {SCHEMA_VERSION}", file=sys.stderr)
    return 0


def run(args: argparse.Namespace) -> int:
    """Manage tokens, or serve until interrupted (alone, as a supervisor, or as one of its workers)."""
    data = (args.data or default_data_dir()).resolve()
    if args.create_token or args.revoke_token or args.list_tokens:
        return _manage_tokens(args, data)
    if args.max_bundle_mb <= 0:
        print("isoplay: --max-bundle-mb must be positive", file=sys.stderr)
        return 1
    count = default_workers() if args.workers is None else args.workers
    if count < 1 or count > 256:
        print(f"isoplay: --workers must be between 1 and 256 (got {count})", file=sys.stderr)
        return 1
    try:
        front_limits = FrontLimits(max_url_bytes=args.max_url_bytes, max_header_bytes=args.max_header_bytes,
                                   max_headers=args.max_headers)
    except ValueError as exc:
        print(f"isoplay: --{str(exc).replace('_', '-')}", file=sys.stderr)
        return 1
    node = os.environ.get("ISOPLAY_NODE") or socket.gethostname()
    config = ServerConfig(data_dir=data, max_bundle_bytes=int(args.max_bundle_mb * MIB), dev_errors=args.dev_errors,
                          front_limits=front_limits, store=store_spec(args.store), node=node,
                          fetch_allow_private=args.fetch_allow_private, public_metrics=args.public_metrics,
                          fetch_allow_loopback=args.fetch_allow_loopback, record=args.record)
    if args.migrate:
        return _migrate(config)
    if args.worker is not None:
        index, listen_fd, life_fd, ready_fd = args.worker
        sock = socket.socket(fileno=listen_fd)
        sock.setblocking(False)
        config = replace(config, run_crons=index == 0, node=f"{node}/{index}")
        return _run_loop(_serve(config, sock, WorkerRole(index, life_fd, ready_fd)))
    if count > 1 and hasattr(os, "fork"):
        return _supervise(args, config, count)
    sock = _listen(args.host, args.port)
    if sock is None:
        return 1
    return _run_loop(_serve(config, sock))
