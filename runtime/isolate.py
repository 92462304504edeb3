"""A script loaded into one V8 isolate, and the loop that drives an invocation.

One invocation is one crossing when the handler settles without host I/O:
``__isoplay.invoke(spec)`` starts the handler, drains microtasks and returns the
settled State. When the script waits on host work (KV, fetch) or a timer, the
State lists the ops and the next timer; this module runs the ops on the asyncio
loop and crosses again with ``__isoplay.resume(settles)`` until it is done.
"""

from __future__ import annotations

import asyncio
import base64
import itertools
import json
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from runtime import hostops
from runtime.bundler import Bundle
from runtime.compat.hints import explain as explain_error
from runtime.engine import EvalFailed, EvalOutOfMemory, EvalTimedOut, V8Isolate, body_credit, dumpb, dumps
from runtime.errors import ScriptError
from runtime.invocation import ErrorInfo, HttpRequest, InvocationResult, LogEntry, Outcome, Trigger
from runtime.replay.tape import Tape
from runtime.sourcemap import SourceMap, map_stack
from runtime.stock import load_prelude
from runtime.webapi.chunks import BODY_GAP_CREDIT_S_PER_BYTE
from runtime.webapi.request_body import INLINE_BODY_BYTES, MAX_WAIT_CREDIT_S, BodyFailed
from runtime.webapi.streaming import ResponseStream

MB = 1024 * 1024
_ids = itertools.count(1)
HEAP_SAMPLE_INTERVAL = 0.25
"""Seconds between heap samples of one isolate (see ScriptIsolate._heap)."""
BATCH_BUDGET_MS = 2
"""A batch starts no further invocation once it has run this long (see run_batch)."""
RECORD_STREAMED_BODY_MAX = 4 * MB
"""A recorded invocation keeps a copy of a body streamed to its caller up to this size (its recording
holds the body a replay answers); a longer streamed body makes the invocation unrecordable."""
RECENT_INPUTS = 64
"""Inputs of each kind of crossing an isolate remembers (hashes), to tell a repeated one (see ``ScriptIsolate._repeated``)."""


@dataclass(frozen=True)
class Pending:
    """An invocation a batch started that now waits on host work or timers."""

    trigger: Trigger
    started: float
    """time.perf_counter() when its crossing began."""
    deadline: float
    """time.monotonic() at which it hits timeout_ms."""
    state: dict[str, Any]
    """The State its crossing returned."""
    queue_ms: float = 0.0
    """How long it waited before its crossing."""
    tape: Any = None
    """Its runtime.replay.Tape when the isolate records."""
    body: Any = None
    """Its streamed request body (released when it finishes)."""


class _Body:
    """The streamed response body of the invocation being driven (see host.ts, "streamed response bodies")."""

    def __init__(self, on_head: Callable[[InvocationResult], None] | None) -> None:
        self.on_head = on_head
        """Receives the early result when a streamed head arrives; None collects the whole body instead."""
        self.head: dict[str, Any] | None = None
        self.stream: ResponseStream | None = None
        self.parts: list[bytes] = []
        """The body so far, when collecting."""
        self.cancel_sent = False
        self.copy: list[bytes] | None = []
        """A recorded invocation's streamed body, kept for its recording (the stream hands the chunks on);
        None once it passed RECORD_STREAMED_BODY_MAX."""
        self.copied = 0

    def fail(self, message: str) -> None:
        if self.stream is not None:
            self.stream.fail(message)


@dataclass(frozen=True)
class Batch:
    """What one batch crossing produced."""

    results: list[InvocationResult]
    """Results of the invocations that finished, in order."""
    pending: Pending | None
    """The invocation after them that still waits, if any."""
    started: int
    """How many of the given triggers were started (results + pending)."""


@dataclass
class ScriptHost:
    """What a script's host ops reach: its manifest data, KV stores, HTTP client.

    One per script version, shared by all its isolates. Implements
    ``runtime.hostops.HostContext``.
    """

    script_name: str
    fetch_allow: tuple[str, ...] = ()
    kv_store: Any = None
    """The runtime.kv.KVStore behind the script's bindings (owned by the caller)."""
    secrets: dict[str, str] = field(default_factory=dict)
    codecs: Any = field(default=None, repr=False)
    """Open CompressionStream codecs of this script (runtime/webapi/compression.py)."""
    cache_store: Any = None
    """The runtime.webapi.cache.CacheStore behind ``caches`` (owned by the caller)."""
    kv_bindings: frozenset[str] | None = None
    """The KV bindings the manifest declares (set from the bundle by ScriptIsolate). A host
    op naming any other is refused: a script can forge ops (it can replace the globals the
    prelude serialises its state with), so the host checks what it serves."""
    d1_store: Any = None
    """The runtime.d1.store.D1Store behind the script's D1 bindings (owned by the caller)."""
    r2_store: Any = None
    """The runtime.r2.store.R2Store behind the script's R2 bindings (owned by the caller)."""
    assets: Any = None
    """The runtime.assets.Assets behind the ``[assets]`` binding, if any."""
    _http: Any = None
    _sockets: Any = None

    def d1(self, binding: str) -> Any:
        """The D1 database behind ``binding`` (LookupError: the script has no such binding)."""
        if self.d1_store is None:
            raise hostops.HostOpError("Error", f"D1 binding {binding} is not available here")
        return self.d1_store.database(binding)

    def r2(self, binding: str) -> Any:
        """The R2 bucket behind ``binding`` (LookupError: the script has no such binding)."""
        if self.r2_store is None:
            raise hostops.HostOpError("Error", f"R2 binding {binding} is not available here")
        return self.r2_store.bucket(binding)

    def kv(self, binding: str) -> Any:
        """The KV namespace store behind ``binding``."""
        if self.kv_store is None:
            raise hostops.HostOpError("Error", f"KV binding {binding} is not available here")
        if self.kv_bindings is not None and binding not in self.kv_bindings:
            raise LookupError(binding)
        return self.kv_store.namespace(binding)

    @property
    def sockets(self) -> Any:
        """The script's WebSocket hub (runtime.webapi.websocket.SocketHub), made on first use."""
        if self._sockets is None:
            from runtime.webapi.websocket import SocketHub

            self._sockets = SocketHub()
        return self._sockets

    def cache(self) -> Any:
        """The Cache API store behind ``caches.default`` / ``caches.open``."""
        if self.cache_store is None:
            raise hostops.HostOpError("Error", "the Cache API is not available here")
        return self.cache_store

    def http(self) -> Any:
        """The script's fetch client (runtime.fetch.FetchClient, unguarded unless the host was given one)."""
        if self._http is None:
            from runtime.fetch import FetchClient

            self._http = FetchClient()
        return self._http

    async def aclose(self) -> None:
        """Close the fetch client (its connections) and the D1 databases' connections."""
        if self._http is not None:
            await self._http.aclose()
            self._http = None
        for store in (self.d1_store, self.r2_store):
            close = getattr(store, "close", None)
            if close is not None:
                close()


def env_config(bundle: Bundle, secrets: dict[str, str]) -> dict[str, Any]:
    """The ``__isoplay.setup`` argument: vars and secrets, the bindings, and the bundle's own .wasm files.

    ``wasm`` is the seam for WebAssembly that ships with a bundle: a bundle with a
    ``wasm_modules`` mapping (name -> bytes) has each compiled by the prelude during
    setup, the only time the host lets V8 compile WebAssembly (see
    ``V8Isolate.compiling_bundled_wasm``); the script's code gets the compiled
    ``WebAssembly.Module`` from ``__isoplay.wasm(name)``.
    """
    vars_ = {**bundle.manifest.vars, **secrets}
    bindings = [["kv", kv.binding, None] for kv in bundle.manifest.kv_namespaces]
    bindings += [["d1", d1.binding, None] for d1 in getattr(bundle.manifest, "d1_databases", ())]
    bindings += [["r2", r2.binding, None] for r2 in getattr(bundle.manifest, "r2_buckets", ())]
    assets = getattr(bundle.manifest, "assets", None)
    if assets is not None and assets.binding:
        bindings.append(["assets", assets.binding, None])
    bindings += [["unsupported", name, {"what": what}] for name, what in bundle.manifest.unsupported_bindings]
    config: dict[str, Any] = {"vars": vars_, "bindings": bindings,
                              "memoryLimit": bundle.manifest.limits.memory_mb * MB}
    wasm = getattr(bundle, "wasm_modules", None)
    if wasm:
        config["wasm"] = {name: base64.b64encode(data).decode("ascii") for name, data in wasm.items()}
    return config


class ScriptIsolate:
    """One isolate with the prelude and a script loaded; runs one invocation at a time."""

    def __init__(self, bundle: Bundle, host: ScriptHost, *, loop: asyncio.AbstractEventLoop | None = None,
                 smap: SourceMap | None = None, preload: Callable[[V8Isolate], None] | None = None,
                 ready: V8Isolate | None = None) -> None:
        """Create the isolate (or take a ready one) and load the prelude and the bundle.

        Args:
            preload: called with the fresh V8 isolate before the prelude loads
                (the debugger installs its agent and shared memory there).
            ready: an isolate from an ``IsolateStock`` (prelude loaded, never ran
                user code) to use instead of creating one; it gets this
                manifest's memory limit.
        """
        self.id = next(_ids)
        self.bundle = bundle
        self.host = host
        self.invocations = 0
        self._recent_inputs: dict[str, dict[int, None]] = {}
        """The hashes of the last inputs of each kind of crossing, oldest first (see ``_repeated``)."""
        self.poisoned = False
        """Set when the isolate must not be reused (timeout mid-JS, OOM, load failure)."""
        self.load_error: ErrorInfo | None = None
        self.load_logs: tuple[LogEntry, ...] = ()
        self.record = False
        """Record every invocation (runtime/replay): each result carries its Tape in ``recording``."""
        self.record_ok = True
        """With ``record``: an invocation that ends well (no error, no 5xx) within one crossing carries its Tape
        too. False for a policy that keeps failures only (the server's default): such a result would be dropped,
        so its Tape is not even made (an invocation that needs more crossings always gets one, made before its
        outcome is known)."""
        self._heap_sample: tuple[int, int] = (0, 0)
        self._heap_at = -HEAP_SAMPLE_INTERVAL
        self._smap = smap
        self._copy_seen = 0.0
        self._bytes_seen = 0
        self._cross_wall = 0.0
        """V8Isolate.body_seconds when last credited to an invocation's deadline."""
        self._loop = loop or asyncio.get_running_loop()
        if host.kv_bindings is None:
            host.kv_bindings = frozenset(kv.binding for kv in bundle.manifest.kv_namespaces)
        limits = bundle.manifest.limits
        if ready is not None:
            self.v8 = ready
            ready.set_memory_limit(limits.memory_mb * MB)
        else:
            self.v8 = V8Isolate(self._loop, memory_limit=limits.memory_mb * MB)
            if preload is not None:
                preload(self.v8)
            load_prelude(self.v8)
        self._load()

    # ---- loading -----------------------------------------------------------
    def _load(self) -> None:
        timeout = self.bundle.manifest.limits.timeout_ms / 1000
        with self.v8.compiling_bundled_wasm():  # no script code has run in this isolate yet
            self.v8.eval(f"__isoplay.setup({json.dumps(env_config(self.bundle, self.host.secrets))})")
        wrapped = (
            LOAD_PREFIX + self.bundle.code
            + "\n; return __isoplay.load(typeof __isoplay_module === 'undefined' ? undefined : __isoplay_module); }"
            + " catch (e) { return __isoplay.loadFailed(e); } })()"
            + f"\n//# sourceURL={self.bundle.script_url}\n"
        )
        # The bundle assigns `var __isoplay_module` at its top; inside the arrow function it
        # stays local to this evaluation, which is what we want.
        try:
            state = self.v8.eval_json(wrapped, timeout=timeout)
        except EvalTimedOut:
            self.poisoned = True
            self.load_error = ErrorInfo("Error", f"the script's top level ran longer than timeout_ms "
                                        f"({self.bundle.manifest.limits.timeout_ms} ms)", "", kind="limit")
            return
        except EvalOutOfMemory:
            self.poisoned = True
            self.load_error = ErrorInfo("Error", f"the script's top level exceeded memory_mb "
                                        f"({self.bundle.manifest.limits.memory_mb} MB)", "", kind="limit")
            return
        except EvalFailed as exc:
            # The script does not parse (a hand-made upload never went through esbuild).
            self.poisoned = True
            self.load_error = _parse_failure(exc.text)
            return
        logs = self._logs(state.get("logs", []))
        if not state.get("error") and state.get("ops"):
            try:
                state = self._settle_load_ops(state, timeout, logs)
            except EvalFailed as exc:
                state = {"error": {"name": "Error", "message": f"the script's top level failed: {exc.text}", "stack": ""}}
        self.load_logs = tuple(logs)
        if state.get("error"):
            self.poisoned = True
            self.load_error = self._error(state["error"], kind="load")

    def _settle_load_ops(self, state: dict[str, Any], timeout: float, logs: list[LogEntry]) -> dict[str, Any]:
        """Answer host calls the top level made (``const key = crypto.subtle.importKey(...)`` at module
        scope) before the first request: ops that need no I/O run now; others are refused by name."""
        for _ in range(1000):
            ops = state.get("ops") or []
            if not ops:
                break
            settles = [hostops.dispatch_sync(self.host, op) for op in ops]
            state = self.v8.eval_json(f"__isoplay.resume({dumps(settles)})", timeout=timeout)
            logs.extend(self._logs(state.get("logs", [])))
        return state

    @property
    def smap(self) -> SourceMap:
        """The bundle's decoded source map (decoded on first use)."""
        if self._smap is None:
            self._smap = self.bundle.decoded_map()
        return self._smap

    # ---- invoking ----------------------------------------------------------
    async def invoke(self, trigger: Trigger, *, timeout_ms: int | None = None) -> InvocationResult:
        """Run one invocation to completion (or to a limit)."""
        batch = self.run_batch((trigger,), timeout_ms=timeout_ms)
        if batch.pending is not None:
            return await self.finish(batch.pending)
        return batch.results[0]

    def run_batch(self, triggers: Sequence[Trigger], *, timeout_ms: int | None = None,
                  queue_ms: Sequence[float] = ()) -> Batch:
        """Start ``triggers`` one after another in one crossing (see host.ts, "batches").

        The batch stops after an invocation that waits on host work or a timer
        (returned as ``pending``, to be driven with ``finish()``), or once
        ``BATCH_BUDGET_MS`` has passed; ``started`` says how many it began, and
        the caller queues the rest again. Each invocation keeps its own
        ``timeout_ms``: the crossing's deadline leaves every started one at
        least that long. ``queue_ms`` (parallel to ``triggers``) goes into the results.
        """
        waits = list(queue_ms) or [0.0] * len(triggers)
        started = time.perf_counter()
        limits = self.bundle.manifest.limits
        budget = (timeout_ms or limits.timeout_ms) / 1000
        slack = BATCH_BUDGET_MS / 1000 if len(triggers) > 1 else 0.0
        deadline = time.monotonic() + budget + slack
        if self.load_error is not None:
            self.invocations += len(triggers)
            limit = "timeout_ms" if "timeout_ms" in self.load_error.message else None
            return Batch([self._finish(t, started, "error", [], error=self.load_error, limit=limit, queue_ms=q)
                          for t, q in zip(triggers, waits)], None, len(triggers))
        # The specs are staged (see _repeated); written into the code, they travel as one JSON
        # string literal: V8 scans a string literal and JSON.parse()s it in a third of the time
        # it takes to compile the same data as object literals.
        bodies: list[Any] = []
        payload = dumpb([self._spec(t, bodies) for t in triggers])
        specs = self.v8.argument(payload, quoted=True, stage=not self._repeated("batch", payload))
        if any(bodies):
            self.v8.body_allowance = 0.0  # earned again by this crossing's own body bytes
        record = self.record
        try:
            states: list[dict[str, Any]] = self._cross(
                f"__isoplay.invokeBatch({specs},{BATCH_BUDGET_MS}{',1' if record else ''})", deadline)
        except EvalTimedOut:
            done = self._take_batch()
            self._release_bodies(bodies, unstarted_from=len(done) + 1)
            self.invocations += len(done) + 1
            results = self._batch_results(triggers, started, done, waits)
            logs: list[LogEntry] = []
            tape = self._tape(triggers[len(done)], None) if record else None
            self._abort(logs, tape)  # a terminated isolate still answers: recover its console lines
            results.append(self._limit_hit(triggers[len(done)], started, logs, "timeout", waits[len(done)]))
            results[-1].recording = tape
            if record:
                self._tapes(triggers, done, results)
            return Batch(results, None, len(done) + 1)
        except EvalOutOfMemory:
            self._release_bodies(bodies)
            # The isolate cannot answer any more; what finished before the runaway one
            # in this crossing is lost with it, and says so.
            self.invocations += len(triggers)
            results = [self._limit_hit(triggers[0], started, [], "memory", waits[0])]
            lost = ErrorInfo("Error", "lost: an earlier invocation in the same isolate exceeded memory_mb "
                             f"({limits.memory_mb} MB) before this result was delivered", "", kind="limit")
            results += [self._finish(t, started, "memory", [], error=lost, limit="memory_mb", queue_ms=q)
                        for t, q in zip(triggers[1:], waits[1:])]
            return Batch(results, None, len(triggers))
        except _Forged as exc:
            self._release_bodies(bodies)
            return self._forged_batch(triggers, started, waits, exc)
        deadline += self._take_credit()
        try:
            if len(states) > len(triggers):
                raise _Forged("it answered more invocations than it was given")
            self.invocations += len(states)
            last = states[-1]
            if last.get("done") is not None:
                self._release_bodies(bodies, unstarted_from=len(states))
                results = self._batch_results(triggers, started, states, waits)
                if record:
                    self._tapes(triggers, states, results)
                return Batch(results, None, len(states))
            index = len(states) - 1
            body = bodies[index] if bodies else None
            self._release_bodies(bodies, unstarted_from=len(states), keep=index)
            trigger = triggers[index]
            pending = Pending(trigger, started, deadline, last, waits[index],
                              tape=self._tape(trigger, last) if record else None, body=body)
            results = self._batch_results(triggers, started, states[:-1], waits)
            if record:
                self._tapes(triggers, states, results)
            return Batch(results, pending, len(states))
        except _Forged as exc:
            self._release_bodies(bodies)
            return self._forged_batch(triggers, started, waits, exc)

    def _forged_batch(self, triggers: Sequence[Trigger], started: float, waits: list[float], exc: _Forged) -> Batch:
        """Every invocation of a crossing whose State the host cannot trust ends with the reason."""
        self.poisoned = True
        self.invocations += len(triggers)
        return Batch([self._forged(t, started, [], exc, q) for t, q in zip(triggers, waits)], None, len(triggers))

    def _forged(self, trigger: Trigger, started: float, logs: list[LogEntry], exc: _Forged,
                queue_ms: float = 0.0) -> InvocationResult:
        err = ErrorInfo("Error", f"the isolate sent the host a malformed state: {exc}; the script may not rewrite "
                        "the prelude's messages (e.g. by replacing JSON.stringify), so the isolate was retired",
                        "", kind="contract")
        return self._finish(trigger, started, "error", logs, error=err, queue_ms=queue_ms)

    # ---- request bodies (runtime/webapi/request_body.py) -------------------------
    def _spec(self, trigger: Trigger, bodies: list[Any]) -> dict[str, Any]:
        """A trigger's spec; a large or still-arriving request body is registered for the script to stream."""
        stream = None
        if isinstance(trigger, HttpRequest) and (trigger.body_stream is not None or len(trigger.body) > INLINE_BODY_BYTES):
            stream = trigger.streamed_body()
            self.v8.bodies[stream.id] = stream
            if self.record and stream is trigger.body_stream:
                # an upload streamed in: its recording needs what each read gave (an inline body is in the trigger)
                stream.record(RECORD_STREAMED_BODY_MAX)
        bodies.append(stream)
        return trigger.spec() if stream is None else trigger.spec(stream)

    def _release_bodies(self, bodies: list[Any], unstarted_from: int | None = None, keep: int = -1) -> None:
        """Forget the bodies of a crossing's invocations that ended (the rest of theirs is dropped) and of
        those it did not start (they are registered again when they do); ``keep`` still runs."""
        if not bodies:
            return
        end = len(bodies) if unstarted_from is None else unstarted_from
        for index, body in enumerate(bodies):
            if body is None or index == keep:
                continue
            self.v8.bodies.pop(body.id, None)
            if index < end:
                body.abandon()

    def _release_body(self, body: Any) -> None:
        if body is not None:
            self.v8.bodies.pop(body.id, None)
            body.abandon()

    def _take_credit(self) -> float:
        """Seconds of request-body copying since the last call (not the script's time): what the copies
        measured, or, for a crossing that copied body bytes, that crossing's wall time up to the per-byte
        allowance (a body arriving in many pieces costs one crossing each)."""
        seen = self.v8.body_seconds
        extra, self._copy_seen = seen - self._copy_seen, seen
        copied, self._bytes_seen = self.v8.body_bytes - self._bytes_seen, self.v8.body_bytes
        return body_credit(extra, copied, self._cross_wall, BODY_GAP_CREDIT_S_PER_BYTE)

    @staticmethod
    def _tape(trigger: Trigger, state: dict[str, Any] | None) -> Any:
        return Tape(trigger, state)

    def _tapes(self, triggers: Sequence[Trigger], states: list[dict[str, Any]], results: list[InvocationResult]) -> None:
        """Give each finished result of a recorded batch the tape of its one crossing (with ``record_ok`` False,
        only the failed ones: an error, a limit hit or a 5xx)."""
        if self.record_ok:
            for trigger, state, result in zip(triggers, states, results):
                result.recording = Tape(trigger, state)
            return
        for trigger, state, result in zip(triggers, states, results):
            if result.outcome != "ok" or (result.status or 0) >= 500:
                result.recording = Tape(trigger, state)

    def _batch_results(self, triggers: Sequence[Trigger], started: float, states: list[dict[str, Any]],
                       waits: list[float]) -> list[InvocationResult]:
        heap = self._heap()  # what every "ok" result of the batch carries (sampled at most every HEAP_SAMPLE_INTERVAL)
        return [self._outcome(trigger, started, self._logs(state.get("logs")), state.get("done"), queue_ms, heap)
                for trigger, state, queue_ms in zip(triggers, states, waits)]

    def _take_batch(self) -> list[dict[str, Any]]:
        """The States a terminated batch finished before the watchdog fired."""
        try:
            done: list[dict[str, Any]] = self.v8.eval_json("__isoplay.takeBatch()", timeout=1.0)
        except EvalFailed:
            self.poisoned = True
            return []
        return done

    async def finish(self, pending: Pending, *,
                     on_head: Callable[[InvocationResult], None] | None = None) -> InvocationResult:
        """Drive a started invocation through its host work and timers to its result.

        Args:
            on_head: for a Response whose body is still being written when a crossing
                ends, receives an early result (status, headers, the logs so far and
                ``body_stream``) as soon as the head is known; the body's chunks then go
                into that stream as the isolate produces them. Without it, a streamed
                body is collected and returned whole in the result.
        """
        try:
            result = await self._finish_pending(pending, on_head)
        finally:
            self._release_body(pending.body)
        if pending.tape is not None:
            result.recording = pending.tape
        return result

    async def _finish_pending(self, pending: Pending,
                              on_head: Callable[[InvocationResult], None] | None) -> InvocationResult:
        trigger, started, deadline, waited = pending.trigger, pending.started, pending.deadline, pending.queue_ms
        logs: list[LogEntry] = []
        body = _Body(on_head)
        tape = pending.tape
        try:
            done = await self._drive(pending.state, deadline, logs, body, pending)
        except EvalTimedOut:
            self._abort(logs, tape)
            body.fail("the invocation exceeded timeout_ms")
            return self._limit_hit(trigger, started, logs, "timeout", waited)
        except EvalOutOfMemory:
            if tape is not None:
                tape.partial = True
            body.fail("the isolate exceeded memory_mb")
            return self._limit_hit(trigger, started, logs, "memory", waited)
        except _WaitTimedOut:
            self._abort(logs, tape)
            body.fail("the invocation exceeded timeout_ms")
            return self._limit_hit(trigger, started, logs, "timeout", waited)
        except _Forged as exc:
            self.poisoned = True
            body.fail("the isolate sent the host a malformed state")
            return self._forged(trigger, started, logs, exc, waited)
        except _NeverSettles:
            self._abort(logs, tape)
            body.fail("the response body stream can never be completed")
            what = ("the response body stream will never end: nothing that could write to it is pending"
                    if body.head is not None else
                    "the handler's promise will never settle: it awaits something no host operation or timer "
                    "can resolve")
            err = ErrorInfo("Error", what, "", kind="contract")
            return self._finish(trigger, started, "error", logs, error=err, queue_ms=waited)
        try:
            if body.head is not None:
                result = self._streamed_outcome(trigger, started, logs, done, waited, body)
                if tape is not None and body.on_head is not None and body.copy is not None and result.outcome == "ok":
                    tape.body = b"".join(body.copy)  # what a replay, which collects the body, answers
                return result
            return self._outcome(trigger, started, logs, done, waited)
        except _Forged as exc:
            self.poisoned = True
            body.fail("the isolate sent the host a malformed state")
            return self._forged(trigger, started, logs, exc, waited)

    def _cross(self, code: str, deadline: float) -> dict[str, Any]:
        began = time.monotonic()
        remaining = deadline - began
        if remaining <= 0:
            raise _WaitTimedOut
        try:
            result: dict[str, Any] = self.v8.eval_json(code, timeout=remaining)
            self._cross_wall = time.monotonic() - began
        except EvalFailed as exc:
            if isinstance(exc, (EvalTimedOut, EvalOutOfMemory)):
                self.poisoned = True
                raise
            raise ScriptError(f"isolate protocol failure: {exc.text}") from None
        except (ValueError, RecursionError):  # not JSON, or nested past what the decoder takes
            raise _Forged("its state is not JSON the host can read (nested too deeply?)") from None
        if type(result) is dict:
            if "emit" in result:
                self._emit(result["emit"])
        elif type(result) is list and result:
            for state in result:  # a batch: one State per started invocation
                if type(state) is not dict:
                    raise _Forged("its state is not an object")
                if "emit" in state:
                    self._emit(state["emit"])
        else:
            raise _Forged("its state is not an object")
        return result

    def _resume_code(self, settles: list[Any]) -> str:
        """The code of a crossing that settles host ops: the settles staged, else written into the
        code (see ``_repeated``)."""
        payload = dumpb(settles)
        return f"__isoplay.resume({self.v8.argument(payload, quoted=False, stage=not self._repeated('resume', payload))})"

    def _repeated(self, kind: str, payload: bytes) -> bool:
        """Whether ``payload`` is among the last ``RECENT_INPUTS`` inputs of ``kind`` crossings (and
        remember it). Such an input is written into the code rather than staged
        (``V8Isolate.stage``): V8 has most likely compiled that text already (identical requests: a
        health check, a load test, whose batches of a few sizes repeat), and a literal is ~4 us
        cheaper to read than staged bytes are to decode. A new input is staged: written into the
        code, it makes a script V8 has not compiled. In process, a hello request alone in its
        crossing: 56 + 63 us (loop + V8 thread) with every URL new before, 47 + 37 staged; the same
        request each time 43 + 31.
        """
        seen = self._recent_inputs.setdefault(kind, {})
        key = hash(payload)  # a collision only writes a literal where staging would do: the same input either way
        if key in seen:
            return True
        seen[key] = None
        if len(seen) > RECENT_INPUTS:
            del seen[next(iter(seen))]  # the oldest
        return False

    def _emit(self, items: Any) -> None:
        if type(items) is not list:
            raise _Forged("its WebSocket messages are not a list")
        self.host.sockets.emit(self.id, items)

    async def _drive(self, state: dict[str, Any], deadline: float, logs: list[LogEntry], body: _Body,
                     pending: Pending) -> dict[str, Any]:
        tasks: dict[asyncio.Future[Any], int] = {}
        pull: asyncio.Future[Any] | None = None
        # Waiting for a request body to arrive is not the script's time: while a body.wait is
        # outstanding the deadline moves with the clock (up to MAX_WAIT_CREDIT_S in all).
        body_waits: set[asyncio.Future[Any]] = set()
        since = 0.0
        credit_left = MAX_WAIT_CREDIT_S
        body_arrived = False

        def limit() -> float:
            if body_waits:
                return deadline + min(time.monotonic() - since, credit_left)
            return deadline

        tape = pending.tape
        try:
            while True:
                logs.extend(self._logs(state.get("logs")))
                if "head" in state or "chunks" in state or "end" in state:
                    self._take_body(state, body, pending, logs)
                done = state.get("done")
                if done is not None:
                    if type(done) is not dict:
                        raise _Forged("its outcome is not an object")
                    return done
                stream = body.stream
                if stream is not None and stream.cancelled and not body.cancel_sent:
                    body.cancel_sent = True  # the client went away: cancel the script's body stream
                    if tape is not None:
                        tape.send("cancel", None)
                    state = self._cross("__isoplay.cancelBody()", limit())
                    deadline += self._take_credit()
                    if tape is not None:
                        tape.got(state)
                    continue
                inline: list[list[Any]] = []
                ops = state.get("ops")
                if type(ops) is not list:
                    raise _Forged("its host calls are not a list")
                for op in ops:
                    if type(op) is not list or len(op) != 3 or type(op[0]) is not int or type(op[1]) is not str:
                        raise _Forged("a host call is not [id, name, args]")
                    if op[1] == "body.wait":
                        if not body_waits:
                            since = time.monotonic()
                        task = asyncio.ensure_future(self._body_wait(op))
                        body_waits.add(task)
                        tasks[task] = op[0]
                        continue
                    settle = hostops.dispatch_inline(self.host, op)  # quick, I/O-free ops (crypto) answer now
                    if settle is not None:
                        inline.append(settle)
                    else:
                        tasks[asyncio.ensure_future(hostops.dispatch(self.host, op))] = op[0]
                if inline:
                    if tape is not None:
                        tape.send("resume", inline)
                    state = self._cross(self._resume_code(inline), limit())
                    deadline += self._take_credit()
                    if tape is not None:
                        tape.got(state)
                    continue
                if state.get("pull") and pull is None and stream is not None:
                    pull = asyncio.ensure_future(stream.wait_room())
                wake = state.get("wake")
                if wake is not None:
                    if type(wake) not in (int, float):
                        raise _Forged("its next timer is not a number")
                    wake = max(0.0, float(wake))
                if not tasks and wake is None and pull is None:
                    raise _NeverSettles
                remaining = limit() - time.monotonic()
                if remaining <= 0:
                    raise _WaitTimedOut
                if body_waits:
                    remaining = max(remaining, 0.05)  # the deadline moves while the body is awaited
                wait_for = remaining if wake is None else min(remaining, wake / 1000)
                settles: list[list[Any]] = []
                pulled = False
                if tasks or pull is not None:
                    waiting = set(tasks) | ({pull} if pull is not None else set())
                    finished, _ = await asyncio.wait(waiting, timeout=wait_for, return_when=asyncio.FIRST_COMPLETED)
                    for task in finished:
                        if task is pull:
                            pull, pulled = None, True
                            continue
                        del tasks[task]
                        if task in body_waits:
                            body_waits.discard(task)
                            body_arrived = not body_waits
                        settles.append(task.result())
                else:
                    await asyncio.sleep(wait_for)
                if not settles and not pulled and time.monotonic() >= limit():
                    raise _WaitTimedOut
                if body_arrived:
                    # Credited up to this crossing's start, not to the wait's end: on a loaded
                    # loop the resume can come 50-150 ms later, and the script runs in neither.
                    body_arrived = False
                    spent = min(time.monotonic() - since, credit_left)
                    deadline += spent
                    credit_left -= spent
                if tape is not None:
                    tape.send("resume", settles)
                state = self._cross(self._resume_code(settles), limit())
                deadline += self._take_credit()
                if tape is not None:
                    tape.got(state)
        finally:
            for task in tasks:
                task.cancel()
            if pull is not None:
                pull.cancel()

    async def _body_wait(self, op: list[Any]) -> list[Any]:
        """The ``body.wait`` op: settles when the request body has bytes to read, ended, or failed."""
        op_id, _, args = op
        key = args.get("id") if isinstance(args, dict) else None
        stream = self.v8.bodies.get(key) if isinstance(key, str) else None
        if stream is None:
            return [op_id, False, {"name": "TypeError", "message": "this request body can no longer be read "
                                                                   "(its invocation ended)"}]
        try:
            want = args.get("want")
            waiting = await stream.wait(whole=args.get("whole") is True,
                                        want=want if type(want) is int and want > 0 else 0)
        except BodyFailed as exc:
            return [op_id, False, {"name": "TypeError", "message": f"reading the request body failed: {exc}"}]
        return [op_id, True, waiting]

    # ---- replaying (runtime/replay) ---------------------------------------------------
    async def replay(self, trigger: Trigger, feed: Any, *, timeout_ms: int | None = None) -> InvocationResult:
        """Run ``trigger`` again on a recording's values instead of live ones.

        ``feed`` (a ``runtime.replay.replayer.Feed``) hands each crossing its recorded
        prelude tape and host-op results, in the recorded order and grouping, and
        checks every State against the recording: what the code asks for that the
        recording does not have raises ``feed``'s divergence. No host op runs and no
        timer is waited for. ``timeout_ms`` None: the manifest's (a debugger lifts it).
        """
        started = time.perf_counter()
        budget = (timeout_ms or self.bundle.manifest.limits.timeout_ms) / 1000
        deadline = time.monotonic() + budget
        logs: list[LogEntry] = []
        body = _Body(None)
        pending = Pending(trigger, started, deadline, {})
        lenient = "true" if feed.lenient else "false"
        self.invocations += 1
        if self.load_error is not None:
            return self._finish(trigger, started, "error", [], error=self.load_error)
        bodies: list[Any] = []
        try:
            self.v8.eval(f"__isoplay.tape(2,{dumps(feed.tape(0))},{lenient})")
            # as recorded: a large body streamed, a recorded upload read again as it was read
            specs = dumps(dumps([self._spec(trigger, bodies)]))
            state = self._cross(f"__isoplay.invokeBatch({specs},{BATCH_BUDGET_MS},2)", deadline)[0]
            index = 0
            while True:
                logs.extend(self._logs(state["logs"]))
                feed.check(index, state, self, logs)
                if "head" in state or "chunks" in state or "end" in state:
                    self._take_body(state, body, pending, logs)
                if state["done"] is not None:
                    done = dict(state["done"])
                    break
                index += 1
                step = feed.step(index)
                if step is None:  # the recording stops here: a limit stopped the recorded run
                    self._abort(logs)
                    return self._limit_hit(trigger, started, logs, feed.limit_kind(), 0.0)
                cross, settles, tape = step
                if cross == "cancel":
                    self.v8.eval(f"__isoplay.tape(2,{dumps(tape)},{lenient})")
                    state = self._cross("__isoplay.cancelBody()", deadline)
                else:
                    state = self._cross(f"__isoplay.resume({dumps(settles)},{dumps(tape)},{lenient})", deadline)
        except (EvalTimedOut, _WaitTimedOut):
            self._abort(logs)
            return self._limit_hit(trigger, started, logs, "timeout", 0.0)
        except EvalOutOfMemory:
            return self._limit_hit(trigger, started, logs, "memory", 0.0)
        finally:
            self._release_bodies(bodies)
            if not self.v8.closed and not self.poisoned:
                try:
                    self.v8.eval("__isoplay.tape(0,null)")
                except EvalFailed:
                    self.poisoned = True
        if body.head is not None:
            return self._streamed_outcome(trigger, started, logs, done, 0.0, body)
        return self._outcome(trigger, started, logs, done, 0.0)

    def _take_body(self, state: dict[str, Any], body: _Body, pending: Pending, logs: list[LogEntry]) -> None:
        """Move a crossing's streamed head, chunks and end into the invocation's ResponseStream."""
        head = state.get("head")
        if head is not None:
            if type(head) is not dict:
                raise _Forged("its response head is not an object")
            status, status_text, headers = _status(head), _text_field(head, "statusText"), _headers(head.get("headers"))
            body.head = head
            length = head.get("length")
            body.stream = ResponseStream(length if type(length) is int and length >= 0 else None)
            if body.on_head is not None:
                early = self._finish(pending.trigger, pending.started, "ok", list(logs), status=status,
                                     status_text=status_text, queue_ms=pending.queue_ms,
                                     headers=headers, body_stream=body.stream,
                                     head_only=True)
                body.on_head(early)
        stream = body.stream
        if stream is None:
            return
        chunks = state.get("chunks") or ()
        if type(chunks) not in (list, tuple):
            raise _Forged("its body chunks are not a list")
        copy = body.copy if body.on_head is not None and pending.tape is not None else None
        for chunk in chunks:
            data = _body_bytes(chunk)
            stream.push(data)
            if copy is not None:
                body.copied += len(data)
                if body.copied > RECORD_STREAMED_BODY_MAX:
                    body.copy = copy = None
                    pending.tape.body_cut = True
                else:
                    copy.append(data)
        if body.on_head is None:
            body.parts.append(stream.take_all())
        if state.get("end"):
            stream.end()

    def _streamed_outcome(self, trigger: Trigger, started: float, logs: list[LogEntry], done: dict[str, Any],
                          queue_ms: float, body: _Body) -> InvocationResult:
        """The final result of an invocation whose response body was streamed."""
        head = body.head or {}
        if not done.get("ok"):
            error = self._error(done.get("error"), kind=_kind(done))
            body.fail(error.summary())
            return self._finish(trigger, started, "error", logs, queue_ms=queue_ms, error=error,
                                status=_status(head) if "status" in head else 500, body_stream=body.stream)
        if body.stream is not None:
            body.stream.end()
        return self._finish(trigger, started, "ok", logs, status=_status(head), queue_ms=queue_ms,
                            status_text=_text_field(head, "statusText"), headers=_headers(head.get("headers")),
                            body=b"".join(body.parts), body_stream=body.stream if body.on_head else None)

    def _abort(self, logs: list[LogEntry], tape: Any = None) -> None:
        state: dict[str, Any] = {}
        for attempt in range(2):
            try:
                state = self.v8.eval_json("__isoplay.abort()", timeout=1.0)
                logs.extend(self._logs(state.get("logs", [])))
                break
            except EvalTimedOut:
                # The watchdog's TerminateExecution can land after the stopped evaluation
                # returned and cut this one short instead: the second try reads the lines.
                if attempt:
                    self.poisoned = True
            except EvalFailed:
                self.poisoned = True
                break
        if tape is not None:
            tape.cut(state.get("tape"))

    # ---- results -----------------------------------------------------------
    def _logs(self, raw: Any) -> list[LogEntry]:
        if raw == []:  # most crossings log nothing
            return []
        try:
            return [LogEntry(level, message, t / 1000) for level, t, message in raw]
        except (TypeError, ValueError):  # not what the prelude writes: keep the lines that are log lines
            if type(raw) is not list:
                return []
            return [LogEntry(e[0], e[2], e[1] / 1000) for e in raw
                    if type(e) is list and len(e) == 3 and type(e[0]) is str and type(e[2]) is str
                    and type(e[1]) in (int, float)]

    def _error(self, info: Any, *, kind: str = "exception") -> ErrorInfo:
        if type(info) is not dict:
            raise _Forged("its error is not an object")
        stack, name, message = info.get("stack", ""), info.get("name", "Error"), info.get("message", "")
        if type(stack) is not str or type(name) is not str or type(message) is not str:
            raise _Forged("its error's name, message or stack is not text")
        stack_text, frames = map_stack(stack, self.bundle.script_url, self.smap)
        message = explain_error(name, message)
        if not stack_text.strip():
            stack_text = f"{name}: {message}"
        return ErrorInfo(name, message, stack_text, tuple(frames), kind)

    def _limit_hit(self, trigger: Trigger, started: float, logs: list[LogEntry], which: str,
                   queue_ms: float = 0.0) -> InvocationResult:
        limits = self.bundle.manifest.limits
        self.poisoned = True
        if which == "timeout":
            err = ErrorInfo("Error", f"the invocation exceeded timeout_ms ({limits.timeout_ms} ms) and was stopped",
                            "", kind="limit")
            return self._finish(trigger, started, "timeout", logs, error=err, limit="timeout_ms", queue_ms=queue_ms)
        err = ErrorInfo("Error", f"the isolate exceeded memory_mb ({limits.memory_mb} MB) and was stopped",
                        "", kind="limit")
        return self._finish(trigger, started, "memory", logs, error=err, limit="memory_mb", queue_ms=queue_ms)

    def _outcome(self, trigger: Trigger, started: float, logs: list[LogEntry], done: dict[str, Any],
                 queue_ms: float = 0.0, heap: tuple[int, int] | None = None) -> InvocationResult:
        """The result of a finished invocation from its ``done`` outcome, which a script may have
        forged: anything but the shapes the prelude writes raises _Forged (checked in one pass;
        ``heap``, when given, is the heap sample an "ok" result carries)."""
        if type(done) is not dict:
            raise _Forged("its outcome is not an object")
        if not done.get("ok"):
            return self._finish(trigger, started, "error", logs, queue_ms=queue_ms,
                                error=self._error(done.get("error"), kind=_kind(done)))
        response = done.get("response")
        if response is None:
            return self._finish(trigger, started, "ok", logs, value=done.get("value"), queue_ms=queue_ms)
        if type(response) is not dict:
            raise _Forged("its response is not an object")
        status, status_text = _status(response), _text_field(response, "statusText")
        headers = _headers(response.get("headers"))
        body = response.get("body")
        raw = b"" if body is None else _body_bytes(body)
        socket = response.get("webSocket")
        if socket is not None and type(socket) is not int:
            raise _Forged("its WebSocket id is not a number")
        heap_used, heap_total = self._heap() if heap is None else heap
        # built here rather than through _finish: its keyword packing is measurable per request
        return InvocationResult(
            trigger=trigger.kind, outcome="ok", logs=tuple(logs), duration_ms=(time.perf_counter() - started) * 1000,
            heap_used=heap_used, heap_total=heap_total, isolate_id=self.id, status=status, queue_ms=queue_ms,
            status_text=status_text, headers=headers, body=raw, socket=socket)

    def _finish(self, trigger: Trigger, started: float, outcome: Outcome, logs: list[LogEntry],
                **fields: Any) -> InvocationResult:
        heap_used, heap_total = self._heap(force=outcome != "ok")
        return InvocationResult(
            trigger=trigger.kind, outcome=outcome, logs=tuple(logs),
            duration_ms=(time.perf_counter() - started) * 1000, heap_used=heap_used, heap_total=heap_total,
            isolate_id=self.id, **fields,
        )

    def _heap(self, *, force: bool = False) -> tuple[int, int]:
        """(used, total) heap bytes, sampled at most every HEAP_SAMPLE_INTERVAL.

        Reading V8's heap statistics costs ~0.3 ms, more than a whole warm
        invocation, so records between samples carry the latest sample.
        """
        now = time.monotonic()
        if self.v8.oom or self.v8.closed:
            return self._heap_sample
        if force or now - self._heap_at >= HEAP_SAMPLE_INTERVAL:
            try:
                self._heap_sample = self.v8.heap()
            except (ValueError, EvalFailed):
                # mini-racer answers "error stringifying heap output" when the heap is so close to its
                # hard limit that the statistics cannot be serialised, and a termination still pending
                # from a stopped evaluation (a runaway top level) ends the read: retire the isolate.
                self.poisoned = True
            self._heap_at = now
        return self._heap_sample

    @property
    def closed(self) -> bool:
        """Whether the V8 isolate was disposed of."""
        return self.v8.closed

    def close(self) -> None:
        """Dispose of the V8 isolate."""
        self.v8.close()


LOAD_PREFIX = "(() => { try {"
"""What ``ScriptIsolate._load`` puts before a bundle's code on its first line."""


def syntax_error(code: str, *, loop: asyncio.AbstractEventLoop | None = None) -> tuple[str, int, int] | None:
    """Whether a bundle's code parses as the runtime loads it: None, or (message, line, column) of
    the first syntax error (1-based, in the bundle's own text).

    The code is compiled (not run) in a throw-away isolate that has no prelude, inside the same
    function wrapper the loader uses, so what passes here loads, and nothing of it executes.
    """
    v8 = V8Isolate(loop or asyncio.get_running_loop(), memory_limit=64 * MB + 4 * len(code))
    try:
        v8.eval(LOAD_PREFIX + code + "\n; } catch (e) {} })", timeout=30.0)
    except EvalFailed as exc:
        lines = exc.text.splitlines()
        head = lines[0] if lines else "SyntaxError: the script does not parse"
        where, _, message = head.partition(": ")
        line = int(where.rsplit(":", 1)[1]) if where.startswith("<anonymous>:") and where.rsplit(":", 1)[1].isdigit() else 1
        column = 1
        if len(lines) > 2 and "^" in lines[2]:
            column = lines[2].index("^") + 1 - (len(LOAD_PREFIX) if line == 1 else 0)
        code_lines = code.split("\n")
        if line > len(code_lines):  # in the loader's own wrapper after the code: the script ends early
            line, column = len(code_lines), len(code_lines[-1]) + 1
            message = (message or head) + " (at the end of the script: a block or the script itself is closed or left open)"
        return (message or head), line, max(column, 1)
    finally:
        v8.close()
    return None


def _parse_failure(text: str) -> ErrorInfo:
    """A load error from V8's report of a script that does not parse (``<anonymous>:L: Name: message``)."""
    first = text.strip().splitlines()[0] if text.strip() else "SyntaxError: the script does not parse"
    head, _, rest = first.partition(": ")
    if not head.startswith("<anonymous>"):
        rest = first
    name, _, message = rest.partition(": ")
    if not message:
        name, message = "SyntaxError", rest
    return ErrorInfo(name, message, text.strip(), kind="load")


class _Forged(Exception):
    """A crossing returned a State the prelude would never write (a script rewrote it)."""


def _status(response: dict[str, Any]) -> int:
    status = response.get("status")
    if type(status) is not int or not 100 <= status <= 999:
        raise _Forged("its response status is not a number from 100 to 999")
    return status


def _text_field(response: dict[str, Any], key: str) -> str:
    value = response.get(key, "")
    if type(value) is not str:
        raise _Forged(f"its response {key} is not text")
    return value


def _headers(raw: Any) -> tuple[tuple[str, str], ...]:
    if type(raw) is not list:
        raise _Forged("its response headers are not a list")
    out = []
    for pair in raw:
        if type(pair) is not list or len(pair) != 2:
            raise _Forged("a response header is not a [name, value] pair of text")
        name, value = pair
        if type(name) is not str or type(value) is not str:
            raise _Forged("a response header is not a [name, value] pair of text")
        out.append((name, value))
    return tuple(out)


def _body_bytes(body: Any) -> bytes:
    if type(body) is not dict:
        raise _Forged("a body is not {text} or {b64}")
    text = body.get("text")
    if text is not None:
        if type(text) is not str:
            raise _Forged("a body's text is not text")
        try:
            return text.encode("utf-8")
        except UnicodeEncodeError:  # lone surrogates: U+FFFD, as the Encoding Standard's UTF-8 encoder does
            return "".join("\ufffd" if "\ud800" <= c <= "\udfff" else c for c in text).encode("utf-8")
    b64 = body.get("b64", "")
    if type(b64) is not str:
        raise _Forged("a body's base64 is not text")
    try:
        return base64.b64decode(b64, validate=True)
    except ValueError:
        raise _Forged("a body's base64 does not decode") from None


def _kind(done: dict[str, Any]) -> str:
    kind = done.get("kind") or "exception"
    return kind if type(kind) is str else "exception"


class _WaitTimedOut(Exception):
    """The deadline passed while the script waited on host work or timers."""


class _NeverSettles(Exception):
    """Nothing is pending that could ever settle the handler."""
