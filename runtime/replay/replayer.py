"""Replay a recording: the recorded trigger, in a fresh isolate, on the recorded values.

``replay()`` loads the bundle into a new isolate whose env has the local values
of the recording's placeholders, and drives the invocation crossing by
crossing (``ScriptIsolate.replay``): each crossing gets the prelude tape
(clock, random) and the host-op results the recorded one got, grouped as they
were, so timers fire in the recorded order and nothing waits. The first thing
the code asks for that the recording does not have stops the replay with a
``ReplayDivergence``: where (a TypeScript position through the source map),
what was recorded, what was asked.
"""

from __future__ import annotations

import asyncio
import json
import re
from dataclasses import dataclass, field
from typing import Any

from runtime.bundler import Bundle
from runtime.errors import Location
from runtime.invocation import InvocationResult, LogEntry
from runtime.isolate import ScriptHost, ScriptIsolate
from runtime.replay.format import Recording, body_json, trigger_from_json
from runtime.replay.redact import Redactor, placeholder
from runtime.sourcemap import map_stack

_PLACEHOLDER_RE = re.compile(r"<isoplay:(secret|var):([^>]+)>")
_SHOW = 240


def describe_op(name: str, args: Any) -> str:
    """``kv.get {"binding":"KV","key":"a"}``, cut to a readable length."""
    text = json.dumps(args, separators=(",", ":"), ensure_ascii=False)
    if len(text) > _SHOW:
        text = text[:_SHOW] + f"... ({len(text)} characters)"
    return f"{name} {text}"


class ReplayDivergence(Exception):
    """The replayed code asked for something the recording does not have at that point."""

    def __init__(self, recorded: str, asked: str, where: Location | None, step: int,
                 logs: list[LogEntry] | None = None) -> None:
        self.recorded, self.asked, self.where, self.step = recorded, asked, where, step
        self.logs = list(logs or [])
        super().__init__(self.message())

    def message(self) -> str:
        """Several lines: where, what was recorded, what was asked."""
        at = f" at {self.where}" if self.where else ""
        return (f"replay diverged{at} (crossing {self.step + 1})\n"
                f"  recorded: {self.recorded}\n  asked:    {self.asked}")


def _where(stack: str, isolate: ScriptIsolate) -> Location | None:
    _, frames = map_stack(stack, isolate.bundle.script_url, isolate.smap)
    for frame in frames:
        if not frame.file.startswith("isoplay://"):
            return Location(frame.file, frame.line, frame.column)
    return None


class Feed:
    """A recording's steps, filled with local values, as ``ScriptIsolate.replay`` consumes them."""

    def __init__(self, recording: Recording, redactor: Redactor) -> None:
        self.recording = recording
        self.steps: list[dict[str, Any]] = redactor.fill(recording.steps)
        self.lenient = recording.partial
        self._ids: dict[int, int] = {}
        """Recorded op number -> the op's id in this isolate."""

    def tape(self, index: int) -> list[Any]:
        """The prelude tape of crossing ``index``."""
        return list(self.steps[index].get("tape") or []) if index < len(self.steps) else []

    def check(self, index: int, state: dict[str, Any], isolate: ScriptIsolate, logs: list[LogEntry]) -> None:
        """Compare crossing ``index``'s State with the recording's.

        Raises:
            ReplayDivergence: the prelude or a host op asked for what the recording lacks.
        """
        div = state.get("divergence")
        if div:
            what = str(div.get("what", ""))
            recorded, _, asked = what.partition("; the code asked for ")
            recorded = recorded.removeprefix("the recording has ").removesuffix(" here")
            raise ReplayDivergence(recorded, asked or what, _where(str(div.get("stack", "")), isolate), index, logs)
        expected = self.steps[index].get("ops") or [] if index < len(self.steps) else []
        live = state.get("ops") or []
        for i, op in enumerate(live):
            stack = str(op[3]) if len(op) > 3 else ""
            if i >= len(expected):
                raise ReplayDivergence("no further host call here", describe_op(op[1], op[2]),
                                       _where(stack, isolate), index, logs)
            n, name, args = expected[i]
            if name != op[1] or args != op[2]:
                raise ReplayDivergence(describe_op(name, args), describe_op(op[1], op[2]),
                                       _where(stack, isolate), index, logs)
            self._ids[int(n)] = op[0]
        if len(live) < len(expected) and state.get("done") is None:
            n, name, args = expected[len(live)]
            raise ReplayDivergence(describe_op(name, args), "no host call (the code did not ask for it)",
                                   None, index, logs)

    def step(self, index: int) -> tuple[str, list[list[Any]], list[Any]] | None:
        """Crossing ``index``: (cross, settles with this isolate's op ids, tape); None past the end."""
        if index >= len(self.steps):
            return None
        step = self.steps[index]
        settles = [[self._ids[int(n)], ok, value] for n, ok, value in step.get("settle") or ()
                   if int(n) in self._ids]
        return str(step.get("cross", "resume")), settles, self.tape(index)

    def limit_kind(self) -> str:
        """Which limit ended the recorded run (its replay ends the same way)."""
        return "memory" if self.recording.outcome == "memory" else "timeout"


@dataclass
class ReplayResult:
    """What a replay produced, next to what was recorded."""

    recording: Recording
    result: InvocationResult | None
    divergence: ReplayDivergence | None = None
    warnings: list[str] = field(default_factory=list)
    redactor: Redactor | None = None

    def replayed(self) -> dict[str, Any]:
        """The replay's result in the recording's ``result`` shape, redacted like it."""
        r = self.result
        if r is None:
            return {}
        out = {"outcome": r.outcome, "status": r.status, "statusText": r.status_text,
               "headers": [list(h) for h in r.headers], "body": body_json(r.body), "value": r.value,
               "logs": [[e.level, e.time, e.message] for e in r.logs], "error": _error_json(r)}
        out = json.loads(json.dumps(out))
        return self.redactor.redact(out) if self.redactor is not None else out

    def differences(self) -> list[str]:
        """How the replay's response and logs differ from the recorded ones (empty: identical)."""
        if self.divergence is not None:
            return [str(self.divergence)]
        got, want = self.replayed(), self.recording.result
        diffs = []
        want = {**want, "error": _error_key(want.get("error"))}
        for key in ("outcome", "status", "statusText", "headers", "body", "value", "logs", "error"):
            if got.get(key) != want.get(key):
                diffs.append(f"{key}: recorded {json.dumps(want.get(key))[:300]}, "
                             f"replayed {json.dumps(got.get(key))[:300]}")
        return diffs


def _error_json(r: InvocationResult) -> dict[str, Any] | None:
    if r.error is None:
        return None
    loc = r.error.location
    return _error_key({"name": r.error.name, "message": r.error.message, "where": str(loc) if loc else None})


def _error_key(error: dict[str, Any] | None) -> dict[str, Any] | None:
    """What of an error a replay must reproduce: its name, message and TypeScript position."""
    if not error:
        return None
    return {"name": error.get("name"), "message": error.get("message"), "where": error.get("where")}


def local_redactor(recording: Recording, bundle: Bundle, secrets: dict[str, str] | None) -> tuple[Redactor, dict[str, str], list[str]]:
    """The redactor of a local replay, the secrets its env gets, and warnings.

    A secret the recording redacted and the user has no value for replays as its
    placeholder text (consistently: the replay still matches).
    """
    local = dict(secrets or {})
    warnings: list[str] = []
    env_secrets = dict(local)
    for text in recording.redacted:
        m = _PLACEHOLDER_RE.fullmatch(text)
        if m and m.group(1) == "secret" and m.group(2) not in local:
            env_secrets[m.group(2)] = placeholder("secret", m.group(2))
            warnings.append(f"secret {m.group(2)} has no local value (.dev.vars / .isoplay/secrets.toml): "
                            f"it replays as {placeholder('secret', m.group(2))}")
    return Redactor(local, dict(bundle.manifest.vars)), env_secrets, warnings


async def replay(recording: Recording, bundle: Bundle, *, secrets: dict[str, str] | None = None,
                 timeout_ms: int | None = None, isolate: ScriptIsolate | None = None) -> ReplayResult:
    """Replay ``recording`` with ``bundle`` in a fresh isolate (or the given, unused ``isolate``).

    A bundle whose content hash is not the recorded one still replays, with a
    warning: the first difference that matters is reported as a divergence.
    """
    redactor, env_secrets, warnings = local_redactor(recording, bundle, secrets)
    if bundle.content_hash != recording.bundle_hash:
        warnings.insert(0, f"the bundle's content hash {bundle.content_hash[:12]} is not the recorded "
                           f"{recording.bundle_hash[:12]}: the code changed since the recording")
    own = isolate is None
    host = ScriptHost(script_name=bundle.manifest.name, secrets=env_secrets)
    if isolate is None:
        isolate = ScriptIsolate(bundle, host, loop=asyncio.get_running_loop())
    feed = Feed(recording, redactor)
    try:
        result = await isolate.replay(trigger_from_json(redactor.fill(recording.trigger)), feed,
                                      timeout_ms=timeout_ms)
    except ReplayDivergence as div:
        return ReplayResult(recording, None, div, warnings, redactor)
    finally:
        if own:
            isolate.close()
            await host.aclose()
    return ReplayResult(recording, result, None, warnings, redactor)
