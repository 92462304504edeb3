"""``isoplay recordings APP --server URL``: list (or download) an app's recorded invocations."""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

from app.commands.publish import add_server_arguments, client_for, human_size


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Add the ``recordings`` command."""
    p = sub.add_parser("recordings", help="list the recorded invocations of an app on an isoplay server")
    p.add_argument("app")
    add_server_arguments(p)
    p.add_argument("--limit", type=int, default=50, help="how many, newest first (default 50)")
    p.add_argument("--get", metavar="ID", help="download recording ID instead of listing")
    p.add_argument("-o", "--output", metavar="FILE", help="where --get writes (default ID.isorec)")
    p.add_argument("--json", action="store_true", help="print the list as JSON")
    p.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    """Print one line per recording, or write the one ``--get`` names."""
    with client_for(args) as client:
        if args.get:
            data = client.recording(args.app, args.get)
            out = Path(args.output or f"{args.get}.isorec")
            out.write_bytes(data)
            print(f"wrote {out} ({human_size(len(data))})")
            return 0
        listing = client.recordings_listing(args.app, limit=args.limit)
    items, not_kept = listing["recordings"], listing["not_kept"]
    if args.json:
        print(json.dumps({"app": args.app, "recordings": items, "not_kept": not_kept}))
        return 0
    if not items:
        print(f"{args.app}: no recordings")
    for item in items:
        when = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(float(item.get("started", 0))))
        status = item.get("status") or "-"
        print(f"{item['id']}  {when}  {item.get('outcome', ''):<7} {status!s:>3}  "
              f"{float(item.get('duration_ms', 0)):8.1f} ms  {human_size(int(item.get('size', 0))):>9}  "
              f"{item.get('version', '')}  {item.get('what', '')}"
              + (f"  -- {item['error']}" if item.get("error") else ""))
    if not_kept:
        print(f"not kept ({len(not_kept)} most recent since the server started): wanted by the policy, "
              "but they could not be recorded to replay exactly")
    for item in not_kept:
        when = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(float(item.get("started", 0))))
        status = item.get("status") or "-"
        print(f"  {when}  {item.get('outcome', ''):<7} {status!s:>3}  {item.get('version', '')}  "
              f"{item.get('what', '')}  -- not kept: {item.get('reason', '')}")
    return 0
