"""``isoplay debug DIR``: step through one invocation in the terminal (or from a command script)."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from app.commands.run import add_trigger_arguments, trigger_from_args
from debugger.breakpoints import parse_location
from debugger.repl import Repl, leading_breaks, leading_lines, script_commands, split_condition, terminal_commands
from debugger.session import DebugSession
from runtime.errors import UserError
from app.commands._env import add_env_argument


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Add the ``debug`` command."""
    p = sub.add_parser("debug", help="run one invocation under the step-through debugger")
    p.add_argument("dir", type=Path, nargs="?", default=Path("."))
    add_env_argument(p)
    add_trigger_arguments(p)
    p.add_argument("--break", "-b", dest="breaks", action="append", default=[], metavar="FILE:LINE[ if COND]",
                   help="set a breakpoint before the script starts (repeatable)")
    p.add_argument("--script", type=Path, metavar="FILE", help="read debugger commands from FILE instead of the terminal")
    p.add_argument("--json", action="store_true", help="print one JSON object per event")
    p.add_argument("--stop-on-entry", action="store_true",
                   help="pause at the handler's first statement (the default in the terminal when no --break is given)")
    p.add_argument("--caught", action="store_true", help="also pause on caught exceptions")
    p.add_argument("--no-uncaught", action="store_true", help="do not pause on uncaught exceptions")
    p.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    """Debug the invocation; exit 0 when it completed (or was quit), 1 when it failed."""
    trigger = trigger_from_args(args)
    # In the terminal with no breakpoint, the invocation would run to its end before the first prompt:
    # pause at the handler's first statement instead, as `node inspect` and pdb do.
    interactive = args.script is None and not args.json
    entry = args.stop_on_entry or (interactive and not args.breaks)
    session = DebugSession(args.dir, trigger, break_on_uncaught=not args.no_uncaught, break_on_caught=args.caught,
                           stop_on_entry=entry)
    for spec in args.breaks:
        location, condition = split_condition(spec)
        try:
            file, line = parse_location(location)
        except ValueError as exc:
            raise UserError(f"--break: {exc}") from None
        session.set_breakpoint(file, line, condition=condition)
    if args.script is not None:
        try:
            lines = list(script_commands(args.script))
        except (OSError, UnicodeDecodeError) as exc:
            why = exc.strerror if isinstance(exc, OSError) else "not UTF-8 text"
            raise UserError(f"--script: cannot read {args.script}: {why}") from None
        # As `gdb -x`: the script's leading `break` lines apply before the invocation starts,
        # so its first breakpoint can stop the run (otherwise it ended before the first command).
        leading = leading_breaks(lines, args.script)
        for file, line, condition in leading:
            session.set_breakpoint(file, line, condition=condition)
        commands = iter(lines[len(leading_lines(lines)):])
    else:
        leading = []
        commands = terminal_commands()
    try:
        session.start()
    except UserError as exc:
        if args.json:
            print(json.dumps({"event": "exited", "status": "error", "error": str(exc)}), flush=True)
            return 1
        raise
    repl = Repl(session, commands, lambda text: print(text, flush=True), json_mode=args.json)
    if args.json:
        for bp in session.breakpoints[len(args.breaks):]:
            repl.report_breakpoint(bp)
    else:
        for bp in session.breakpoints:
            print(f"breakpoint {bp.id} at {bp.file}:{bp.actual_line or bp.line} ({bp.status})", file=sys.stderr)
        if entry and not args.stop_on_entry:
            print("no --break given: pausing at the handler's first statement", file=sys.stderr)
    try:
        exited = repl.run()
    finally:
        session.stop()
    return 0 if exited.status in ("ok", "stopped") else 1


def replay_debug(args: argparse.Namespace, recording: object, bundle: object, secrets: dict[str, str],
                 root: Path) -> int:
    """``isoplay replay --debug``: the recording replayed under the debugger, with ``back`` (Step Back) and
    ``rcontinue`` (Reverse Continue); the project at ``root`` gives the sources (its build should be the
    recorded one: ``isoplay replay`` warned otherwise)."""
    from runtime.project import is_project
    from runtime.replay.format import trigger_from_json

    if not is_project(root):
        raise UserError("--debug needs the app's project folder (DIR) for its sources")
    trigger = trigger_from_json(recording.trigger)  # type: ignore[attr-defined]
    interactive = not args.json
    session = DebugSession(root, trigger, stop_on_entry=interactive and not args.breaks, recording=recording,
                           secrets=secrets)
    for spec in args.breaks:
        location, condition = split_condition(spec)
        try:
            file, line = parse_location(location)
        except ValueError as exc:
            raise UserError(f"--break: {exc}") from None
        session.set_breakpoint(file, line, condition=condition)
    session.start()
    repl = Repl(session, terminal_commands(), lambda text: print(text, flush=True), json_mode=args.json)
    if interactive:
        print("replaying under the debugger: `back` (sb) steps back, `rcontinue` (rc) runs back to a breakpoint",
              file=sys.stderr)
    try:
        exited = repl.run()
    finally:
        session.stop()
    return 0 if exited.status in ("ok", "stopped") else 1
