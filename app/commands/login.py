"""``isoplay login --server URL``: check a token against the server and save it (system keyring, else a 0600 file)."""

from __future__ import annotations

import argparse
import getpass
import sys

from app.commands.publish import add_server_arguments, server_of
from runtime.errors import UserError
from runtime.publish_client import PublishClient, normalize_server, store_token


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Add the ``login`` command."""
    p = sub.add_parser("login", help="save an API token for a server in the system keyring")
    add_server_arguments(p)
    p.set_defaults(handler=run)


def _read_token() -> str:
    if sys.stdin.isatty():
        return getpass.getpass("API token (from `isoplay serve --create-token NAME`): ")
    return sys.stdin.readline()


def run(args: argparse.Namespace) -> int:
    """Verify the token (one authenticated call), then store it."""
    server = normalize_server(server_of(args))
    token = (args.token or _read_token()).strip()
    if not token:
        raise UserError("no token given")
    with PublishClient(server, token) as client:
        client.apps()
    where = store_token(server, token)
    print(f"saved the token for {server} in {where}", file=sys.stderr)
    return 0
