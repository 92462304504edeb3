"""``isoplay test [DIR] [FILTER...]``: run the project's tests inside isolates (runtime/testing)."""

from __future__ import annotations

import argparse
import asyncio
import sys
from pathlib import Path

from runtime.errors import UserError
from runtime.testing.models import RunResult
from runtime.testing.report import REPORTERS, make_reporter
from runtime.testing.runner import TestRun


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Add the ``test`` command."""
    p = sub.add_parser("test", help="run *.test.ts / *.spec.ts inside isolates (vitest + cloudflare:test API)",
                       description="Run the project's tests inside V8 isolates with its bindings. "
                                   "FILTER keeps test files whose path contains it.")
    p.add_argument("paths", nargs="*", metavar="[DIR] [FILTER]",
                   help="the project folder (default: .), then file filters")
    p.add_argument("--watch", "-w", action="store_true", help="re-run affected test files on save")
    p.add_argument("--reporter", choices=REPORTERS, default="default")
    p.add_argument("--bail", action="store_true", help="stop after the first failing test")
    p.add_argument("-t", "--test-name-pattern", metavar="REGEX", help="run only tests whose full name matches")
    p.add_argument("--verbose", "-v", action="store_true", help="list every test, not only failures")
    p.add_argument("--update", "-u", action="store_true",
                   help="rewrite snapshots that no longer match and remove obsolete ones")
    p.add_argument("--jobs", "-j", type=int, default=None, help="test files run at once (default: cores, max 4)")
    p.set_defaults(handler=run)


def split_paths(paths: list[str]) -> tuple[Path, list[str]]:
    """(project dir, filters): the first argument is the dir when it is a project folder
    (isoplay.toml or a wrangler config)."""
    from runtime.project import is_project

    if paths and Path(paths[0]).is_dir() and is_project(Path(paths[0])):
        return Path(paths[0]), paths[1:]
    return Path("."), paths


def run(args: argparse.Namespace) -> int:
    """Run the tests; exit 1 when any failed (0 when all passed, also when there were none)."""
    root, filters = split_paths(args.paths)
    if args.jobs is not None and args.jobs < 1:
        raise UserError("--jobs must be at least 1")

    def make_run(files: list[Path] | None, reporter: object) -> TestRun:
        return TestRun(root, filters=filters, name_pattern=args.test_name_pattern, bail=args.bail,
                       emit=reporter.on_event, files=files, jobs=args.jobs,
                       update_snapshots=args.update)  # type: ignore[attr-defined]

    if args.watch:
        return _watch(root, make_run, args)
    reporter = make_reporter(args.reporter, verbose=args.verbose)
    test_run = make_run(None, reporter)
    result = asyncio.run(test_run.run())
    reporter.finish(result)
    if not result.files and args.reporter == "default":
        print("isoplay: no test files found (looked for *.test.ts and *.spec.ts; see [test] include)", file=sys.stderr)
    return 0 if result.ok else 1


def _watch(root: Path, make_run: object, args: argparse.Namespace) -> int:
    from runtime.testing.watch import watch

    def fresh(files: list[Path] | None) -> TestRun:
        reporter = make_reporter(args.reporter, verbose=args.verbose)
        holder["reporter"] = reporter
        return make_run(files, reporter)  # type: ignore[operator]

    def done(result: RunResult) -> None:
        holder["reporter"].finish(result)  # type: ignore[attr-defined]
        print("\nwatching for changes (Ctrl+C to stop)", file=sys.stderr)

    holder: dict[str, object] = {}
    try:
        asyncio.run(watch(root, fresh, done))
    except KeyboardInterrupt:
        return 130
    return 0
