"""``isoplay replay ID|FILE [--server URL] [--debug] [DIR]``: run a recorded invocation again, exactly."""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from pathlib import Path
from typing import Any

from app.commands.publish import add_server_arguments, client_for
from runtime.errors import UserError


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Add the ``replay`` command."""
    p = sub.add_parser("replay", help="replay a recorded invocation (a .isorec file, or an id on a server)")
    p.add_argument("recording", metavar="ID|FILE")
    p.add_argument("dir", nargs="?", default=".", metavar="DIR",
                   help="the project whose build is used when its content hash matches (default .)")
    add_server_arguments(p)
    p.add_argument("--app", help="the app of a server recording (default: the project's name)")
    p.add_argument("--debug", action="store_true", help="replay in the debugger (breakpoints, Step Back)")
    p.add_argument("--break", dest="breaks", action="append", default=[], metavar="FILE:LINE",
                   help="with --debug: stop at FILE:LINE (repeatable)")
    p.add_argument("--json", action="store_true", help="print the replayed result and the comparison as JSON")
    p.add_argument("--save-test", action="store_true",
                   help="instead of replaying, write the recording as a test of the project in DIR "
                        "(test/recorded-ID.test.ts, run by isoplay test)")
    p.set_defaults(handler=run)


def _load(args: argparse.Namespace, project: Any) -> tuple[Any, Any]:
    """The recording, and the server bundle when it came from a server (else None)."""
    from runtime.replay import Recording

    path = Path(args.recording)
    if path.is_file():
        return Recording.from_jsonl(path.read_bytes()), None
    if not args.server:
        raise UserError(f"{args.recording}: no such file; to replay a server recording by id, give --server URL")
    app = args.app or (project.manifest().name if project is not None else None)
    rec_id = args.recording
    if "/" in rec_id:
        app, rec_id = rec_id.split("/", 1)
    if not app:
        raise UserError("which app? give --app APP, APP/ID, or run in the app's project folder")
    with client_for(args) as client:
        rec = Recording.from_jsonl(client.recording(app, rec_id))
        try:
            server_bundle = client.recording_bundle(app, rec_id)
        except Exception as exc:  # the version may have been deleted: the local build may still match
            print(f"warning: {exc}", file=sys.stderr)
            server_bundle = None
    return rec, server_bundle


def _save_test(rec: Any, project: Any) -> int:
    """Write ``rec`` as a test file of ``project``."""
    from runtime.replay.as_test import test_source
    from runtime.replay.redact import Redactor

    if project is None:
        raise UserError("--save-test needs the app's project folder (DIR)")
    manifest = project.manifest()
    try:
        source = test_source(rec, Redactor(project.secrets(), dict(manifest.vars)))
    except ValueError as exc:
        raise UserError(str(exc)) from None
    out = project.root / "test" / f"recorded-{rec.id}.test.ts"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(source, encoding="utf-8")
    print(f"wrote {out.relative_to(project.root)} (run it with: isoplay test {project.root})")
    return 0


def choose_bundle(rec: Any, project: Any, server_bundle: Any) -> tuple[Any, list[str]]:
    """The local build when its content hash is the recorded one, else the recorded bundle, else the local
    build with a warning."""
    from runtime.bundler import bundle_sync

    notes: list[str] = []
    local = None
    if project is not None:
        for minify in (False, True):
            built = bundle_sync(project.root, minify=minify, manifest=project.manifest())
            if built.content_hash == rec.bundle_hash:
                return built, notes
            local = local or built
    if server_bundle is not None:
        if local is not None:
            notes.append(f"the local build ({local.content_hash[:12]}) differs from the recorded bundle "
                         f"({rec.bundle_hash[:12]}): replaying the recorded bundle from the server")
        return server_bundle, notes
    if local is None:
        raise UserError("no bundle to replay with: run in the app's project folder (DIR), or give --server URL")
    notes.append(f"the local build ({local.content_hash[:12]}) is not the recorded bundle "
                 f"({rec.bundle_hash[:12]}): replaying the local code; expect a divergence where it changed")
    return local, notes


def run(args: argparse.Namespace) -> int:
    """Replay, print the result, and say whether it matches the recording (exit 1 if not)."""
    from runtime.project import Project, is_project

    root = Path(args.dir)
    project = Project.open(root) if is_project(root) else None
    rec, server_bundle = _load(args, project)
    if args.save_test:
        return _save_test(rec, project)
    bundle, notes = choose_bundle(rec, project, server_bundle)
    secrets = project.secrets() if project is not None else {}
    if args.debug:
        from app.commands.debug import replay_debug

        for note in notes:
            print(f"warning: {note}", file=sys.stderr)
        return replay_debug(args, rec, bundle, secrets, project.root if project is not None else root)
    from runtime.replay import replay

    outcome = asyncio.run(replay(rec, bundle, secrets=secrets))
    notes += outcome.warnings
    diffs = outcome.differences()
    if args.json:
        print(json.dumps({"recording": rec.summary(), "warnings": notes, "identical": not diffs,
                          "differences": diffs,
                          "divergence": str(outcome.divergence) if outcome.divergence else None,
                          "result": outcome.result.to_json() if outcome.result is not None else None}))
        return 0 if not diffs else 1
    for note in notes:
        print(f"warning: {note}", file=sys.stderr)
    if outcome.divergence is not None:
        for entry in outcome.divergence.logs:
            print(f"[{entry.level:5}] {entry.message}")
        print(str(outcome.divergence), file=sys.stderr)
        return 1
    from app.commands.run import print_result

    assert outcome.result is not None
    print_result(outcome.result)
    if diffs:
        print("the replay differs from the recording:", file=sys.stderr)
        for diff in diffs:
            print(f"  {diff}", file=sys.stderr)
        return 1
    print(f"replay of {rec.id}: same response and logs as recorded", file=sys.stderr)
    return 0
