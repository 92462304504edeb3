"""The V8 engine seam: process-wide flags, one isolate, one crossing per call.

Everything isoplay does with mini-racer goes through this module, so the rest of
the runtime never touches its private parts. Two facts shape it (see DESIGN.md,
"What mini-racer costs"):

- Every call into an isolate is a thread hand-off. ``V8Isolate.eval`` does it
  the cheapest way: a synchronous evaluation on the isolate's own asyncio loop
  thread (mini-racer's "uncancelable" task path); the caller, which waits for the
  result anyway, is its watchdog and terminates the evaluation when its
  wall-time budget runs out (``V8Isolate._wait``).
- Microtasks normally drain only *after* an evaluation returns (mini-racer runs
  its checkpoint between tasks). Each isolate therefore gets a drain function,
  a native V8 function whose ctypes callback (on the isolate thread) calls V8's
  ``Isolate::PerformMicrotaskCheckpoint`` (``runtime.v8native``); the prelude
  takes it privately, so a handler that settles without host I/O returns its
  result in the same crossing. V8 runs *without* ``--allow-natives-syntax``:
  no script source, whatever path it came by, can use ``%`` natives calls
  (``init_v8`` checks that they do not parse). ``--disallow-code-generation-from-strings``
  (as in Workers) disables ``eval`` and ``new Function``, and WebAssembly is
  compiled only while the host lets the prelude compile a bundle's own modules
  (``V8Isolate.compiling_bundled_wasm``).
- Memory: every isolate counts its JS heap *and* its external memory
  (ArrayBuffer backing stores, WebAssembly memories) against ``memory_limit``:
  V8 calls back after every full or incremental collection, and a crossing that
  runs longer than ``MEMORY_SAMPLE_INTERVAL`` is interrupted that often (by its
  waiting caller) to check; over the limit, the isolate's JavaScript is terminated and the
  evaluation raises ``EvalOutOfMemory``. A near-heap-limit callback keeps V8
  from aborting the process should a single allocation jump past its own limit.
- The wait stops a runaway evaluation with ``TerminateExecution`` on the
  isolate itself, so it also stops microtasks that run between two tasks.
"""

from __future__ import annotations

import asyncio
import ctypes
import heapq
import itertools
import json
import logging
import os
import queue
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from typing import Any, cast

import orjson
import py_mini_racer
from py_mini_racer import JSEvalException, JSOOMException, JSParseException, JSTimeoutException
from py_mini_racer._exc import JSTerminatedException
from py_mini_racer._mini_racer import mini_racer

from runtime import v8native
from runtime.errors import RuntimeDisposed

V8_FLAGS: tuple[str, ...] = (
    *py_mini_racer.DEFAULT_V8_FLAGS,
    # A disposed isolate's heap pages go back to the OS instead of a process-wide pool: after
    # a script is stopped at its memory limit, RSS returns near its baseline (measured in
    # bench/attack_memory.py: 267 MB -> 78 MB after a 128 MB string attack).
    "--no-memory-pool-share-memory-on-teardown",
    # The young generation may grow to 3 x 8 MB instead of 3 x 32 MB. V8's default let a script
    # commit ~90 MB more than memory_mb between two memory checks while promoting large strings
    # (bench/attack_memory.py: growing / concatenated strings peaked at 251 MB for 128, 230
    # with this); a handler's young generation rarely grows past a few MB anyway.
    "--max-semi-space-size=8",
)
"""Flags the process's V8 is initialised with (once, before the first isolate). Never
``--allow-natives-syntax``: it is process-wide and would let any script source call V8
internals (``%AbortJS`` aborts the process)."""

_result_poll_s = 0.0
"""How long a waiting caller polls for a crossing's result before it sleeps (``poll_for_results``)."""


def poll_for_results(seconds: float) -> None:
    """Callers of crossings with a deadline poll up to ``seconds`` for the result before they sleep
    on it. Set by ``isoplay dev`` only, when ``ISOPLAY_DEV_POLL_US`` asks: a sequential request's result, tens to hundreds of
    microseconds away, then does not have to wake a sleeping thread (costly on an idle virtual
    machine). The poll yields the core between looks (``sched_yield``) and holds the GIL only to
    look, so V8's thread can hand the result over."""
    global _result_poll_s
    _result_poll_s = max(0.0, seconds)


def _poll(ready: Callable[[], int], seconds: float) -> None:
    clock = time.perf_counter
    end = clock() + seconds
    yield_ = os.sched_yield
    while not ready() and clock() < end:
        yield_()


def _find_sched_getcpu() -> Callable[[], int] | None:
    """libc's ``sched_getcpu`` (a vDSO read on Linux), where threads can be held to a CPU."""
    if not hasattr(os, "sched_setaffinity") or os.environ.get("ISOPLAY_FOLLOW_CPU", "1") == "0":
        return None
    try:
        getcpu = ctypes.CDLL(None).sched_getcpu
    except (OSError, AttributeError):
        return None
    getcpu.restype = ctypes.c_int
    getcpu.argtypes = []
    return cast(Callable[[], int], getcpu) if getcpu() >= 0 else None


_sched_getcpu = _find_sched_getcpu()
"""Set where an isolate's thread can follow its caller's CPU (``V8Isolate._follow``); None elsewhere."""


MEMORY_SAMPLE_INTERVAL = 0.005
"""Seconds between memory checks while one crossing runs (between collections, see above)."""

COMMITTED_SLACK = 16 * 1024 * 1024
"""Committed heap may pass memory_mb by a quarter of it or this much, whichever is more (see _check_memory)."""

COMPILE_GLOBAL = "__isoplay_compile"
"""The global ``run_script``'s one-call compile callback waits under (taken and deleted by its call)."""

DRAIN_GLOBAL = "__isoplay_drain"
"""The global the drain function waits under until the prelude takes (and deletes) it."""
MEMCHECK_GLOBAL = "__isoplay_memcheck"
"""The global of the native memory check, until the prelude's memory.ts takes (and deletes) it: a script
that allocates Array buffers fast calls it every few MB, so the limit does not wait for V8 to schedule a
collection (V8 decides that by heuristics an unrelated change to the prelude's size once shifted, and eight
untouched 64 MB buffers then passed a 128 MB limit)."""

# mini-racer callback ids isoplay reserves (its own count up from 1; 0 is its result queue).
_DRAIN_ID = (1 << 64) - 1
_INIT_ID = (1 << 64) - 2
_STATS_ID = (1 << 64) - 3
_RELEASE_ID = (1 << 64) - 4
_WASM_ALLOW_ID = (1 << 64) - 5
_WASM_DENY_ID = (1 << 64) - 6
_COMPILE_ID = (1 << 64) - 7
_NATIVE_GATE_ID = (1 << 64) - 8
NATIVE_GATE_GLOBAL = "__isoplay_native"
"""The global of the one-call callback that makes the native drain (taken and deleted by its call)."""
WASM_GATE_GLOBALS = ("__isoplay_wasm_allow", "__isoplay_wasm_deny")
"""Globals the prelude takes (and deletes) to compile its own trusted WebAssembly (wasm.ts)."""

if os.environ.get("ISOPLAY_V8_ALLOW_EVAL") != "1":
    # Workers semantics: no eval / new Function. Debug worker processes may lift it.
    V8_FLAGS = (*V8_FLAGS, "--disallow-code-generation-from-strings")

log = logging.getLogger(__name__)

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
            probe.eval("(() => %GetOptimizationStatus(0))")
        except JSParseException:
            pass  # as it must be: natives syntax does not parse
        else:
            raise RuntimeError("V8 was initialised with --allow-natives-syntax, which lets any script call V8 "
                               "internals; isoplay refuses to run scripts in this process")
        finally:
            probe.close()
        v8native.v8()  # every V8 function isoplay binds is exported (fails early and clearly if not)
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
    """One thread that runs actions at their deadlines (the rare host crossings of ``V8Isolate._post``)."""

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._heap: list[tuple[float, int]] = []
        self._actions: dict[int, Callable[[], None]] = {}
        self._ids = itertools.count()
        self._thread: threading.Thread | None = None
        self._wake_at = float("inf")
        """When the thread's current wait ends (it is woken only if something is due earlier)."""

    def _start(self) -> None:
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name="isoplay-watchdog", daemon=True)
            self._thread.start()

    def arm(self, deadline: float, action: Callable[[], None]) -> int:
        """Run ``action`` at ``deadline`` (time.monotonic) unless disarmed first."""
        key = next(self._ids)
        with self._cond:
            self._actions[key] = action
            heapq.heappush(self._heap, (deadline, key))
            self._start()
            if deadline < self._wake_at:
                self._cond.notify()
        return key

    def disarm(self, key: int) -> None:
        """Forget an armed action (cheap: the heap entry is skipped later)."""
        self._actions.pop(key, None)

    def _run(self) -> None:
        while True:
            due: list[Callable[[], None]] = []
            with self._cond:
                while not self._heap:
                    self._wake_at = float("inf")
                    self._cond.wait()
                now = time.monotonic()
                while self._heap and self._heap[0][0] <= now:
                    _, key = heapq.heappop(self._heap)
                    action = self._actions.pop(key, None)
                    if action is not None:
                        due.append(action)
                if not due:
                    if not self._heap:
                        continue  # only disarmed entries were due
                    self._wake_at = self._heap[0][0]
                    self._cond.wait(min(self._wake_at - now, 3600.0))
                    self._wake_at = float("inf")
                    continue
            for action in due:
                try:
                    action()
                except Exception:  # the watchdog must outlive any one action, or no time limit holds
                    log.exception("watchdog action failed")


_watchdog = _Watchdog()


def body_credit(measured: float, copied: int, wall: float, per_byte: float) -> float:
    """Seconds of a crossing that were request-body copying, not the script's time: what the
    copies measured or, once ``copied`` bytes were copied, the crossing's ``wall`` time up to
    ``per_byte`` a byte (a loaded machine preempts the V8 thread between copies)."""
    return max(measured, min(wall, copied * per_byte)) if copied else measured


def loads(text: str) -> Any:
    """Decode JSON from the isolate: orjson (3x faster on the hot path), json for what it refuses
    (a lone surrogate that JSON.stringify escaped)."""
    try:
        return orjson.loads(text)
    except orjson.JSONDecodeError:
        return json.loads(text)


def dumpb(value: Any) -> bytes:
    """Encode JSON for the isolate as UTF-8: orjson, or json for what orjson refuses (integers past 64 bits)."""
    try:
        return orjson.dumps(value)
    except TypeError:  # orjson.JSONEncodeError is a TypeError
        return json.dumps(value).encode("utf-8")


def dumps(value: Any) -> str:
    """``dumpb`` as text."""
    return dumpb(value).decode("utf-8")


class V8Isolate:
    """One V8 isolate bound to an asyncio loop; all calls come from that loop's thread."""

    def __init__(self, loop: asyncio.AbstractEventLoop, *, memory_limit: int) -> None:
        init_v8()
        self._cm: AbstractContextManager[Any] | None = mini_racer(loop)
        self._mr = self._cm.__enter__()
        self._ctx: Any = cast(Any, self._mr._ctx)
        self.loop = loop
        self.memory_limit = memory_limit
        self.oom = False
        self.memory_hit = False
        """Set (on the isolate thread) when heap + external memory passed ``memory_limit``."""
        self._interrupt_pending = False
        self.wasm_allowed = False
        """Whether WebAssembly may be compiled now (only inside ``compiling_bundled_wasm``)."""
        self.bodies: dict[str, Any] = {}
        """Request bodies this isolate's script may read now, by id (runtime/webapi/request_body.py)."""
        self._shared: memoryview | None = None
        """The loader's shared buffer (``install_loader``), which ``stage`` writes a crossing's input into."""
        self.body_seconds = 0.0
        """Time spent copying request bodies into this isolate (credited to the deadline, not the script)."""
        self.body_last_at = 0.0
        self.body_last_bytes = 0
        self.body_allowance = 0.0
        self.body_bytes = 0
        """Request-body bytes copied into this isolate so far."""
        self.body_credit_per_byte = 0.0
        """Seconds of a crossing's wall time each copied body byte may earn (set with the body
        loader: runtime/webapi/chunks.py BODY_GAP_CREDIT_S_PER_BYTE)."""
        """When the last body copy ended and how many bytes it gave (runtime/webapi/chunks.py)."""
        self._native_lock = threading.Lock()
        self._compile_job: tuple[bytes, bytes | None, tuple[bytes, ...], bool] | None = None
        self._compile_result: v8native.ScriptRun | None = None
        self._isolate: int | None = None
        self._thread_state: int | None = None
        self._tid: int | None = None
        """The isolate thread's id (set on it by _init_on_thread), for _follow."""
        self._on_cpu = -1
        """The one CPU the isolate thread is held to now (see _follow); -1: any of the process's."""
        self._cpus: set[int] | None = None
        self._figures: v8native.HeapFigures | None = None
        # Every crossing hands its result from the isolate thread to the waiting caller through
        # this queue: a C SimpleQueue instead of mini-racer's queue.Queue (whose put/get run
        # ~20 lines of Python with a Condition each time). mini-racer only puts and gets.
        object.__setattr__(self._ctx, "_non_cancelable_mr_task_results_queue", queue.SimpleQueue())
        self._results = self._ctx._non_cancelable_mr_task_results_queue
        self._wrap = self._ctx._wrap_raw_handle
        self._free = self._ctx._dll.mr_free_value
        self._forward = self._ctx.handle_callback_from_v8
        # Keep the ctypes callbacks alive as long as V8 may call them.
        self._gc_cb = v8native.GCEpilogueCallback(self._on_gc)
        self._near_cb = v8native.NearHeapLimitCallback(self._on_near_heap_limit)
        self._interrupt_cb = v8native.InterruptCallback(self._on_interrupt)
        self._wasm_cb = v8native.WasmCodeGenCallback(self._on_wasm_codegen)
        self._drain_cb = v8native.FunctionCallback(self._on_drain)
        self._memcheck_cb = v8native.FunctionCallback(self._on_memcheck)
        self._checkpoint = v8native.v8().checkpoint
        self._isolate_arg: ctypes.c_void_p | None = None
        self._native_drain: bool | None = None
        """None until the gate of _install_drain runs; then whether the native drain was made."""
        object.__setattr__(self._ctx, "handle_callback_from_v8", self._on_callback)
        self._mr.set_hard_memory_limit(memory_limit)
        self._post("0", _INIT_ID)
        self._install_drain()

    # ---- the isolate thread ------------------------------------------------
    def _on_callback(self, callback_id: int, raw: Any) -> None:
        """Every mini-racer callback of this isolate, on its thread (keep it short)."""
        if callback_id == 0:
            self._results.put(self._wrap(raw))
        elif callback_id == _DRAIN_ID:
            self._free(self._ctx._ctx, raw)
            if self._isolate is not None:
                v8native.v8().checkpoint(self._isolate)
        elif callback_id in (_WASM_ALLOW_ID, _WASM_DENY_ID):
            self._free(self._ctx._ctx, raw)
            self.wasm_allowed = callback_id == _WASM_ALLOW_ID
        elif callback_id == _NATIVE_GATE_ID:
            self._free(self._ctx._ctx, raw)
            if self._native_drain is None and self._isolate is not None:  # once: a stray call does nothing
                self._native_drain = v8native.set_global_function(self._isolate, DRAIN_GLOBAL.encode(), self._drain_cb)
                v8native.set_global_function(self._isolate, MEMCHECK_GLOBAL.encode(), self._memcheck_cb)
        elif callback_id == _COMPILE_ID:
            self._free(self._ctx._ctx, raw)
            job, self._compile_job = self._compile_job, None  # one job per call; a stray call does nothing
            if job is not None and self._isolate is not None:
                source, cache, then, produce = job
                self._compile_result = v8native.compile_and_run(self._isolate, source, cache=cache, then=then,
                                                                produce=produce)
        elif callback_id == _STATS_ID:
            if self._isolate is not None:
                self._figures = v8native.heap_figures(self._isolate)
            self._results.put(self._wrap(raw))
        elif callback_id == _INIT_ID:
            self._init_on_thread()
            self._results.put(self._wrap(raw))
        elif callback_id == _RELEASE_ID:
            if self._thread_state is not None:
                v8native.release_thread_state(self._thread_state)
                self._thread_state = None
            self._results.put(self._wrap(raw))
        else:
            self._forward(callback_id, raw)

    def _init_on_thread(self) -> None:
        api = v8native.v8()
        isolate = int(api.get_current())
        self._tid = threading.get_native_id()
        self._thread_state = v8native.persist_thread_state()
        mask = v8native.GC_TYPE_MARK_SWEEP_COMPACT | v8native.GC_TYPE_INCREMENTAL_MARKING
        api.add_gc_epilogue(isolate, self._gc_cb, None, mask)
        api.add_near_heap_limit(isolate, self._near_cb, None)
        api.set_wasm_codegen_callback(isolate, self._wasm_cb)
        self._isolate_arg = ctypes.c_void_p(isolate)
        self._isolate = isolate

    def _on_drain(self, info: Any) -> None:
        """The microtask drain (a native V8 function, see _install_drain): runs every queued microtask."""
        self._checkpoint(self._isolate_arg)

    def _on_memcheck(self, info: Any) -> None:
        """The native memory check (MEMCHECK_GLOBAL), on the isolate thread: terminates past the limit."""
        if self._isolate is not None:
            self._check_memory(self._isolate)

    def _check_memory(self, isolate: int) -> None:
        if self.memory_hit:
            return
        api = v8native.v8()
        figures = v8native.heap_figures(isolate)
        limit = self.memory_limit
        external = figures.external_memory
        committed = figures.total_heap_size + external
        # Live objects past the limit, or memory V8 committed (garbage not yet collected included)
        # past it by a quarter (at least 16 MB): the second keeps RSS near memory_mb between
        # full collections, which V8 schedules by its own, far larger, heap limit. (Bringing V8's
        # limit down to memory_mb was measured and dropped: near it V8 retries full collections
        # before it gives up -- 357 ms of GC became 2.2-7.5 s for an object growing by keys, so
        # the wall clock won more often -- and the peak RSS did not come down.)
        if figures.used_heap_size + external > limit or committed > limit + max(limit // 4, COMMITTED_SLACK):
            self.memory_hit = True
            api.terminate(isolate)

    def _on_gc(self, isolate: int, gc_type: int, flags: int, data: Any) -> None:
        self._check_memory(isolate)

    def _on_interrupt(self, isolate: int, data: Any) -> None:
        self._interrupt_pending = False
        self._check_memory(isolate)

    def _on_near_heap_limit(self, data: Any, current: int, initial: int) -> int:
        # V8 would abort the whole process at its own limit: stop this isolate instead and give
        # V8 room to finish the allocation in flight and unwind (as much as its default limit).
        self.memory_hit = True
        if self._isolate is not None:
            v8native.v8().terminate(self._isolate)
        return int(max(current * 2, initial))

    def _on_wasm_codegen(self, context: Any, source: Any) -> bool:
        return self.wasm_allowed

    # ---- the loop thread ---------------------------------------------------
    def _follow(self) -> bool:
        """Before a crossing its caller waits for: hold the isolate thread and the caller to the
        caller's CPU until it ends (``_release_caller``). Returns whether it did.

        The caller waits for the crossing anyway, so its CPU is free for the isolate thread, and the
        hand-off there and back stays on that CPU: no idle CPU has to be woken, on either side. On an
        idle virtual machine such a wake-up cost ~100 us each way: a sequential request's warm invoke
        took 210-330 us with the two threads free and ~70 us held together (2 vCPUs, load 0). Only the
        event loop's own crossings are held: the pool's offloaded batches run on worker threads and
        leave their isolates free, so isolates still run in parallel on every core. Costs: a
        ``sched_getcpu`` and two ``sched_setaffinity`` calls on the caller, and a third on the
        isolate thread when the caller's CPU changed since its last crossing.
        """
        if _sched_getcpu is None or self._tid is None:
            return False
        if asyncio._get_running_loop() is not self.loop:  # a worker thread's crossing: run anywhere
            self._unfollow()
            return False
        cpu = _sched_getcpu()
        try:
            if self._cpus is None:
                self._cpus = os.sched_getaffinity(0)
            if cpu not in self._cpus:
                return False
            if cpu != self._on_cpu:
                os.sched_setaffinity(self._tid, (cpu,))
                self._on_cpu = cpu
            os.sched_setaffinity(0, (cpu,))
        except OSError:  # the thread is gone (closing) or the call is refused: leave both free
            self._on_cpu = -1
            return False
        return True

    def _release_caller(self) -> None:
        """After a crossing ``_follow`` held: the caller may run on any of the process's CPUs again
        (the isolate thread stays where it is, ready for the next crossing)."""
        try:
            os.sched_setaffinity(0, self._cpus or os.sched_getaffinity(0))
        except OSError:
            pass

    def _unfollow(self) -> None:
        """Let the isolate thread run on any of the process's CPUs again (before a crossing whose
        caller does not wait, such as a debugger's)."""
        if self._on_cpu < 0 or self._tid is None:
            return
        try:
            os.sched_setaffinity(self._tid, self._cpus or os.sched_getaffinity(0))
        except OSError:
            pass
        self._on_cpu = -1

    def _post(self, code: str, callback_id: int, timeout: float | None = None) -> Any:
        """Evaluate with a reserved callback id and wait for the result (its handler ran by then)."""
        ctx = self._ctx
        handle = ctx._python_to_value_handle(code)
        held = self._follow()
        task_id = ctx._dll.mr_eval(ctx._ctx, handle.raw, callback_id)
        key = None
        if timeout is not None:
            raw_ctx = ctx._ctx

            def stop() -> None:
                ctx._dll.mr_cancel_task(raw_ctx, task_id)
                self.terminate()

            key = _watchdog.arm(time.monotonic() + timeout, stop)
        try:
            raw = self._results.get()
        finally:
            if held:
                self._release_caller()
            if key is not None:
                _watchdog.disarm(key)
        return ctx._value_handle_to_python(raw)

    def _install_drain(self) -> None:
        """Put the microtask drain and the WebAssembly gates where the prelude takes them.

        The drain is a function V8 makes (``Function::New``) with a ctypes callback: a call
        goes from JavaScript to ``_on_drain`` directly. It is made inside a one-call gate (a
        mini-racer callback, so a context is entered), taken and deleted by the same evaluation
        before any other code runs. Without the V8 bindings it is a mini-racer callback
        (``_DRAIN_ID``), ~4x dearer a call.
        """
        ctx = self._ctx
        global_object = self._mr.eval("globalThis")
        if v8native.function_api() is not None:
            gate = ctx._value_handle_to_python(ctx._wrap_raw_handle(ctx._dll.mr_make_js_callback(ctx._ctx, _NATIVE_GATE_ID)))
            global_object[NATIVE_GATE_GLOBAL] = gate  # type: ignore[index,call-overload]
            self.eval(f"(() => {{ const gate = globalThis.{NATIVE_GATE_GLOBAL}; delete globalThis.{NATIVE_GATE_GLOBAL};"
                      " gate(); })()")
        if not self._native_drain:
            drain = ctx._value_handle_to_python(ctx._wrap_raw_handle(ctx._dll.mr_make_js_callback(ctx._ctx, _DRAIN_ID)))
            global_object[DRAIN_GLOBAL] = drain  # type: ignore[index,call-overload]
        for name, callback_id in zip(WASM_GATE_GLOBALS, (_WASM_ALLOW_ID, _WASM_DENY_ID)):
            gate = ctx._value_handle_to_python(ctx._wrap_raw_handle(ctx._dll.mr_make_js_callback(ctx._ctx, callback_id)))
            global_object[name] = gate  # type: ignore[index,call-overload]

    def run_script(self, source: bytes, *, cache: bytes | None = None, then: tuple[bytes, ...] = (),
                   produce: bool = False) -> v8native.ScriptRun:
        """Compile and run ``source`` through V8's embedder API, with a code cache (see
        ``v8native.compile_and_run``): how the prelude loads without parsing it again.

        A private callback is put on ``globalThis`` for one call that takes and deletes it,
        so no script ever sees it, and it acts only while this method waits for it.

        Raises:
            EvalFailed (or a subclass): the script threw, or did not compile.
        """
        if self._cm is None:
            raise RuntimeDisposed("the isolate is closed")
        ctx = self._ctx
        gate = ctx._value_handle_to_python(ctx._wrap_raw_handle(ctx._dll.mr_make_js_callback(ctx._ctx, _COMPILE_ID)))
        self._mr.eval("globalThis")[COMPILE_GLOBAL] = gate  # type: ignore[index,call-overload]
        self._compile_job = (source, cache, then, produce)
        self._compile_result = None
        try:
            self.eval(f"(() => {{ const run = globalThis.{COMPILE_GLOBAL}; delete globalThis.{COMPILE_GLOBAL};"
                      " run(); })()")
        finally:
            self._compile_job = None
        result, self._compile_result = self._compile_result, None
        if result is None or not result.ok:
            raise EvalFailed("the script did not compile or run")
        return result

    def set_memory_limit(self, memory_limit: int) -> None:
        """Change the memory limit (an isolate from the stock gets its script's)."""
        if self._cm is None:
            raise RuntimeDisposed("the isolate is closed")
        self._mr.set_hard_memory_limit(memory_limit)
        self.memory_limit = memory_limit

    @property
    def closed(self) -> bool:
        """Whether ``close()`` has run."""
        return self._cm is None

    def terminate(self) -> None:
        """Stop whatever JavaScript this isolate runs now (any thread; no-op once closed)."""
        with self._native_lock:
            if self._cm is not None and self._isolate is not None:
                v8native.v8().terminate(self._isolate)

    def _request_memory_check(self) -> None:
        if self._interrupt_pending:
            return  # the last one has not run yet (V8 is in a long builtin or collecting): no pile-up
        with self._native_lock:
            if self._cm is not None and self._isolate is not None:
                self._interrupt_pending = True
                v8native.v8().request_interrupt(self._isolate, self._interrupt_cb, None)

    @contextmanager
    def compiling_bundled_wasm(self) -> Iterator[None]:
        """Let JavaScript compile WebAssembly while the host loads a bundle's own modules.

        The seam for bundled ``.wasm`` files: outside this block, compiling
        WebAssembly from bytes fails (Workers forbids code generation at run
        time). Only the host enters it, around the evaluation that compiles the
        modules it ships with the bundle, before any of the script's code runs.
        """
        self.wasm_allowed = True
        try:
            yield
        finally:
            self.wasm_allowed = False

    def eval(self, code: str, *, timeout: float | None = None) -> Any:
        """Evaluate ``code`` synchronously, at most ``timeout`` seconds of wall time.

        Raises:
            EvalTimedOut: the deadline passed and the evaluation was terminated.
            EvalOutOfMemory: the memory limit was reached.
            EvalFailed: the code threw or did not parse.
        """
        if self._cm is None:
            raise RuntimeDisposed("the isolate is closed")
        if self.memory_hit:
            # Its memory checks are off from here on; running more of its code could only grow it.
            self.oom = True
            raise EvalOutOfMemory("the isolate exceeded its memory limit earlier and must be replaced")
        ctx = self._ctx
        handle = ctx._python_to_value_handle(code)
        held = self._follow()
        task_id = ctx._dll.mr_eval(ctx._ctx, handle.raw, 0)
        try:
            result_handle = self._results.get() if timeout is None else self._wait(task_id, timeout)
        finally:
            if held:
                self._release_caller()
        try:
            value = ctx._value_handle_to_python(result_handle)
        except JSOOMException as exc:
            self.oom = True
            raise EvalOutOfMemory(str(exc)) from None
        except (JSTerminatedException, JSTimeoutException) as exc:
            if self.memory_hit or self._mr.was_hard_memory_limit_reached() or self._past_limit_now():
                self.oom = True
                raise EvalOutOfMemory(str(exc)) from None
            raise EvalTimedOut(str(exc)) from None
        except JSEvalException as exc:
            if self.memory_hit:
                self.oom = True
                raise EvalOutOfMemory(str(exc)) from None
            raise EvalFailed(str(exc)) from None
        if self.memory_hit:
            # Terminated between tasks (the result came first): the isolate is still over its limit.
            self.oom = True
            raise EvalOutOfMemory("the isolate exceeded its memory limit")
        return value

    def _wait(self, task_id: int, timeout: float) -> Any:
        """The result of evaluation ``task_id``, which may run ``timeout`` seconds.

        The waiting thread is the evaluation's watchdog: it waits on the result queue
        MEMORY_SAMPLE_INTERVAL at a time, asks the isolate for a memory check after each
        interval that passes, and at the deadline terminates the evaluation (unless copying
        a request body took part of that time: that is not the script's). Most crossings end
        within the first interval, so none wakes another thread: a watchdog thread, woken for
        each crossing, cost two context switches a crossing (~3 us a request under load).
        """
        get = self._results.get
        began = time.monotonic()
        deadline = began + timeout
        seconds_at, bytes_at = self.body_seconds, self.body_bytes
        credited = 0.0
        self._interrupt_pending = False  # one left from a crossing that ended first runs harmlessly
        if _result_poll_s:
            _poll(self._results.qsize, min(_result_poll_s, timeout))
        try:
            return get(timeout=min(MEMORY_SAMPLE_INTERVAL, timeout))
        except queue.Empty:
            pass
        while True:
            now = time.monotonic()
            if now >= deadline:
                # Copying a request body is not the script's time: what the copies measured, or, once
                # body bytes were copied, this crossing's wall time up to the per-byte allowance (the
                # rule ScriptIsolate._take_credit applies after the crossing; a loaded machine
                # preempts the V8 thread between copies, and a long copy must not be cut here).
                earned = body_credit(self.body_seconds - seconds_at, self.body_bytes - bytes_at, now - began,
                                     self.body_credit_per_byte)
                extra = earned - credited
                if extra > 0.0005:
                    credited = earned
                    deadline = now + extra
                    continue
                ctx = self._ctx
                ctx._dll.mr_cancel_task(ctx._ctx, task_id)
                self.terminate()  # also stops microtasks mini-racer runs between tasks
                return get()
            self._request_memory_check()
            try:
                return get(timeout=min(MEMORY_SAMPLE_INTERVAL, deadline - now))
            except queue.Empty:
                pass

    def _past_limit_now(self) -> bool:
        """After a termination for the deadline: whether the isolate holds more than its limit
        anyway (the last memory check came before a long collection or builtin that straddled
        the deadline). Such a script is reported as stopped by memory_mb, not timeout_ms."""
        try:
            f = self.figures()
        except (EvalFailed, JSEvalException):
            return False
        if f.used_heap_size + f.external_memory > self.memory_limit:
            self.memory_hit = True
        return self.memory_hit

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
        self._shared = buf

    def argument(self, payload: bytes, *, quoted: bool, stage: bool = True) -> str:
        """``payload`` (JSON) as a crossing's argument: ``null`` when ``stage`` asks for it and
        ``stage()`` took it, else the JSON itself written into the code (as a string literal for
        ``JSON.parse`` when ``quoted``)."""
        if stage and self.stage(payload):
            return "null"
        text = payload.decode("utf-8")
        return dumps(text) if quoted else text

    def stage(self, payload: bytes) -> bool:
        """Put ``payload`` (JSON) in the loader's shared buffer for the next crossing's code to read
        first (the prelude's ``takeHostInput``), instead of writing it into that code as a literal.
        The code is then the same text every time and V8 compiles it once: a literal new to V8 made
        the code a new script, ~27 us of the V8 thread to compile, as much as the rest of a hello
        crossing. False (the caller writes the literal) without a loader buffer, when ``payload``
        does not fit, or when it is not ASCII (the prelude reads it a byte a character)."""
        buf = self._shared
        size = len(payload)
        if buf is None or size > len(buf) - 4 or not payload.isascii():
            return False
        buf[0:4] = size.to_bytes(4, "little")
        buf[4:4 + size] = payload
        return True

    def eval_json(self, code: str, *, timeout: float | None = None) -> Any:
        """Evaluate an expression that returns a JSON string, and decode it."""
        raw = self.eval(code, timeout=timeout)
        return loads(raw) if isinstance(raw, str) else raw

    async def eval_async(self, code: str, *, timeout: float | None = None) -> Any:
        """Evaluate without blocking the loop (used while a debugger may pause JS)."""
        if self._mr is None:
            raise RuntimeDisposed("the isolate is closed")
        if self.memory_hit:
            self.oom = True
            raise EvalOutOfMemory("the isolate exceeded its memory limit earlier and must be replaced")
        self._unfollow()  # the loop goes on while this runs (and a debugger may pause it): not on its CPU
        try:
            return await asyncio.wait_for(self._mr.eval_cancelable(code), timeout)
        except TimeoutError:
            raise EvalTimedOut("execution terminated") from None
        except JSOOMException as exc:
            self.oom = True
            raise EvalOutOfMemory(str(exc)) from None
        except JSEvalException as exc:
            if self.memory_hit:
                self.oom = True
                raise EvalOutOfMemory(str(exc)) from None
            raise EvalFailed(str(exc)) from None

    def figures(self) -> v8native.HeapFigures:
        """The isolate's heap and external memory now (one crossing)."""
        if self._cm is None:
            raise RuntimeDisposed("the isolate is closed")
        try:
            self._post("0", _STATS_ID)
        except JSTerminatedException:  # a termination still pending from a stopped evaluation hit this one
            raise EvalTimedOut("the isolate was terminated; its heap figures cannot be read") from None
        assert self._figures is not None
        return self._figures

    def heap(self) -> tuple[int, int]:
        """(used, total) bytes of this isolate, external memory (ArrayBuffers, Wasm) included."""
        f = self.figures()
        return f.used_heap_size + f.external_memory, f.total_heap_size + f.external_memory

    def heap_snapshot(self) -> Any:
        """A V8 heap snapshot (the .heapsnapshot JSON), as parsed JSON."""
        return self._mr.heap_snapshot()

    def close(self) -> None:
        """Dispose of the isolate; further calls raise RuntimeDisposed."""
        if self._cm is not None and self._thread_state is not None:
            # The release runs in the evaluation's callback on the isolate thread, whether
            # the evaluation completes, fails or is terminated.
            try:
                self._post("0", _RELEASE_ID, timeout=1.0)
            except JSEvalException:
                pass  # the callback ran all the same
        with self._native_lock:
            cm, self._cm = self._cm, None
        if cm is not None:
            cm.__exit__(None, None, None)
