"""``isoplay rollback APP VERSION --server URL``: make an earlier version live again."""

from __future__ import annotations

import argparse

from app.commands.publish import add_server_arguments, client_for


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Add the ``rollback`` command."""
    p = sub.add_parser("rollback", help="make a published version of an app live again")
    p.add_argument("app")
    p.add_argument("target_version", metavar="VERSION")  # not "version": the top-level --version owns that name
    add_server_arguments(p)
    p.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    """Roll back and print the live URL."""
    with client_for(args) as client:
        previous = client.rollback(args.app, args.target_version)
        print(f"{args.app}: live version is now {args.target_version} (was {previous or 'none'})")
        print(f"{client.server}/{args.app}/")
    return 0
