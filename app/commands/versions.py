"""``isoplay versions APP --server URL``: list an app's versions, marking the live one."""

from __future__ import annotations

import argparse
import json
import time

from app.commands.publish import add_server_arguments, client_for, human_size


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Add the ``versions`` command."""
    p = sub.add_parser("versions", help="list the versions of an app on an isoplay server")
    p.add_argument("app")
    add_server_arguments(p)
    p.add_argument("--json", action="store_true", help="print the versions as JSON")
    p.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    """Print one line per version, highest first."""
    with client_for(args) as client:
        info = client.app(args.app)
    if args.json:
        print(json.dumps({"app": info.name, "live_version": info.live_version, "url": info.url,
                          "versions": [v.__dict__ | {"crons": list(v.crons)} for v in info.versions]}))
        return 0
    print(f"{info.name}: live {info.live_version or '(none)'} at {info.url}")
    for v in info.versions:
        deployed = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(v.deployed_at))
        mark = "*" if v.live else " "
        print(f"{mark} {v.version:<16} {deployed}  {human_size(v.size_bytes):>9}  {v.content_hash[:12]}"
              + ("  live" if v.live else ""))
    return 0
