"""The V8 engine seam: process-wide flags, one isolate, one crossing per call.

Everything isoplay does with mini-racer goes through this module, so the rest of
the runtime never touches its private parts. Two facts shape it (see DESIGN.md,
"What mini-racer costs"):

- Every call into an isolate is a thread hand-off. ``V8Isolate.eval`` does it
  the cheapest way: a synchronous evaluation on the isolate's own asyncio loop
  thread (mini-racer's "uncancelable" task path), with a watchdog thread that
  terminates the evaluation when its wall-time budget runs out.
- Microtasks normally drain only *after* an evaluation returns. The prelude calls
  ``%PerformMicrotaskCheckpoint()`` (V8 natives syntax) so that a handler that
  settles without host I/O returns its result in the same crossing. User code
  can never use natives syntax: esbuild rejects ``%`` in sources and
  ``--disallow-code-generation-from-strings`` (as in Workers) disables ``eval``
  and ``new Function``.
"""

from __future__ import annotations

import asyncio
import heapq
import itertools
import json
import os
import threading
import time
from collections.abc import Callable
from contextlib import AbstractContextManager
from typing import Any

import orjson
import py_mini_racer
from py_mini_racer import JSEvalException, JSOOMException, JSParseException, JSTimeoutException
from py_mini_racer._exc import JSTerminatedException
from py_mini_racer._mini_racer import mini_racer

from runtime.errors import RuntimeDisposed

V8_FLAGS: tuple[str, ...] = (
    *py_mini_racer.DEFAULT_V8_FLAGS,
    "--allow-natives-syntax",
)
"""Flags the process's V8 is initialised with (once, before the first isolate)."""

if os.environ.get("ISOPLAY_V8_ALLOW_EVAL") != "1":
    # Workers semantics: no eval / new Function. Debug worker processes may lift it.
    V8_FLAGS = (*V8_FLAGS, "--disallow-code-generation-from-strings")

_init_lock = threading.Lock()
_initialised = False

__all__ = [
    "EvalFailed",
    "EvalTimedOut",
    "EvalOutOfMemory",
    "V8Isolate",
    "dumps",
    "init_v8",
    "loads",
    "v8_version",
]


class EvalFailed(Exception):
    """The evaluation threw or could not be parsed; ``text`` is V8's report."""

    def __init__(self, text: str) -> None:
        super().__init__(text)
        self.text = text


class EvalTimedOut(EvalFailed):
    """The watchdog terminated the evaluation at its deadline."""


class EvalOutOfMemory(EvalFailed):
    """The isolate reached its hard heap limit; it must be discarded."""


def init_v8() -> None:
    """Initialise V8 with isoplay's flags and create (and drop) a first isolate.

    Creating a process's first isolates from two threads at once can abort V8,
    so the first one is made here, under a lock, before any other.
    """
    global _initialised
    with _init_lock:
        if _initialised:
            return
        try:
            py_mini_racer.init_mini_racer(flags=V8_FLAGS)
        except py_mini_racer.LibAlreadyInitializedError:
            pass  # someone initialised it first; our flags may be missing -- checked below
        probe = py_mini_racer.MiniRacer()
        try:
            probe.eval("(() => { %PerformMicrotaskCheckpoint(); })()")
        except JSParseException as exc:
            raise RuntimeError("V8 was initialised without --allow-natives-syntax") from exc
        finally:
            probe.close()
        _initialised = True


def v8_version() -> str:
    """The V8 version mini-racer embeds."""
    init_v8()
    mr = py_mini_racer.MiniRacer()
    try:
        return mr.v8_version
    finally:
        mr.close()


class _Watchdog:
    """One thread that cancels evaluations whose deadline has passed."""

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._heap: list[tuple[float, int]] = []
        self._actions: dict[int, Callable[[], None]] = {}
        self._ids = itertools.count()
        self._thread: threading.Thread | None = None

    def arm(self, deadline: float, action: Callable[[], None]) -> int:
        """Run ``action`` at ``deadline`` (time.monotonic) unless disarmed first."""
        key = next(self._ids)
        with self._cond:
            self._actions[key] = action
            heapq.heappush(self._heap, (deadline, key))
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="isoplay-watchdog", daemon=True)
                self._thread.start()
            if self._heap[0][1] == key:
                self._cond.notify()
        return key

    def disarm(self, key: int) -> None:
        """Forget an armed action (cheap: the heap entry is skipped later)."""
        self._actions.pop(key, None)

    def _run(self) -> None:
        while True:
            with self._cond:
                while not self._heap:
                    self._cond.wait()
                deadline, key = self._heap[0]
                delay = deadline - time.monotonic()
                if delay > 0:
                    self._cond.wait(delay)
                    continue
                heapq.heappop(self._heap)
                action = self._actions.pop(key, None)
            if action is not None:
                action()


_watchdog = _Watchdog()


def loads(text: str) -> Any:
    """Decode JSON from the isolate: orjson (3x faster on the hot path), json for what it refuses
    (a lone surrogate that JSON.stringify escaped)."""
    try:
        return orjson.loads(text)
    except orjson.JSONDecodeError:
        return json.loads(text)


def dumps(value: Any) -> str:
    """Encode JSON for the isolate: orjson, or json for what orjson refuses (integers past 64 bits)."""
    try:
        return orjson.dumps(value).decode("utf-8")
    except TypeError:  # orjson.JSONEncodeError is a TypeError
        return json.dumps(value)


class V8Isolate:
    """One V8 isolate bound to an asyncio loop; all calls come from that loop's thread."""

    def __init__(self, loop: asyncio.AbstractEventLoop, *, memory_limit: int) -> None:
        init_v8()
        self._cm: AbstractContextManager[Any] | None = mini_racer(loop)
        self._mr = self._cm.__enter__()
        self._ctx = self._mr._ctx
        self.loop = loop
        self.memory_limit = memory_limit
        self._mr.set_hard_memory_limit(memory_limit)
        self.oom = False

    def set_memory_limit(self, memory_limit: int) -> None:
        """Change the hard heap limit (an isolate from the stock gets its script's)."""
        if self._cm is None:
            raise RuntimeDisposed("the isolate is closed")
        self._mr.set_hard_memory_limit(memory_limit)
        self.memory_limit = memory_limit

    @property
    def closed(self) -> bool:
        """Whether ``close()`` has run."""
        return self._cm is None

    def eval(self, code: str, *, timeout: float | None = None) -> Any:
        """Evaluate ``code`` synchronously, at most ``timeout`` seconds of wall time.

        Raises:
            EvalTimedOut: the deadline passed and the evaluation was terminated.
            EvalOutOfMemory: the hard heap limit was reached.
            EvalFailed: the code threw or did not parse.
        """
        if self._cm is None:
            raise RuntimeDisposed("the isolate is closed")
        ctx = self._ctx
        handle = ctx._python_to_value_handle(code)
        task_id = ctx._dll.mr_eval(ctx._ctx, handle.raw, 0)
        key = None
        if timeout is not None:
            raw_ctx = ctx._ctx
            key = _watchdog.arm(time.monotonic() + timeout, lambda: ctx._dll.mr_cancel_task(raw_ctx, task_id))
        try:
            result_handle = ctx._non_cancelable_mr_task_results_queue.get()
        finally:
            if key is not None:
                _watchdog.disarm(key)
        try:
            return ctx._value_handle_to_python(result_handle)
        except JSOOMException as exc:
            self.oom = True
            raise EvalOutOfMemory(str(exc)) from None
        except (JSTerminatedException, JSTimeoutException) as exc:
            if self._mr.was_hard_memory_limit_reached():
                self.oom = True
                raise EvalOutOfMemory(str(exc)) from None
            raise EvalTimedOut(str(exc)) from None
        except JSEvalException as exc:
            raise EvalFailed(str(exc)) from None

    def install_loader(self, name: str, serve: Callable[[memoryview], None], size: int) -> None:
        """Give the isolate a synchronous loader: ``globalThis[name]`` (a function) and
        ``globalThis[name + "Buf"]`` (an ArrayBuffer of ``size`` bytes) for the prelude to take.

        Calling the function from JS runs ``serve(buffer)`` on the V8 thread while JS
        waits (mini-racer's callback path, handled here synchronously instead of on the
        event loop); both sides talk through the shared buffer, so the callback never
        calls into V8. ``serve`` must not raise. The JS side must keep the buffer alive
        as long as the isolate lives (Python holds a view of its memory).
        """
        if self._cm is None:
            raise RuntimeDisposed("the isolate is closed")
        ctx = self._ctx
        callback_id = next(ctx._next_async_callback_id)
        original = ctx.handle_callback_from_v8
        buf: memoryview = self._mr.eval(f"globalThis.{name}Buf = new ArrayBuffer({int(size)})")

        def handle(cid: int, raw: Any) -> None:
            if cid != callback_id:
                original(cid, raw)
                return
            ctx._wrap_raw_handle(raw)  # frees the (unread) arguments handle
            serve(buf)

        object.__setattr__(ctx, "handle_callback_from_v8", handle)  # a frozen dataclass
        fn = ctx._value_handle_to_python(ctx._wrap_raw_handle(ctx._dll.mr_make_js_callback(ctx._ctx, callback_id)))
        self._mr.eval("globalThis")[name] = fn

    def eval_json(self, code: str, *, timeout: float | None = None) -> Any:
        """Evaluate an expression that returns a JSON string, and decode it."""
        raw = self.eval(code, timeout=timeout)
        return loads(raw) if isinstance(raw, str) else raw

    async def eval_async(self, code: str, *, timeout: float | None = None) -> Any:
        """Evaluate without blocking the loop (used while a debugger may pause JS)."""
        if self._mr is None:
            raise RuntimeDisposed("the isolate is closed")
        try:
            return await asyncio.wait_for(self._mr.eval_cancelable(code), timeout)
        except TimeoutError:
            raise EvalTimedOut("execution terminated") from None
        except JSOOMException as exc:
            self.oom = True
            raise EvalOutOfMemory(str(exc)) from None
        except JSEvalException as exc:
            raise EvalFailed(str(exc)) from None

    def heap(self) -> tuple[int, int]:
        """(used, total) heap bytes of this isolate."""
        stats = self._mr.heap_stats()
        return int(stats["used_heap_size"]), int(stats["total_heap_size"])

    def heap_snapshot(self) -> Any:
        """A V8 heap snapshot (the .heapsnapshot JSON), as parsed JSON."""
        return self._mr.heap_snapshot()

    def close(self) -> None:
        """Dispose of the isolate; further calls raise RuntimeDisposed."""
        cm, self._cm = self._cm, None
        if cm is not None:
            cm.__exit__(None, None, None)
