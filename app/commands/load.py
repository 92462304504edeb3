"""``isoplay load DIR``: fire one trigger N times (or for a duration) at concurrency C."""

from __future__ import annotations

import argparse
import asyncio
import json
from pathlib import Path

from app.commands.run import add_trigger_arguments, trigger_from_args
from runtime.errors import UserError
from runtime.invocation import Trigger
from runtime.loadrun import LoadSpec, LoadSummary, format_summary, pool_heap_probe, run_load
from runtime.service import ProjectRuntime
from app.commands._env import add_env_argument


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Add the ``load`` command."""
    p = sub.add_parser("load", help="run one trigger many times and print latency, throughput and heap growth")
    p.add_argument("dir", type=Path, nargs="?", default=Path("."))
    add_env_argument(p)
    add_trigger_arguments(p)
    p.add_argument("-n", "--count", type=int, default=None, help="number of invocations (default 1000)")
    p.add_argument("-c", "--concurrency", type=int, default=1, help="invocations in flight at once (default 1)")
    p.add_argument("--duration", type=float, default=None, metavar="S", help="run for S seconds")
    p.add_argument("--json", action="store_true", help="print exactly one JSON object")
    p.set_defaults(handler=load)


def spec_from_args(args: argparse.Namespace) -> LoadSpec:
    """The load spec the flags describe (``-n 1000`` when neither -n nor --duration is given)."""
    if args.concurrency < 1:
        raise UserError("-c: concurrency must be at least 1")
    if args.count is not None and args.count < 1:
        raise UserError("-n: count must be at least 1")
    if args.duration is not None and args.duration <= 0:
        raise UserError("--duration: must be positive")
    count = args.count if args.count is not None or args.duration is not None else 1000
    return LoadSpec(count=count, duration_s=args.duration, concurrency=args.concurrency)


async def load_project(root: Path, trigger: Trigger, spec: LoadSpec, label: str = "") -> LoadSummary:
    """Build ``root``, run the load against a warm pool, stop it.

    Raises:
        UserError: the project does not build.
    """
    runtime = ProjectRuntime(root)
    try:
        report = await runtime.start()
        if not report.ok:
            raise report.error or UserError("the project did not build")
        return await run_load(runtime.invoke, trigger, spec, label=label,
                              heap_probe=pool_heap_probe(lambda: runtime.pool))
    finally:
        await runtime.stop()


def load(args: argparse.Namespace) -> int:
    """Run the load; exit 1 if any invocation failed."""
    trigger = trigger_from_args(args)
    spec = spec_from_args(args)
    label = args.request or ("GET /" if trigger.kind == "fetch" else f"{trigger.kind} {trigger.route}")
    summary = asyncio.run(load_project(args.dir, trigger, spec, label))
    print(json.dumps(summary.to_json()) if args.json else format_summary(summary))
    return 0 if summary.error_count == 0 else 1
