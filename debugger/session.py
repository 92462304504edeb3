"""A debug session: one invocation of a project in a debuggee process, under control.

``DebugSession`` builds the instrumented bundle (build errors raise
``BundleError`` before anything runs), starts ``debugger.worker`` in a child
process, and turns its event stream into ``debugger.protocol`` events mapped
to TypeScript positions. Every method is synchronous and thread-safe; the IDE
calls it from a worker thread and the CLI from its main thread. Commands for a
paused script are answered by the agent through shared memory; breakpoints
and pause requests are plain memory writes in the child, never a call into the
isolate.
"""

from __future__ import annotations

import itertools
import json
import os
import pickle
import queue
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from debugger import frames
from debugger.breakpoints import BreakpointSet
from debugger.build import RECORD_LIMIT, DebugBuild, MappedFrame, RawFrame, build_debug
from debugger.guard import guard
from debugger.testing import TestSelection, build_debug_test
from debugger.mailbox import FLAG_CAUGHT, FLAG_UNCAUGHT, RING_SIZE
from debugger.protocol import (
    Breakpoint, BreakpointError, Event, EventKind, Exited, Output, Paused, Resumed, Scopes, StackFrame, Value,
    Variable,
)
from debugger.worker import WorkerConfig
from runtime.errors import RuntimeDisposed
from runtime.invocation import Trigger

_REPO_ROOT = Path(__file__).resolve().parent.parent
_STEP_COMMANDS = {"over": "stepOver", "into": "stepInto", "out": "stepOut"}


class DebugCommandError(Exception):
    """A command could not run (the script is not paused, the session ended, ...)."""


class SessionEnded(DebugCommandError):
    """The invocation ended while waiting for something else."""

    def __init__(self, exited: Exited) -> None:
        super().__init__(f"the session ended ({exited.status}{': ' + exited.error if exited.error else ''})")
        self.exited = exited


class DebugSession:
    """Run one trigger of the project at ``root`` under the debugger."""

    def __init__(self, root: Path | str, trigger: Trigger, *, break_on_uncaught: bool = True,
                 break_on_caught: bool = False, eval_timeout: float = 1.0,
                 record_limit: int = RECORD_LIMIT, stop_on_entry: bool = False,
                 test: TestSelection | None = None, recording: Any = None,
                 secrets: dict[str, str] | None = None) -> None:
        self.root = Path(root).resolve()
        self.recording = recording
        """A runtime.replay Recording to replay instead of running ``trigger`` live: its values are fed
        back in order, and ``step_back`` / ``reverse_continue`` work (every run is the same)."""
        self.secrets = secrets
        self.test = test
        """Debug this test of ``isoplay test`` (debugger/testing.py) instead of running ``trigger``."""
        self.stop_on_entry = stop_on_entry
        """Pause (reason ``pause``) at the handler's first statement."""
        self.trigger = trigger
        self.eval_timeout = eval_timeout
        self.record_limit = record_limit
        """Calls of one function that keep a shadow record (see ``debugger.build.RECORD_LIMIT``)."""
        self.history: list[Event] = []
        """Every event received, in order."""
        self.paused: Paused | None = None
        """The current pause, or None while running."""
        self.exited: Exited | None = None
        self._flags = (FLAG_UNCAUGHT if break_on_uncaught else 0) | (FLAG_CAUGHT if break_on_caught else 0)
        self._build: DebugBuild | None = None
        self._breakpoints: BreakpointSet | None = None
        self._pending_bps: list[tuple[str, int, dict[str, Any]]] = []
        self._proc: subprocess.Popen[str] | None = None
        self._events: queue.Queue[Event] = queue.Queue()
        self._replies: dict[int, queue.Queue[dict[str, Any]]] = {}
        self._req_ids = itertools.count(1)
        self._lock = threading.Lock()
        self._stderr: list[str] = []
        self._threads: list[threading.Thread] = []
        self._top_from_record = False
        """The current pause is an uncaught exception whose frame is read through its shadow record."""
        self._outer: list[_OuterFrame] = []
        """Per frame of the current pause: how the agent reads it (index 0 is unused)."""

    # ---- lifecycle -----------------------------------------------------------
    @property
    def build(self) -> DebugBuild:
        """The instrumented build (after ``start``)."""
        if self._build is None:
            raise RuntimeDisposed("the session has not started")
        return self._build

    def start(self) -> None:
        """Build the project and start the invocation.

        Raises:
            ManifestError, BundleError: the project does not build.
        """
        self._build = build_debug(self.root) if self.test is None else build_debug_test(self.root, self.test.file)
        self._breakpoints = BreakpointSet(self._build)
        for file, line, options in self._pending_bps:
            self._breakpoints.add(file, line, **options)
        probes, table = self._breakpoints.agent_state()
        agent_config = self._build.agent_config(eval_timeout_ms=int(self.eval_timeout * 1000),
                                                record_limit=self.record_limit)
        cfg = WorkerConfig(str(self.root), self._build.bundle, agent_config, self.trigger, frozenset(probes), table,
                           self._flags, self.stop_on_entry, self._build.timeout_ms, self.test, self.recording,
                           self.secrets)
        fd, path = tempfile.mkstemp(prefix="isoplay-debug-", suffix=".pickle")
        with os.fdopen(fd, "wb") as fh:
            pickle.dump(cfg, fh)
        env = dict(os.environ, ISOPLAY_V8_ALLOW_EVAL="1",
                   PYTHONPATH=os.pathsep.join(filter(None, [str(_REPO_ROOT), os.environ.get("PYTHONPATH")])))
        self._proc = subprocess.Popen([sys.executable, "-m", "debugger.worker", path], stdin=subprocess.PIPE,
                                      stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, encoding="utf-8",
                                      env=env, cwd=str(self.root), bufsize=1)
        self._threads = [threading.Thread(target=self._read_events, name="debug-session-events", daemon=True),
                         threading.Thread(target=self._read_stderr, name="debug-session-stderr", daemon=True)]
        for thread in self._threads:
            thread.start()

    def stop(self, timeout: float = 5.0) -> Exited:
        """End the invocation (paused or not) and throw the isolate away."""
        proc = self._proc
        if proc is not None and proc.poll() is None:
            try:
                self._send({"op": "stop"})
            except DebugCommandError:
                pass  # the child is already going away; waiting below settles it
            try:
                proc.wait(timeout)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        for thread in self._threads:
            thread.join(timeout)
        if proc is not None:
            for pipe in (proc.stdin, proc.stdout, proc.stderr):
                if pipe is not None:
                    pipe.close()
        return self.exited or Exited("stopped")

    def __enter__(self) -> DebugSession:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # ---- events ----------------------------------------------------------------
    def next_event(self, timeout: float = 10.0) -> Event:
        """The next event, waiting up to ``timeout`` seconds.

        Raises:
            TimeoutError: nothing happened in time.
        """
        try:
            return self._events.get(timeout=timeout)
        except queue.Empty:
            raise TimeoutError(f"no debugger event within {timeout} s") from None

    def wait_for(self, kind: EventKind, timeout: float = 10.0) -> Event:
        """Skip events until one of ``kind`` arrives (outputs stay in ``history``).

        Raises:
            SessionEnded: the invocation ended first.
            TimeoutError: nothing matching in time.
        """
        deadline = time.monotonic() + timeout
        while True:
            event = self.next_event(max(0.0, deadline - time.monotonic()))
            if event.kind is kind:
                return event
            if isinstance(event, Exited):
                raise SessionEnded(event)

    def wait_paused(self, timeout: float = 10.0) -> Paused:
        """Wait for the next pause."""
        event = self.wait_for(EventKind.PAUSED, timeout)
        assert isinstance(event, Paused)
        return event

    def wait_exited(self, timeout: float = 10.0) -> Exited:
        """Wait for the end of the invocation (resuming no pause)."""
        event = self.wait_for(EventKind.EXITED, timeout)
        assert isinstance(event, Exited)
        return event

    def outputs(self) -> list[Output]:
        """Console and logpoint lines received so far."""
        return [e for e in self.history if isinstance(e, Output)]

    # ---- execution control -----------------------------------------------------
    def resume(self) -> None:
        """Continue until the next breakpoint, exception or the end."""
        self._command({"cmd": "continue"})

    def step(self, how: str) -> None:
        """Step ``over``, ``into`` or ``out``; ``back`` and ``reverse`` (replays) as ``step_back`` and
        ``reverse_continue``."""
        if how == "back":
            self.step_back()
        elif how == "reverse":
            self.reverse_continue()
        else:
            self._command({"cmd": _STEP_COMMANDS[how]})

    def step_over(self) -> None:
        """Run to the next statement of this frame (or its caller)."""
        self.step("over")

    def step_into(self) -> None:
        """Run to the next statement anywhere, entering calls."""
        self.step("into")

    def step_out(self) -> None:
        """Run until this frame has returned to its caller."""
        self.step("out")

    def step_back(self) -> None:
        """Go back to the statement executed before the paused one (a replayed invocation only).

        The replay runs again from the start, silently, to that statement's count: values,
        watches and the call stack are the earlier point's. A ``Resumed`` then a ``Paused``
        event follow, as for a step.
        """
        self._back("step")

    def reverse_continue(self) -> None:
        """Go back to the last earlier statement that has a breakpoint now (or the first statement)."""
        self._back("continue")

    def _back(self, mode: str) -> None:
        if self.recording is None:
            raise DebugCommandError("going back needs a replayed invocation (isoplay replay --debug, or "
                                    "Replay in debugger): only a replay runs the same way twice")
        reply = self._command({"cmd": "back", "mode": mode})
        self._send({"op": "restart", "target": int(reply["target"])})

    def pause(self) -> None:
        """Ask the running script to stop at its next statement."""
        self._send({"op": "pause"})

    # ---- inspection --------------------------------------------------------------
    def evaluate(self, expression: str, frame: int = 0) -> Value:
        """Evaluate ``expression`` in a paused frame; errors and timeouts come back as a failed Value.

        In any frame, assigning a ``let``/``var``/parameter changes the variable itself: the script
        sees the new value when it continues. In an outer frame, reading a variable the debugger
        cannot reach there fails with "... is not available in this frame".
        """
        try:
            args = self._frame_args(frame)
            if args.get("file") == -1 and frame > 0:
                return Value.failed(self._outer[frame].note or "that frame's variables are not available")
            reply = self._command({"cmd": "evaluate", "expr": guard(expression), **args},
                                  timeout=self.eval_timeout + 10)
        except SessionEnded:
            raise
        except DebugCommandError as exc:
            return Value.failed(str(exc))
        return Value.from_raw(reply["value"])

    def scopes(self, frame: int = 0) -> Scopes:
        """Locals, closure variables, module bindings and ``this`` of a paused frame.

        Outer frames (``frame`` > 0) show their variables' current values; where some cannot be read
        they show as ``<not available>`` and ``note`` says why.
        """
        reply = self._command({"cmd": "scopes", **self._frame_args(frame)})
        this = reply.get("this")
        note = self._outer[frame].note if frame > 0 else None
        return Scopes(frame, _vars(reply["local"]), _vars(reply["closure"]), _vars(reply["module"]),
                      Value.from_raw(this) if this else None, note)

    def properties(self, handle: int) -> tuple[Variable, ...]:
        """The children of an object value (own properties, array items, map/set entries)."""
        reply = self._command({"cmd": "props", "handle": handle})
        if reply["props"] is None:
            raise DebugCommandError("that value is no longer available (the script resumed)")
        return _vars(reply["props"])

    def value_text(self, handle: int) -> str:
        """The whole of an object value as text, for Copy Value and View Value (valid while paused).

        A string longer than the preview comes whole; a function as its source; an error as its stack; any
        other object as indented JSON of its contents (entries of Map, Set, Headers, FormData and
        URLSearchParams; the getters of platform objects such as Request, Response and URL; ``"[Circular]"``
        for a cycle; at most 10,000 items per collection and 32 levels). What the debugger's event channel
        cannot carry (about 512 KiB) is cut, and the text ends by saying so.
        """
        reply = self._command({"cmd": "fullText", "handle": handle}, timeout=self.eval_timeout + 10)
        text = reply.get("text")
        if text is None:
            raise DebugCommandError("that value is no longer available (the script resumed)")
        total = int(reply.get("total", len(text)))
        if total > len(text):
            text += (f"\n… cut at {len(text):,} of {total:,} characters (the debugger's channel carries "
                     f"{RING_SIZE // 2 // 1024} KiB at most)")
        return str(text)

    def globals(self) -> tuple[Variable, ...]:
        """The global object's own properties."""
        return _vars(self._command({"cmd": "globals"})["props"])

    # ---- breakpoints ---------------------------------------------------------------
    @property
    def breakpoints(self) -> list[Breakpoint]:
        """Every breakpoint, by id."""
        return list(self._breakpoints) if self._breakpoints is not None else []

    def set_breakpoint(self, file: str, line: int, *, condition: str | None = None, hit_count: int | None = None,
                       log_message: str | None = None) -> Breakpoint | None:
        """Add a breakpoint (before ``start`` it is applied at load; returns None until then)."""
        options = {"condition": condition, "hit_count": hit_count, "log_message": log_message}
        if self._breakpoints is None:
            self._pending_bps.append((file, line, options))
            return None
        with self._lock:
            bp = self._breakpoints.add(file, line, **options)
        self._push_breakpoints()
        return bp

    def remove_breakpoint(self, bp_id: int) -> bool:
        """Delete a breakpoint; False when there is none with that id."""
        if self._breakpoints is None:
            return False
        with self._lock:
            removed = self._breakpoints.remove(bp_id)
        self._push_breakpoints()
        return removed

    def update_breakpoint(self, bp_id: int, **changes: Any) -> Breakpoint:
        """Enable/disable or change condition, hit count or log message."""
        if self._breakpoints is None:
            raise DebugCommandError("the session has not started")
        if "condition" in changes:
            changes["error"] = None
        with self._lock:
            bp = self._breakpoints.update(bp_id, **changes)
        self._push_breakpoints()
        return bp

    def set_exception_breaks(self, *, uncaught: bool, caught: bool) -> None:
        """Choose whether uncaught / caught exceptions pause."""
        self._flags = (FLAG_UNCAUGHT if uncaught else 0) | (FLAG_CAUGHT if caught else 0)
        if self._proc is not None:
            self._send({"op": "flags", "flags": self._flags})

    # ---- plumbing ------------------------------------------------------------------
    def _frame_args(self, frame: int) -> dict[str, Any]:
        if frame == 0:
            if self._top_from_record and self.paused is not None and self._outer:
                return {**self._outer[0].args(0), "outer": 1}
            return {"frame": 0}
        pause = self.paused
        outer = self._outer
        if pause is None or frame >= len(pause.stack) or frame >= len(outer):
            raise DebugCommandError(f"no frame {frame}")
        return outer[frame].args(frame)

    def _push_breakpoints(self) -> None:
        assert self._breakpoints is not None
        with self._lock:
            probes, table = self._breakpoints.agent_state()
        if self._proc is not None and self.exited is None:
            self._send({"op": "breakpoints", "probes": sorted(probes), "table": {str(k): v for k, v in table.items()}})

    def _send(self, request: dict[str, Any]) -> None:
        proc = self._proc
        if proc is None or proc.stdin is None or self.exited is not None:
            raise DebugCommandError("the session is not running")
        try:
            with self._lock:
                proc.stdin.write(json.dumps(request) + "\n")
                proc.stdin.flush()
        except (BrokenPipeError, OSError, ValueError):
            raise DebugCommandError("the session is not running") from None

    def _command(self, cmd: dict[str, Any], timeout: float = 10.0) -> dict[str, Any]:
        req = next(self._req_ids)
        box: queue.Queue[dict[str, Any]] = queue.Queue()
        self._replies[req] = box
        try:
            self._send({"op": "cmd", "cmd": {**cmd, "req": req}})
            deadline = time.monotonic() + timeout
            while True:
                try:
                    reply = box.get(timeout=0.05)
                    break
                except queue.Empty:
                    if self.exited is not None:
                        raise SessionEnded(self.exited) from None
                    if time.monotonic() > deadline:
                        raise DebugCommandError("the debuggee did not answer") from None
        finally:
            self._replies.pop(req, None)
        if reply.get("k") == "error":
            raise DebugCommandError(str(reply.get("message")))
        return reply

    def _read_stderr(self) -> None:
        assert self._proc is not None and self._proc.stderr is not None
        for line in self._proc.stderr:
            self._stderr.append(line)
            del self._stderr[:-200]

    def _read_events(self) -> None:
        assert self._proc is not None and self._proc.stdout is not None
        for line in self._proc.stdout:
            if not line.strip():
                continue
            raw = json.loads(line)
            req = raw.get("req")
            if req and req in self._replies:
                self._replies[req].put(raw)
                if raw.get("k") != "resumed":
                    continue
            event = self._decode(raw)
            if event is not None:
                self._publish(event)
        code = self._proc.wait()
        if self.exited is None:
            tail = "".join(self._stderr[-20:]).strip()
            why = tail.splitlines()[-1] if tail else f"the debuggee process died (exit status {code})"
            self._publish(Exited("crashed", why))

    def _publish(self, event: Event) -> None:
        if isinstance(event, Paused):
            self.paused = event
        elif isinstance(event, (Resumed, Exited)):
            self.paused = None
        if isinstance(event, Exited):
            self.exited = event
        self.history.append(event)
        self._events.put(event)

    def _decode(self, raw: dict[str, Any]) -> Event | None:
        kind = raw.get("k")
        if kind == "paused":
            return self._decode_paused(raw)
        if kind == "resumed":
            return Resumed()
        if kind == "output":
            return Output(str(raw.get("level", "log")), str(raw.get("text", "")), raw.get("bp"))
        if kind == "bperror":
            bp_id = int(raw["bp"])
            if self._breakpoints is not None and self._breakpoints.get(bp_id) is not None:
                with self._lock:
                    self._breakpoints.update(bp_id, error=str(raw["message"]))
            return BreakpointError(bp_id, str(raw["message"]))
        if kind == "exited":
            return self._decode_exited(raw)
        if kind == "error":
            return Output("error", f"debugger: {raw.get('message')}")
        return None

    def _decode_exited(self, raw: dict[str, Any]) -> Exited:
        """The end of the invocation, with error positions at the user's own columns (see
        ``DebugBuild.original_positions``), so a throw reads the same as in ``isoplay run``."""
        fix = self._build.original_positions if self._build is not None else (lambda text: text)
        error = raw.get("error")
        result = raw.get("result")
        if isinstance(result, dict) and isinstance(result.get("error"), dict):
            info = dict(result["error"])
            for key in ("message", "stack"):
                if isinstance(info.get(key), str):
                    info[key] = fix(info[key])
            result = {**result, "error": info}
        return Exited(str(raw.get("status")), fix(error) if isinstance(error, str) else error, result, raw.get("test"))

    def _decode_paused(self, raw: dict[str, Any]) -> Paused:
        build = self.build
        frames = [build.map_frame(RawFrame(f[0], int(f[1]), int(f[2]), bool(f[3]))) for f in raw.get("stack", [])]
        self._outer = _outer_frames(build, frames, [int(f) for f in raw.get("chain", [])],
                                    frozenset(int(r) for r in raw.get("hot", ())), self.record_limit)
        asyncs = [bool(f[3]) for f in raw.get("stack", [])]
        probe = build.probes[int(raw.get("probe", 0))] if 0 < int(raw.get("probe", 0)) < len(build.probes) else None
        stack: list[StackFrame] = [StackFrame(i, f.function, f.file, f.line, f.column, asyncs[i])
                                   for i, f in enumerate(frames)]
        if probe is not None and (raw["reason"] != "exception" or not stack):
            top = StackFrame(0, probe.function, probe.file, probe.line, probe.column)
            stack = [top, *stack[1:]] if stack else [top]
        if not stack:
            stack = [StackFrame(0, "<unknown>", "<unknown>", 0, 0)]
        exc = raw.get("exception")
        count = raw.get("count")
        # An uncaught exception pauses in the function's own catch-all, where only its parameters and
        # ``var``s are still in scope: the frame's block-scoped locals (``const url``...) are read through
        # its shadow record instead, as for an outer frame, when it has one.
        top = self._outer[0] if self._outer else None
        self._top_from_record = (raw.get("reason") == "exception" and bool(raw.get("uncaught", True))
                                 and top is not None and top.plan is not None and top.record is not None
                                 and top.plan.accessor is not None and not top.plan.hot)
        return Paused(raw["reason"], tuple(stack), tuple(raw.get("hit", ())),
                      Value.from_raw(exc) if exc else None, raw.get("text"), bool(raw.get("uncaught", True)),
                      int(count) if isinstance(count, int) else None)


@dataclass(frozen=True)
class _OuterFrame:
    """What the agent needs to read one outer frame, and what to tell the user when it cannot."""

    file_index: int
    plan: frames.FramePlan | None
    """None when the frame is not in an instrumented file."""
    record: int | None
    """Index of its shadow record in the pause's chain."""
    note: str | None

    def args(self, frame: int) -> dict[str, Any]:
        """The command fields for this frame."""
        plan = self.plan
        if plan is None:
            return {"frame": frame, "file": self.file_index, "rec": -1, "acc": None, "this": 0, "vars": []}
        rec = self.record if self.record is not None else -1
        return {"frame": frame, "file": self.file_index, "rec": rec, "acc": plan.accessor if rec >= 0 else None,
                "this": int(plan.this and rec >= 0),
                "vars": [[v.name, v.index if rec >= 0 else -1, int(v.local), int(v.writable)] for v in plan.vars]}


def _outer_frames(build: DebugBuild, mapped: list[MappedFrame], chain: list[int], hot: frozenset[int],
                  limit: int) -> list[_OuterFrame]:
    plans: list[frames.FramePlan | None] = []
    for f in mapped:
        src = build.file(f.file)
        plans.append(frames.plan(src, f.line, f.column, hot) if src is not None else None)
    records = frames.match([p.function if p is not None else 0 for p in plans], chain, hot)
    out: list[_OuterFrame] = []
    for f, plan, record in zip(mapped, plans, records):
        where = f"{f.function} ({f.file}:{f.line})"
        note: str | None = None
        if plan is None:
            note = f"{where} is not in the project's instrumented sources: its variables are not available"
        elif plan.vars and not plan.has_records:
            note = (f"{where} makes no calls, so the debugger keeps no record of its variables (it stopped in "
                    "a getter or a conversion it triggered): they are not available")
        elif plan.vars and plan.function in hot:
            note = (f"{plan.function_name} ran more than {limit:,} times, so the debugger stopped keeping "
                    "records of its calls to keep it fast: its variables are not available in outer frames")
        elif plan.vars and record is None:
            note = (f"no record of this call of {plan.function_name} was found on the call chain (it may have "
                    "been lost across an await): its variables are not available")
        elif not plan.complete and plan.hot:
            missing = ", ".join(v.name for v in plan.vars if v.index < 0)
            note = (f"not available where {plan.function_name} stopped (a block that ran more than {limit:,} "
                    f"times, so the debugger stopped keeping records of it to keep it fast): {missing}")
        elif not plan.complete:
            missing = ", ".join(v.name for v in plan.vars if v.index < 0)
            note = (f"not available where {plan.function_name} stopped (a loop head, a switch or a block "
                    f"the debugger does not track): {missing}")
        out.append(_OuterFrame(build.file_index(f.file), plan, record, note))
    return out


def _vars(rows: Iterable[list[Any]]) -> tuple[Variable, ...]:
    return tuple(Variable(str(name), Value.from_raw(desc)) for name, desc in rows)
