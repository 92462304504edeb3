"""``isoplay run DIR``: run one invocation (request, cron, event or one-off) and print it."""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import json
import sys
import time
from pathlib import Path
from typing import Any

from runtime.errors import UserError
from runtime.invocation import EventTrigger, HttpRequest, InvocationResult, RunTrigger, ScheduledTrigger, Trigger
from runtime.runner import run_once
from app.commands._env import add_env_argument, show_config_warnings

LEVEL_COLORS = {"error": "31", "warn": "33", "info": "36", "debug": "90", "log": "0"}


def add_trigger_arguments(p: argparse.ArgumentParser) -> None:
    """The trigger flags shared by ``run``, ``debug`` and ``load``."""
    group = p.add_mutually_exclusive_group()
    group.add_argument("--request", "-r", metavar="'METHOD /path?query'", help="an HTTP request (default: GET /)")
    group.add_argument("--cron", metavar="SCHEDULE", help="fire the scheduled handler with this cron")
    group.add_argument("--event", metavar="NAME", help="fire the event handler with this event name")
    group.add_argument("--once", metavar="JSON", help="call the run handler with this JSON input")
    p.add_argument("-H", "--header", action="append", default=[], metavar="'Name: value'")
    p.add_argument("-d", "--data", metavar="BODY|@file", help="request body, or @path to read it from a file")
    p.add_argument("--payload", metavar="JSON", default="null", help="the event's JSON payload")
    p.add_argument("--cf", metavar="JSON", help="request.cf fields over the local defaults, e.g. '{\"country\": \"NL\"}'")


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Add the ``run`` command."""
    p = sub.add_parser("run", help="run one invocation and print the result")
    p.add_argument("dir", type=Path, nargs="?", default=Path("."))
    add_env_argument(p)
    add_trigger_arguments(p)
    p.add_argument("--json", action="store_true", help="print exactly one JSON object")
    p.add_argument("--record", type=Path, metavar="FILE",
                   help="also write the invocation as a recording (FILE.isorec; replay it with isoplay replay)")
    p.set_defaults(handler=run)


def _json_arg(text: str, flag: str) -> Any:
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise UserError(f"{flag}: not valid JSON ({exc.msg} at column {exc.colno})") from None


def parse_request_line(line: str | None, headers: list[str], data: str | None) -> HttpRequest:
    """Build an HttpRequest from ``'METHOD /path?query'``, -H and -d values."""
    parts = (line or "GET /").split(None, 1)
    method, target = (parts[0], parts[1]) if len(parts) == 2 else ("GET", parts[0])
    if method.startswith("/") or "://" in method:
        method, target = "GET", method
    if "://" not in target:
        if not target.startswith("/"):
            raise UserError(f"--request: expected 'METHOD /path', got {line!r}")
        target = "http://localhost" + target
    pairs = []
    for header in headers:
        name, sep, value = header.partition(":")
        if not sep or not name.strip():
            raise UserError(f"-H: expected 'Name: value', got {header!r}")
        pairs.append((name.strip(), value.strip()))
    body = b""
    if data is not None:
        if data.startswith("@"):
            try:
                body = Path(data[1:]).read_bytes()
            except OSError as exc:
                raise UserError(f"-d: cannot read {data[1:]}: {exc.strerror}") from None
        else:
            body = data.encode("utf-8")
    return HttpRequest(method=method.upper(), url=target, headers=tuple(pairs), body=body)


def trigger_from_args(args: argparse.Namespace) -> Trigger:
    """The trigger the flags describe."""
    if args.cron:
        from runtime.cron import validate_cron

        validate_cron(args.cron, source="--cron")
        return ScheduledTrigger(args.cron, time.time())
    if args.event:
        return EventTrigger(args.event, _json_arg(args.payload, "--payload"))
    if args.once is not None:
        return RunTrigger(_json_arg(args.once, "--once"))
    request = parse_request_line(args.request, args.header, args.data)
    if getattr(args, "cf", None):
        cf = _json_arg(args.cf, "--cf")
        if not isinstance(cf, dict):
            raise UserError("--cf: expected a JSON object of request.cf fields")
        request = dataclasses.replace(request, cf=cf)
    return request


def _color(level: str, text: str) -> str:
    if not sys.stdout.isatty():
        return text
    return f"\x1b[{LEVEL_COLORS.get(level, '0')}m{text}\x1b[0m"


def print_result(result: InvocationResult) -> None:
    """The human-readable rendering of a result."""
    for entry in result.logs:
        stamp = time.strftime("%H:%M:%S", time.localtime(entry.time)) + f".{int(entry.time * 1000) % 1000:03d}"
        print(_color(entry.level, f"[{entry.level:5}] {stamp} {entry.message}"))
    heap = f"heap {result.heap_used / 1e6:.1f}/{result.heap_total / 1e6:.1f} MB"
    if result.error is not None:
        print(_color("error", f"✗ {result.outcome}: {result.error.summary()}"), file=sys.stderr)
        if result.error.frames:
            print(result.error.stack, file=sys.stderr)
        print(f"({result.duration_ms:.1f} ms, {heap})", file=sys.stderr)
        return
    if result.trigger == "fetch":
        print(f"HTTP {result.status} {result.status_text}".rstrip() + f"  ({result.duration_ms:.1f} ms, {heap})")
        for name, value in result.headers:
            print(f"{name}: {value}")
        print()
        sys.stdout.write(result.body_text())
        if result.body and not result.body.endswith(b"\n"):
            print()
    else:
        print(f"✓ {result.trigger} completed ({result.duration_ms:.1f} ms, {heap})")
        if result.value is not None:
            print(json.dumps(result.value, indent=2))


def run(args: argparse.Namespace) -> int:
    """Run the invocation; exit 1 if the build or the invocation failed."""
    show_config_warnings(args.dir)
    trigger = trigger_from_args(args)
    try:
        result = asyncio.run(run_once(args.dir, trigger, record=args.record is not None))
    except UserError as exc:
        if args.json:
            print(json.dumps({"status": None, "headers": {}, "body": None, "logs": [],
                              "error": {"message": str(exc), "stack": ""}, "duration_ms": 0,
                              "heap": {"used": 0, "total": 0}}))
            return 1
        raise
    if args.record is not None and result.recording is not None:
        args.record.write_bytes(result.recording.to_bytes())
        if not args.json:
            print(f"recorded to {args.record}", file=sys.stderr)
    if args.json:
        print(json.dumps(result.to_json()))
    else:
        print_result(result)
    return 0 if result.ok else 1
