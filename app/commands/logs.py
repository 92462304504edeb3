"""``isoplay logs APP --server URL``: follow an app's invocations live (as ``wrangler tail`` does).

Reads the server's log stream (``GET /api/apps/{app}/logs``, server-sent events): one entry per
invocation -- a request (a streamed response once, when its body ends), a cron run, each WebSocket
event -- with its console lines. ``--json`` prints each event as one JSON line; ``--count N``
stops after N events. Ctrl+C stops.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from typing import Any

import httpx

from app.commands.publish import add_server_arguments, server_of
from runtime.publish_client import PublishClient, PublishError, normalize_server, resolve_token


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Add the ``logs`` command."""
    p = sub.add_parser("logs", help="follow the invocations and console lines of an app on an isoplay server")
    p.add_argument("app")
    add_server_arguments(p)
    p.add_argument("--json", action="store_true", help="print each event as one JSON line")
    p.add_argument("--count", type=int, default=0, metavar="N", help="stop after N events (default: follow until Ctrl+C)")
    p.set_defaults(handler=run)


def describe(event: dict[str, Any]) -> list[str]:
    """An event as text lines: its console lines, then what ran and how it ended."""
    lines = [f"  [{e.get('level', 'log')}] {e.get('message', '')}" for e in event.get("logs") or []]
    if event.get("trigger") == "fetch":
        what = f"{event.get('method', '')} {event.get('route', '')}"
    elif event.get("trigger") == "socket":
        what = f"websocket {event.get('method', '')} {event.get('route', '')}"
    else:
        what = f"{event.get('trigger', '')} {event.get('route', '')}"
    status = event.get("status") if event.get("status") is not None else event.get("outcome")
    stamp = time.strftime("%H:%M:%S", time.localtime(float(event.get("time") or time.time())))
    where = f" [{event.get('version', '')}{'@' + event['node'] if event.get('node') else ''}]"
    lines.append(f"{stamp} {what} -> {status} in {float(event.get('duration_ms') or 0):.1f} ms{where}")
    if event.get("error"):
        lines.append(f"  {event['error']}")
    if event.get("dropped"):
        lines.insert(0, f"  ({event['dropped']} events dropped: this reader was too slow)")
    return lines


def run(args: argparse.Namespace) -> int:
    """Follow the stream until Ctrl+C (or ``--count`` events)."""
    server = normalize_server(server_of(args))
    token = resolve_token(server, args.token)
    seen = 0
    try:
        with httpx.Client(base_url=server, headers={"authorization": f"Bearer {token}"}, trust_env=False,
                          timeout=httpx.Timeout(10.0, read=None)) as http, \
                http.stream("GET", f"/api/apps/{args.app}/logs") as response:
            if response.status_code >= 400:
                response.read()
                raise PublishClient._refusal(response)
            for line in response.iter_lines():
                if line.startswith(": connected"):
                    print(f"following {args.app} on {server} (Ctrl+C to stop)", file=sys.stderr, flush=True)
                    continue
                if not line.startswith("data: "):
                    continue
                event = json.loads(line[6:])
                if args.json:
                    print(json.dumps(event), flush=True)
                else:
                    print("\n".join(describe(event)), flush=True)
                seen += 1
                if args.count and seen >= args.count:
                    return 0
    except KeyboardInterrupt:
        return 0
    except httpx.ConnectError as exc:
        raise PublishError(f"cannot reach {server}: {exc}") from None
    except httpx.TransportError as exc:
        raise PublishError(f"the log stream from {server} broke: {type(exc).__name__}: {exc}") from None
    print("the server closed the log stream (it is stopping)", file=sys.stderr)
    return 0
