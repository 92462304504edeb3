"""The host side of recording: what one invocation's crossings carried, kept cheaply.

``ScriptIsolate`` (with ``record`` set) gives every invocation a ``Tape`` and
appends one step per crossing: the settles it delivered (host-op results, by the
op's id in the isolate), the State that came back (its prelude tape of clock and
random readings, and the ops it asked for). Nothing is copied or encoded while
the invocation runs; ``to_recording`` numbers the ops from 0, redacts and
builds the ``Recording`` only for an invocation the policy keeps.
"""

from __future__ import annotations

import time
from typing import Any

from runtime.invocation import InvocationResult, Trigger
from runtime.replay.format import Recording, body_json, trigger_json
from runtime.replay.redact import Redactor


class Tape:
    """The crossings of one recorded invocation, as they happened."""

    __slots__ = ("body", "body_cut", "partial", "started", "steps", "trigger")

    def __init__(self, trigger: Trigger, state: dict[str, Any] | None = None) -> None:
        """``state``: the State the invoking crossing returned, when it is known (``step("invoke", ...)``)."""
        self.trigger = trigger
        self.started = time.time()
        self.partial = False
        self.body: bytes | None = None
        """The response body streamed to the caller (the result's own ``body`` is then empty), when kept."""
        self.body_cut = False
        """The streamed body passed runtime.isolate.RECORD_STREAMED_BODY_MAX: not recordable."""
        self.steps: list[tuple[str, Any, Any, Any]]
        """(cross, settles, prelude tape, ops) per crossing."""
        if state is None:
            self.steps = []
            return
        # step("invoke", None, state) inlined: every invocation of a recording isolate comes here
        tape = state.get("tape")
        if tape and tape[-1][0] == "cut":
            self.partial = True
        self.steps = [("invoke", None, tape, state.get("ops"))]

    def step(self, cross: str, settles: Any, state: dict[str, Any]) -> None:
        """One crossing: what went in (``settles``) and the State that came back."""
        tape = state.get("tape")
        if tape and tape[-1][0] == "cut":
            self.partial = True
        self.steps.append((cross, settles, tape, state.get("ops")))

    def send(self, cross: str, settles: Any) -> None:
        """A crossing begins with ``settles`` (``got`` adds what came back)."""
        self.steps.append((cross, settles, None, None))

    def got(self, state: dict[str, Any]) -> None:
        """The State the crossing ``send`` began returned."""
        cross, settles, _, _ = self.steps.pop()
        self.step(cross, settles, state)

    def cut(self, tape: Any) -> None:
        """A limit stopped the invocation inside a crossing; ``tape`` is what the prelude still had."""
        self.partial = True
        if not self.steps:
            self.steps.append(("invoke", None, tape, None))
        elif tape:
            cross, settles, old, ops = self.steps[-1]
            self.steps[-1] = (cross, settles, [*(old or ()), *tape], ops)

    def to_recording(self, result: InvocationResult, *, bundle_hash: str, app: str = "", version: str = "",
                     redactor: Redactor | None = None) -> Recording:
        """The kept form: ops numbered from 0 in the order asked, values redacted."""
        numbers: dict[int, int] = {}
        steps: list[dict[str, Any]] = []
        for cross, settles, tape, ops in self.steps:
            step: dict[str, Any] = {"cross": cross}
            if settles:
                step["settle"] = [[numbers[s[0]], s[1], s[2]] for s in settles if s[0] in numbers]
            if tape:
                step["tape"] = list(tape)
            if ops:
                out = []
                for op in ops:
                    n = numbers.setdefault(op[0], len(numbers))
                    out.append([n, op[1], op[2]])
                step["ops"] = out
            steps.append(step)
        error = None
        if result.error is not None:
            loc = result.error.location
            error = {"name": result.error.name, "message": result.error.message, "stack": result.error.stack,
                     "kind": result.error.kind, "where": str(loc) if loc else None}
        out_result: dict[str, Any] = {
            "outcome": result.outcome, "status": result.status, "statusText": result.status_text,
            "headers": [list(h) for h in result.headers],
            "body": body_json(self.body if self.body is not None else result.body), "value": result.value,
            "logs": [[e.level, e.time, e.message] for e in result.logs], "error": error, "limit": result.limit,
        }
        trig = trigger_json(self.trigger)
        redacted: list[str] = []
        if redactor is not None:
            trig, steps, out_result = redactor.redact(trig), redactor.redact(steps), redactor.redact(out_result)
            redacted = redactor.used([trig, steps, out_result])
        return Recording(trigger=trig, bundle_hash=bundle_hash, steps=steps, result=out_result, app=app,
                         version=version, started=self.started, duration_ms=result.duration_ms,
                         redacted=redacted, partial=self.partial)
