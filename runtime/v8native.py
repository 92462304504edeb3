"""Direct calls into the V8 that mini-racer embeds, for what mini-racer does not expose.

mini-racer 0.14 offers no microtask checkpoint inside an evaluation, no figure
for memory outside the JS heap, no way to stop JavaScript that runs between two
of its tasks, and no control over WebAssembly code generation. V8 has all of
them, and ``libmini_racer.so`` exports V8's C++ API, so this module binds the
few functions isoplay needs with ctypes (Itanium C++ ABI: a member function
takes ``this`` as its first argument; mini-racer is pinned in pyproject.toml
and ``check()`` verifies every symbol and the ``HeapStatistics`` layout).

Guarantees:

- ``terminate`` may be called from any thread (V8 documents
  ``Isolate::TerminateExecution`` as thread-safe); it stops JavaScript whether
  it runs inside a task or in mini-racer's microtask checkpoint between tasks.
- Every other function here runs on the isolate's own thread only (mini-racer's
  message-pump thread holds the isolate's lock for its lifetime), i.e. inside a
  callback that V8 or mini-racer makes on that thread.
- Nothing here is reachable from JavaScript except through the callbacks
  ``runtime.engine`` installs.

Why not V8 natives syntax (``%PerformMicrotaskCheckpoint()``): the flag that
allows it is process-wide, so it exposed every natives call (``%AbortJS`` kills
the process) to any script source that did not pass through esbuild.
"""

from __future__ import annotations

import ctypes
from dataclasses import dataclass
from typing import Any

import py_mini_racer

GC_TYPE_MARK_SWEEP_COMPACT = 1 << 2
"""v8::GCType kGCTypeMarkSweepCompact (the full collections external-memory pressure triggers)."""
GC_TYPE_INCREMENTAL_MARKING = 1 << 3
"""v8::GCType kGCTypeIncrementalMarking (started by external-memory pressure too)."""

GCEpilogueCallback = ctypes.CFUNCTYPE(None, ctypes.c_void_p, ctypes.c_int, ctypes.c_int, ctypes.c_void_p)
"""void (*)(v8::Isolate*, v8::GCType, v8::GCCallbackFlags, void* data)."""
NearHeapLimitCallback = ctypes.CFUNCTYPE(ctypes.c_size_t, ctypes.c_void_p, ctypes.c_size_t, ctypes.c_size_t)
"""size_t (*)(void* data, size_t current_heap_limit, size_t initial_heap_limit)."""
InterruptCallback = ctypes.CFUNCTYPE(None, ctypes.c_void_p, ctypes.c_void_p)
"""void (*)(v8::Isolate*, void* data)."""
WasmCodeGenCallback = ctypes.CFUNCTYPE(ctypes.c_bool, ctypes.c_void_p, ctypes.c_void_p)
"""bool (*)(v8::Local<v8::Context>, v8::Local<v8::String>) (a Local is one pointer)."""

_SYMBOLS = {
    "get_current": ("_ZN2v87Isolate10GetCurrentEv", ctypes.c_void_p, []),
    "terminate": ("_ZN2v87Isolate18TerminateExecutionEv", None, [ctypes.c_void_p]),
    "checkpoint": ("_ZN2v87Isolate26PerformMicrotaskCheckpointEv", None, [ctypes.c_void_p]),
    "stats_ctor": ("_ZN2v814HeapStatisticsC1Ev", None, [ctypes.c_void_p]),
    "get_heap_statistics": ("_ZN2v87Isolate17GetHeapStatisticsEPNS_14HeapStatisticsE", None,
                            [ctypes.c_void_p, ctypes.c_void_p]),
    "add_gc_epilogue": ("_ZN2v87Isolate21AddGCEpilogueCallbackEPFvPS0_NS_6GCTypeENS_15GCCallbackFlagsEPvES4_S2_",
                        None, [ctypes.c_void_p, GCEpilogueCallback, ctypes.c_void_p, ctypes.c_int]),
    "remove_gc_epilogue": ("_ZN2v87Isolate24RemoveGCEpilogueCallbackEPFvPS0_NS_6GCTypeENS_15GCCallbackFlagsEPvES4_",
                           None, [ctypes.c_void_p, GCEpilogueCallback, ctypes.c_void_p]),
    "add_near_heap_limit": ("_ZN2v87Isolate24AddNearHeapLimitCallbackEPFmPvmmES1_", None,
                            [ctypes.c_void_p, NearHeapLimitCallback, ctypes.c_void_p]),
    "remove_near_heap_limit": ("_ZN2v87Isolate27RemoveNearHeapLimitCallbackEPFmPvmmEm", None,
                               [ctypes.c_void_p, NearHeapLimitCallback, ctypes.c_size_t]),
    "request_interrupt": ("_ZN2v87Isolate16RequestInterruptEPFvPS0_PvES2_", None,
                          [ctypes.c_void_p, InterruptCallback, ctypes.c_void_p]),
    "set_wasm_codegen_callback": (
        "_ZN2v87Isolate34SetAllowWasmCodeGenerationCallbackEPFbNS_5LocalINS_7ContextEEENS1_INS_6StringEEEE",
        None, [ctypes.c_void_p, WasmCodeGenCallback]),
}


class _V8:
    """The bound functions (attributes named as the keys of _SYMBOLS)."""

    get_current: Any
    terminate: Any
    checkpoint: Any
    stats_ctor: Any
    get_heap_statistics: Any
    add_gc_epilogue: Any
    remove_gc_epilogue: Any
    add_near_heap_limit: Any
    remove_near_heap_limit: Any
    request_interrupt: Any
    set_wasm_codegen_callback: Any

    def __init__(self, dll: ctypes.CDLL) -> None:
        for name, (symbol, restype, argtypes) in _SYMBOLS.items():
            try:
                fn = getattr(dll, symbol)
            except AttributeError:
                raise RuntimeError(f"this mini-racer build does not export V8's {symbol}; isoplay needs "
                                   "the mini-racer version pinned in pyproject.toml") from None
            fn.restype = restype
            fn.argtypes = argtypes
            setattr(self, name, fn)


_v8: _V8 | None = None


def v8() -> _V8:
    """The bound V8 functions (mini-racer must be initialised, see runtime.engine.init_v8)."""
    global _v8
    if _v8 is None:
        _v8 = _V8(py_mini_racer.init_mini_racer(ignore_duplicate_init=True))
    return _v8


# v8::HeapStatistics (v8-statistics.h, V8 14.x): size_t fields in this order, then a bool and more
# size_t fields; the buffer is oversized so a newer V8 adding fields at the end cannot overrun it.
_STATS_FIELDS = ("total_heap_size", "total_heap_size_executable", "total_physical_size", "total_available_size",
                 "used_heap_size", "heap_size_limit", "malloced_memory", "external_memory")
_STATS_BYTES = 512


@dataclass(frozen=True)
class HeapFigures:
    """What one V8 isolate holds, in bytes."""

    used_heap_size: int
    """Live objects in the JS heap."""
    total_heap_size: int
    """The JS heap's committed size."""
    external_memory: int
    """Outside the JS heap: ArrayBuffer / typed array backing stores, WebAssembly memories."""
    heap_size_limit: int
    """V8's own heap limit (far above memory_mb; reaching it would abort the process)."""


def heap_figures(isolate: int) -> HeapFigures:
    """Heap figures of ``isolate`` (on its thread only)."""
    api = v8()
    buf = ctypes.create_string_buffer(_STATS_BYTES)
    api.stats_ctor(buf)
    api.get_heap_statistics(isolate, buf)
    values = dict(zip(_STATS_FIELDS, (ctypes.c_size_t * len(_STATS_FIELDS)).from_buffer(buf)))
    return HeapFigures(values["used_heap_size"], values["total_heap_size"], values["external_memory"],
                       values["heap_size_limit"])


def persist_thread_state() -> int:
    """Keep this (foreign, isolate) thread's Python thread state alive between callbacks.

    ctypes creates and destroys a thread state around every callback on a thread
    Python did not start, ~10 us each time; holding one extra reference (release
    it with ``release_thread_state``) makes each callback reuse it. Call inside a
    callback (the GIL is held).
    """
    ensure = ctypes.pythonapi.PyGILState_Ensure
    ensure.restype = ctypes.c_int
    return int(ensure())


def release_thread_state(state: int) -> None:
    """Drop the reference ``persist_thread_state`` took (inside a callback on the same thread)."""
    release = ctypes.pythonapi.PyGILState_Release
    release.argtypes = [ctypes.c_int]
    release(state)
