"""The terminal debugger: gdb-style commands over a DebugSession, as text or JSON lines.

``Repl.run()`` waits for events; whenever the script pauses it reads commands
(from the terminal or a script file) until one resumes it. With ``json=True``
every event is one JSON object per line, which makes the debugger scriptable.
When a command script runs out while the script is paused, the session is
stopped.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from debugger.breakpoints import parse_location
from debugger.protocol import Breakpoint, BreakpointError, Event, Exited, Output, Paused, Resumed, Value
from debugger.session import DebugCommandError, DebugSession
from runtime.errors import UserError

ALIASES = {"b": "break", "d": "delete", "c": "continue", "n": "next", "s": "step", "o": "out", "finish": "out",
           "p": "print", "l": "locals", "where": "bt", "w": "bt", "f": "frame", "q": "quit", "exit": "quit",
           "sb": "back", "rc": "rcontinue"}
"""One-letter (and gdb) aliases of the commands."""
RESUMING = {"continue", "next", "step", "out", "quit", "back", "rcontinue"}


def split_condition(text: str) -> tuple[str, str | None]:
    """``FILE:LINE if COND`` -> (``FILE:LINE``, ``COND``)."""
    location, sep, condition = text.partition(" if ")
    return location.strip(), (condition.strip() or None) if sep else None


class Repl:
    """Drive one session with commands from ``commands`` and print events via ``write``."""

    def __init__(self, session: DebugSession, commands: Iterator[str], write: Callable[[str], None], *,
                 json_mode: bool = False) -> None:
        self.session = session
        self.commands = commands
        self.write = write
        self.json = json_mode
        self.frame = 0
        self.watches: list[str] = []

    # ---- output -----------------------------------------------------------------
    def emit(self, obj: dict[str, Any], text: str) -> None:
        """Print one event as JSON or as text."""
        self.write(json.dumps(obj) if self.json else text)

    def show_event(self, event: Event) -> None:
        """Render an event from the session."""
        if isinstance(event, Output):
            self.emit(event.to_json(), f"[{event.level}] {event.text}")
        elif isinstance(event, BreakpointError):
            self.emit(event.to_json(), f"breakpoint {event.breakpoint}: condition failed: {event.message}")
        elif isinstance(event, Paused):
            self.frame = 0
            where = f"{event.top.file}:{event.top.line}:{event.top.column} in {event.top.function}"
            extra = f" ({event.exception_text})" if event.exception_text else ""
            self.emit(event.to_json(), f"paused ({event.reason}) at {where}{extra}\n{self.source_line(event)}")
            for expr in self.watches:
                self.show_value(expr, self.session.evaluate(expr, 0))
        elif isinstance(event, Exited):
            text = f"exited: {event.status}" + (f" -- {event.error}" if event.error else "")
            self.emit(event.to_json(), text)

    def source_line(self, event: Paused) -> str:
        """``  12  const x = ...`` for the paused line (empty when unreadable)."""
        try:
            lines = (self.session.root / event.top.file).read_text(encoding="utf-8").splitlines()
            return f"{event.top.line:5}  {lines[event.top.line - 1].strip()}"
        except (OSError, IndexError):
            return ""

    def show_value(self, expr: str, value: Value) -> None:
        """Print an evaluation result."""
        if value.error is not None:
            self.emit({"event": "value", "expr": expr, "value": None, "type": "error", "error": value.error},
                      f"{expr}: error: {value.error}")
        else:
            self.emit({"event": "value", "expr": expr, "value": value.preview, "type": value.type},
                      f"{expr} = {value.preview}")

    def error(self, message: str) -> None:
        """Print a command error."""
        self.emit({"event": "error", "message": message}, f"error: {message}")

    # ---- loop -------------------------------------------------------------------------
    def run(self) -> Exited:
        """Process events and commands until the invocation ends."""
        while True:
            try:
                event = self.session.next_event(timeout=3600)
            except KeyboardInterrupt:
                self.session.pause()
                continue
            if isinstance(event, Resumed):
                continue
            self.show_event(event)
            if isinstance(event, Exited):
                return event
            if isinstance(event, Paused) and not self.prompt():
                exited = self.session.stop()
                self.show_event(exited)
                return exited

    def prompt(self) -> bool:
        """Read commands until one resumes the script; False when it should stop."""
        for line in self.commands:
            line = line.strip()
            if not line or line.startswith("#"):
                continue
            name, _, rest = line.partition(" ")
            name = ALIASES.get(name, name)
            if name == "quit":
                return False
            try:
                self.execute(name, rest.strip())
            except (DebugCommandError, ValueError) as exc:
                self.error(str(exc))
                continue
            if name in RESUMING:
                return True
        return False

    def execute(self, name: str, arg: str) -> None:
        """Run one command."""
        s = self.session
        if name == "continue":
            s.resume()
        elif name in ("next", "step", "out"):
            s.step({"next": "over", "step": "into", "out": "out"}[name])
        elif name == "back":  # replays only: runs again from the start to the previous statement
            s.step_back()
        elif name == "rcontinue":
            s.reverse_continue()
        elif name == "print":
            self.show_value(arg, s.evaluate(arg, self.frame))
        elif name == "locals":
            self.show_locals()
        elif name == "bt":
            self.show_stack()
        elif name == "frame":
            self.select_frame(int(arg or "0"))
        elif name == "watch":
            self.watches.append(arg)
            self.show_value(arg, s.evaluate(arg, self.frame))
        elif name == "break":
            self.add_breakpoint(arg)
        elif name == "delete":
            if not s.remove_breakpoint(int(arg)):
                raise ValueError(f"no breakpoint {arg}")
            self.emit({"event": "deleted", "id": int(arg)}, f"deleted breakpoint {arg}")
        else:
            raise ValueError(f"unknown command {name!r} (break, delete, continue, next, step, out, back, "
                             "rcontinue, print, locals, bt, frame, watch, quit)")

    def add_breakpoint(self, arg: str) -> None:
        """``break FILE:LINE [if COND]``."""
        location, condition = split_condition(arg)
        file, line = parse_location(location)
        bp = self.session.set_breakpoint(file, line, condition=condition)
        assert bp is not None
        self.report_breakpoint(bp)

    def report_breakpoint(self, bp: Breakpoint) -> None:
        """Print where a breakpoint was set (and whether it moved or is unverified)."""
        where = f"{bp.file}:{bp.actual_line or bp.line}"
        note = {"moved": f" (moved from line {bp.line})", "unverified": " (unverified: no statement there)"}
        self.emit({"event": "breakpoint", "id": bp.id, "file": bp.file, "line": bp.actual_line or bp.line,
                   "requested_line": bp.line, "status": bp.status, "condition": bp.condition},
                  f"breakpoint {bp.id} at {where}{note.get(bp.status, '')}")

    def show_locals(self) -> None:
        """Locals (and closure variables) of the selected frame; a note says what an outer frame cannot show."""
        scopes = self.session.scopes(self.frame)
        local = {v.name: v.value.preview for v in scopes.locals}
        closure = {v.name: v.value.preview for v in scopes.closure}
        obj: dict[str, Any] = {"event": "locals", "frame": self.frame, "vars": local, "closure": closure}
        if scopes.this is not None:
            obj["this"] = scopes.this.preview
        if scopes.note is not None:
            obj["note"] = scopes.note
        lines = [f"{k} = {v}" for k, v in {**local, **closure}.items()] or ["(no locals)"]
        if scopes.note is not None:
            lines.append(f"({scopes.note})")
        self.emit(obj, "\n".join(lines))

    def show_stack(self) -> None:
        """The call stack of the current pause."""
        pause = self.session.paused
        if pause is None:
            raise DebugCommandError("the script is not paused")
        text = "\n".join(f"{'>' if f.index == self.frame else ' '} #{f.index} {f.function} at "
                         f"{f.file}:{f.line}:{f.column}" for f in pause.stack)
        self.emit({"event": "stack", "stack": [f.to_json() for f in pause.stack]}, text)

    def select_frame(self, index: int) -> None:
        """Make frame ``index`` the one print/locals use."""
        pause = self.session.paused
        if pause is None or not 0 <= index < len(pause.stack):
            raise ValueError(f"no frame {index}")
        self.frame = index
        f = pause.stack[index]
        self.emit({"event": "frame", "frame": index, **f.to_json()},
                  f"#{index} {f.function} at {f.file}:{f.line}:{f.column}")


def leading_lines(lines: list[str]) -> list[str]:
    """The script's leading ``break`` commands, with the blank and comment lines among them."""
    out: list[str] = []
    for line in lines:
        text = line.strip()
        name = text.partition(" ")[0]
        if text and not text.startswith("#") and ALIASES.get(name, name) != "break":
            break
        out.append(line)
    return out


def leading_breaks(lines: list[str], source: Path | str = "script") -> list[tuple[str, int, str | None]]:
    """``(file, line, condition)`` of the script's leading ``break`` commands (applied before the invocation
    starts, as ``gdb -x`` does).

    Raises:
        UserError: a leading ``break`` is malformed (named with the script's line number).
    """
    out: list[tuple[str, int, str | None]] = []
    for number, line in enumerate(leading_lines(lines), 1):
        text = line.strip()
        if not text or text.startswith("#"):
            continue
        location, condition = split_condition(text.partition(" ")[2].strip())
        try:
            file, at = parse_location(location)
        except ValueError as exc:
            raise UserError(f"{source}:{number}: break: {exc}") from None
        out.append((file, at, condition))
    return out


def script_commands(path: Path) -> Iterator[str]:
    """Commands from a script file, one per line."""
    yield from path.read_text(encoding="utf-8").splitlines()


def terminal_commands(prompt: str = "(isoplay-debug) ") -> Iterator[str]:
    """Commands typed at the terminal; ends at EOF. An empty line repeats the last command (as in pdb and gdb),
    and at a real terminal the line can be edited and earlier commands recalled with Up (readline)."""
    if sys.stdin.isatty():
        try:
            import readline  # noqa: F401  (importing it is what turns line editing on for input())
        except ImportError:  # Windows has no readline module
            pass
    last = ""
    while True:
        try:
            line = input(prompt)
        except EOFError:
            return
        if line.strip():
            last = line
        elif last:
            line = last
        yield line
