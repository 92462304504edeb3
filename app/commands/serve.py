"""``isoplay serve``: the server runtime (deploy API + deployed apps), and its token management."""

from __future__ import annotations

import argparse
import asyncio
import signal
import sys
from pathlib import Path

from runtime.httpfront import FrontLimits
from runtime.server.config import DEFAULT_MAX_BUNDLE_BYTES, DEFAULT_PORT, MIB, ServerConfig


def default_data_dir() -> Path:
    """Where ``isoplay serve`` keeps its data without ``--data``."""
    import platformdirs

    return platformdirs.user_data_path("isoplay") / "server"


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Add the ``serve`` command."""
    p = sub.add_parser("serve", help="run the deploy server (apps at /{app}/, API at /api/)")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=DEFAULT_PORT)
    p.add_argument("--data", type=Path, default=None, metavar="DIR",
                   help=f"data folder: registry, bundles, KV (default: {default_data_dir()})")
    tokens = p.add_mutually_exclusive_group()
    tokens.add_argument("--create-token", metavar="NAME", help="create an API token, print it once, and exit")
    tokens.add_argument("--revoke-token", metavar="NAME", help="revoke an API token and exit")
    tokens.add_argument("--list-tokens", action="store_true", help="list token names and exit")
    p.add_argument("--max-bundle-mb", type=float, default=DEFAULT_MAX_BUNDLE_BYTES / MIB, metavar="N",
                   help="largest upload accepted (default: 10)")
    p.add_argument("--dev-errors", action="store_true", help="answer script errors with their TypeScript stack")
    limits = FrontLimits()
    p.add_argument("--max-url-bytes", type=int, default=limits.max_url_bytes, metavar="N",
                   help=f"longest request target; 414 beyond (default: {limits.max_url_bytes})")
    p.add_argument("--max-header-bytes", type=int, default=limits.max_header_bytes, metavar="N",
                   help=f"most bytes of request header names and values; 431 beyond (default: {limits.max_header_bytes})")
    p.add_argument("--max-headers", type=int, default=limits.max_headers, metavar="N",
                   help=f"most request header lines; 431 beyond (default: {limits.max_headers})")
    p.set_defaults(handler=run)


def _manage_tokens(args: argparse.Namespace, data: Path) -> int:
    import time

    from runtime.server.sqlite_storage import SqliteDeploymentStorage
    from runtime.server.tokens import create_token

    storage = SqliteDeploymentStorage.open(data)
    try:
        if args.create_token:
            token = create_token(storage, args.create_token)
            print(token)
            print(f"isoplay serve: created token {args.create_token!r}; it is shown only this once "
                  "(only its hash is stored)", file=sys.stderr)
        elif args.revoke_token:
            storage.remove_token(args.revoke_token)
            print(f"isoplay serve: revoked token {args.revoke_token!r}", file=sys.stderr)
        else:
            for record in storage.list_tokens():
                print(f"{record.name}\t{time.strftime('%Y-%m-%d %H:%M', time.localtime(record.created_at))}")
    finally:
        storage.close()
    return 0


async def _serve(config: ServerConfig, host: str, port: int) -> int:
    from runtime.devserver import make_socket
    from runtime.gcpolicy import tune_for_serving
    from runtime.server.core import ServerCore
    from runtime.server.httpserver import HttpServer

    try:
        sock = make_socket(host, port)
    except OSError as exc:
        print(f"isoplay: cannot listen on {host}:{port}: {exc.strerror}", file=sys.stderr)
        return 1
    core = ServerCore(config)
    http = HttpServer(core.asgi, sock)
    await http.start()
    tune_for_serving()
    print(f"isoplay serve: {http.url}/  (apps at /{{app}}/, API at /api/, data in {config.data_dir}; Ctrl+C to stop)",
          file=sys.stderr)
    if not core.storage.list_tokens():
        print(f"isoplay serve: no API tokens yet; create one with `isoplay serve --data {config.data_dir} "
              "--create-token NAME`", file=sys.stderr)
    stop = asyncio.Event()
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


def run(args: argparse.Namespace) -> int:
    """Manage tokens, or serve until interrupted."""
    data = (args.data or default_data_dir()).resolve()
    if args.create_token or args.revoke_token or args.list_tokens:
        return _manage_tokens(args, data)
    if args.max_bundle_mb <= 0:
        print("isoplay: --max-bundle-mb must be positive", file=sys.stderr)
        return 1
    try:
        front_limits = FrontLimits(max_url_bytes=args.max_url_bytes, max_header_bytes=args.max_header_bytes,
                                   max_headers=args.max_headers)
    except ValueError as exc:
        print(f"isoplay: --{str(exc).replace('_', '-')}", file=sys.stderr)
        return 1
    config = ServerConfig(data_dir=data, max_bundle_bytes=int(args.max_bundle_mb * MIB), dev_errors=args.dev_errors,
                          front_limits=front_limits)
    try:
        import uvloop

        return uvloop.run(_serve(config, args.host, args.port))
    except ImportError:
        return asyncio.run(_serve(config, args.host, args.port))
