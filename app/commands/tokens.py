"""``isoplay tokens create|list|revoke``: API tokens scoped to apps and roles.

Against the store (``--data DIR``, or ``--store postgresql://...``; also while ``isoplay serve`` runs on it:
every request reads the tokens, so a change takes effect at once) or against a
running server's admin API (``--server URL`` with an admin token).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any

from app.commands.publish import add_server_arguments, client_for
from runtime.errors import UserError


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Add the ``tokens`` command and its subcommands."""
    p = sub.add_parser("tokens", help="create, list and revoke API tokens of an isoplay server")
    actions = p.add_subparsers(dest="action", metavar="create|list|revoke", required=True)

    def where(q: argparse.ArgumentParser) -> None:
        q.add_argument("--data", type=Path, default=None, metavar="DIR",
                       help="the server's data folder (default without --server: isoplay serve's default)")
        q.add_argument("--store", default=None, metavar="URL",
                       help="the server's store when it is not the data folder: a postgresql:// URL "
                            "(default: $ISOPLAY_STORE)")
        add_server_arguments(q)
        q.add_argument("--json", action="store_true", help="print JSON")

    create = actions.add_parser("create", help="create a token and print it once")
    create.add_argument("name", help="[A-Za-z0-9_.-]{1,64}")
    create.add_argument("--role", choices=("deploy", "admin", "metrics"), default="deploy",
                        help="deploy: publish, roll back and read its apps (default); admin: also deletes and "
                             "tokens; metrics: read /metrics only")
    create.add_argument("--expires", metavar="DURATION", default=None,
                        help="refuse the token after this long: 30d, 12h, 45m, 90s, 2w (default: never)")
    create.add_argument("--app", dest="apps", action="append", default=[], metavar="APP",
                        help="an app the token may act on (repeatable)")
    create.add_argument("--all-apps", action="store_true", help="every app, present and future")
    where(create)
    listing = actions.add_parser("list", help="list tokens (names, roles, apps; never the secrets)")
    where(listing)
    revoke = actions.add_parser("revoke", help="revoke a token; it stops working at once")
    revoke.add_argument("name")
    where(revoke)
    p.set_defaults(handler=run)


def _scope(args: argparse.Namespace) -> list[str]:
    if args.role in ("admin", "metrics"):
        if args.apps:
            raise UserError("an admin token acts on every app (it can create tokens); drop --app" if args.role == "admin"
                            else "a metrics token reads /metrics, which covers every app; drop --app")
        return ["*"]
    if args.all_apps and args.apps:
        raise UserError("--all-apps already covers every app; drop --app")
    if not args.all_apps and not args.apps:
        raise UserError("name the apps the token may deploy with --app APP (repeatable), or pass --all-apps")
    return ["*"] if args.all_apps else list(args.apps)


def _show(rows: list[dict[str, Any]], as_json: bool) -> None:
    if as_json:
        print(json.dumps({"tokens": rows}))
        return
    now = time.time()
    for row in rows:
        created = time.strftime("%Y-%m-%d %H:%M", time.localtime(row["created_at"]))
        expires = row.get("expires_at")
        if expires is None:
            until = "never expires"
        else:
            stamp = time.strftime("%Y-%m-%d %H:%M", time.localtime(expires))
            until = f"expired {stamp}" if expires <= now else f"expires {stamp}"
        print(f"{row['name']}\t{row['role']}\t{','.join(row['apps'])}\t{created}\t{until}")


def _offline(args: argparse.Namespace) -> int:
    from app.commands.serve import default_data_dir, migration_notice
    from runtime.server.tokens import create_token
    from runtime.store import open_store, store_spec

    data = (args.data or default_data_dir()).resolve()
    storage = open_store(store_spec(args.store), data)
    try:
        notice = migration_notice(storage)
        if notice:
            print(f"isoplay tokens: {notice}", file=sys.stderr)
        if args.action == "create":
            scope = _scope(args)
            token = create_token(storage, args.name, role=args.role, apps=scope, expires_in=_expiry(args))
            record = next(t for t in storage.list_tokens() if t.name == args.name)
            _announce(token, record.name, record.role, list(record.apps), args.json, record.expires_at)
        elif args.action == "revoke":
            storage.remove_token(args.name)
            print(f"isoplay tokens: revoked {args.name!r} (it stops working at once)", file=sys.stderr)
        else:
            _show([{"name": t.name, "role": t.role, "apps": list(t.apps), "created_at": t.created_at,
                    "expires_at": t.expires_at} for t in storage.list_tokens()], args.json)
    finally:
        storage.close()
    return 0


def _expiry(args: argparse.Namespace) -> float | None:
    if args.expires is None:
        return None
    from runtime.server.tokens import parse_duration

    try:
        return parse_duration(args.expires)
    except ValueError as exc:
        raise UserError(f"--expires: {exc}") from None


def _announce(token: str, name: str, role: str, apps: list[str], as_json: bool,
              expires_at: float | None = None) -> None:
    if as_json:
        print(json.dumps({"name": name, "role": role, "apps": apps, "token": token, "expires_at": expires_at}))
    else:
        print(token)
    scope = "all apps" if apps == ["*"] else ", ".join(apps)
    until = "" if expires_at is None else f", expires {time.strftime('%Y-%m-%d %H:%M', time.localtime(expires_at))}"
    print(f"isoplay tokens: created {name!r} ({role} on {scope}{until}); it is shown only this once (only its hash "
          "is stored)", file=sys.stderr)


def _online(args: argparse.Namespace) -> int:
    with client_for(args) as client:
        if args.action == "create":
            data = client.create_token(args.name, args.role, _scope(args), _expiry(args))
            _announce(data["token"], data["name"], data["role"], list(data["apps"]), args.json,
                      data.get("expires_at"))
        elif args.action == "revoke":
            client.revoke_token(args.name)
            print(f"isoplay tokens: revoked {args.name!r} (it stops working at once)", file=sys.stderr)
        else:
            _show(client.list_tokens(), args.json)
    return 0


def run(args: argparse.Namespace) -> int:
    """Create, list or revoke tokens against the data folder or a server."""
    if args.data is None and args.store is None and args.server:  # --data / --store win over $ISOPLAY_SERVER
        return _online(args)
    return _offline(args)
