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


# ---- compiling with V8's code cache ---------------------------------------------------------
# mini-racer compiles every evaluation from source. V8's embedder API can instead hand a script
# the code cache of an earlier compilation of the same source (its bytecode and function
# table), which skips parsing and compiling; isoplay uses it for the prelude (runtime/stock.py),
# the one large script every isolate runs. These bindings are optional: without them the
# prelude is evaluated from source as before.

_CODE_CACHE_SYMBOLS = {
    "new_string_utf8": ("_ZN2v86String11NewFromUtf8EPNS_7IsolateEPKcNS_13NewStringTypeEi", ctypes.c_void_p,
                        [ctypes.c_void_p, ctypes.c_char_p, ctypes.c_int, ctypes.c_int]),
    "current_context": ("_ZN2v87Isolate17GetCurrentContextEv", ctypes.c_void_p, [ctypes.c_void_p]),
    "compile": ("_ZN2v814ScriptCompiler7CompileENS_5LocalINS_7ContextEEEPNS0_6SourceENS0_14CompileOptionsENS0_"
                "13NoCacheReasonE", ctypes.c_void_p, [ctypes.c_void_p, ctypes.c_void_p, ctypes.c_int, ctypes.c_int]),
    "run": ("_ZN2v86Script3RunENS_5LocalINS_7ContextEEE", ctypes.c_void_p, [ctypes.c_void_p, ctypes.c_void_p]),
    "unbound_script": ("_ZN2v86Script16GetUnboundScriptEv", ctypes.c_void_p, [ctypes.c_void_p]),
    "create_code_cache": ("_ZN2v814ScriptCompiler15CreateCodeCacheENS_5LocalINS_13UnboundScriptEEE",
                          ctypes.c_void_p, [ctypes.c_void_p]),
    "cached_data_ctor": ("_ZN2v814ScriptCompiler10CachedDataC1EPKhiNS1_12BufferPolicyE", None,
                         [ctypes.c_void_p, ctypes.c_void_p, ctypes.c_int, ctypes.c_int]),
    "cached_data_dtor": ("_ZN2v814ScriptCompiler10CachedDataD1Ev", None, [ctypes.c_void_p]),
}

# v8::ScriptCompiler::Source (v8-script.h, V8 14.x): Local<String> source_string, Local<Value>
# resource_name, int line, int column, ScriptOriginOptions, Local<Value> source_map_url,
# Local<Data> host_defined_options, unique_ptr<CachedData> cached_data, unique_ptr<...>
# consume_cache_task, then compile-hint callback fields. Zeroed fields are V8's defaults (no
# origin: the prelude names itself with a //# sourceURL comment). The buffer is oversized.
_SOURCE_BYTES = 256
_SOURCE_CACHED_DATA = 48
# v8::ScriptCompiler::CachedData: const uint8_t* data, int length, bool rejected, BufferPolicy.
_CACHED_DATA_BYTES = 64
_CACHED_DATA_LENGTH = 8
_CACHED_DATA_REJECTED = 12
_COMPILE_CONSUME_CODE_CACHE = 1
_BUFFER_NOT_OWNED = 0


class _CodeCacheApi:
    new_string_utf8: Any
    current_context: Any
    compile: Any
    run: Any
    unbound_script: Any
    create_code_cache: Any
    cached_data_ctor: Any
    cached_data_dtor: Any

    def __init__(self, dll: ctypes.CDLL) -> None:
        for name, (symbol, restype, argtypes) in _CODE_CACHE_SYMBOLS.items():
            fn = getattr(dll, symbol)  # AttributeError: this build lacks it (see code_cache_api)
            fn.restype = restype
            fn.argtypes = argtypes
            setattr(self, name, fn)


_code_cache_api: _CodeCacheApi | None | bool = False


def code_cache_api() -> _CodeCacheApi | None:
    """The code-cache bindings, or None if this mini-racer build does not export them."""
    global _code_cache_api
    if _code_cache_api is False:
        from runtime.engine import init_v8

        init_v8()  # with isoplay's flags: initialising mini-racer here first would give V8 its defaults
        try:
            _code_cache_api = _CodeCacheApi(py_mini_racer.init_mini_racer(ignore_duplicate_init=True))
        except AttributeError:
            _code_cache_api = None
    return _code_cache_api  # type: ignore[return-value]


@dataclass(frozen=True)
class ScriptRun:
    """What ``compile_and_run`` did."""

    ok: bool
    """The script compiled and ran (else its exception is pending in the calling JavaScript)."""
    rejected: bool
    """A code cache was offered and V8 refused it (it then compiled from source)."""
    cache: bytes | None
    """The code cache produced after running (``produce=True``), with what ``then`` compiled."""


def _compile(api: _CodeCacheApi, isolate: int, context: int, source: bytes,
             cached: ctypes.Array[ctypes.c_char] | None) -> int:
    string = api.new_string_utf8(isolate, source, 0, len(source))
    if not string:
        return 0
    src = ctypes.create_string_buffer(_SOURCE_BYTES)
    ctypes.c_void_p.from_buffer(src, 0).value = string
    options = 0
    if cached is not None:
        ctypes.c_void_p.from_buffer(src, _SOURCE_CACHED_DATA).value = ctypes.addressof(cached)
        options = _COMPILE_CONSUME_CODE_CACHE
    return int(api.compile(context, src, options, 0) or 0)


def compile_and_run(isolate: int, source: bytes, *, cache: bytes | None = None, then: tuple[bytes, ...] = (),
                    produce: bool = False) -> ScriptRun:
    """Compile ``source`` (with ``cache`` if given) and run it in the current context.

    Call only inside a JavaScript -> host callback on the isolate's thread (a
    context is entered and a handle scope is open there). ``then`` are further
    scripts run after it (their own code is not cached; what they make the
    first script compile is); with ``produce`` the first script's code cache
    is returned. If a script throws, the rest is skipped and the exception
    stays pending for the JavaScript that made the callback.
    """
    api = code_cache_api()
    if api is None:
        raise RuntimeError("this mini-racer build exports no V8 code-cache API")
    context = int(api.current_context(isolate) or 0)
    cached = None
    if cache is not None:
        cached = ctypes.create_string_buffer(_CACHED_DATA_BYTES)
        api.cached_data_ctor(cached, ctypes.cast(ctypes.c_char_p(cache), ctypes.c_void_p), len(cache), _BUFFER_NOT_OWNED)
    script = _compile(api, isolate, context, source, cached)
    rejected = cached is not None and cached.raw[_CACHED_DATA_REJECTED] != 0
    if not script or not api.run(script, context):
        return ScriptRun(False, rejected, None)
    for extra in then:
        follow = _compile(api, isolate, context, extra, None)
        if not follow or not api.run(follow, context):
            return ScriptRun(False, rejected, None)
    produced = None
    if produce:
        data = api.create_code_cache(api.unbound_script(script))
        if data:
            pointer = ctypes.c_void_p.from_address(data).value
            length = ctypes.c_int.from_address(data + _CACHED_DATA_LENGTH).value
            if pointer and length > 0:
                produced = ctypes.string_at(pointer, length)
            api.cached_data_dtor(data)  # frees the buffer V8 owns (the 64-byte struct itself stays)
    return ScriptRun(True, rejected, produced)


# ---- native functions -----------------------------------------------------------------------
# A JavaScript function made with V8's own ``Function::New`` calls its C callback straight from
# the JS call, whereas a mini-racer JS callback first copies its arguments into a value handle
# and goes through mini-racer's one dispatch callback (two Python frames and a ctypes call to
# free the handle): 0.6 us against 2.4 us a call for the microtask drain, which every
# invocation makes. Optional like the code-cache bindings: without them the engine keeps
# mini-racer's callback.

FunctionCallback = ctypes.CFUNCTYPE(None, ctypes.c_void_p)
"""void (*)(const v8::FunctionCallbackInfo<v8::Value>&) (a reference is one pointer)."""

_FUNCTION_SYMBOLS = {
    "new_string_utf8": _CODE_CACHE_SYMBOLS["new_string_utf8"],
    "current_context": _CODE_CACHE_SYMBOLS["current_context"],
    "function_new": ("_ZN2v88Function3NewENS_5LocalINS_7ContextEEEPFvRKNS_20FunctionCallbackInfoINS_5ValueEEEENS1_"
                     "INS_4DataEEEiNS_19ConstructorBehaviorENS_14SideEffectTypeE", ctypes.c_void_p,
                     [ctypes.c_void_p, FunctionCallback, ctypes.c_void_p, ctypes.c_int, ctypes.c_int, ctypes.c_int]),
    "context_global": ("_ZN2v87Context6GlobalEv", ctypes.c_void_p, [ctypes.c_void_p]),
    "object_set": ("_ZN2v86Object3SetENS_5LocalINS_7ContextEEENS1_INS_5ValueEEES5_", ctypes.c_uint16,
                   [ctypes.c_void_p, ctypes.c_void_p, ctypes.c_void_p, ctypes.c_void_p]),
}
_CONSTRUCTOR_THROW = 1
"""v8::ConstructorBehavior::kThrow: ``new f()`` throws."""


class _FunctionApi:
    new_string_utf8: Any
    current_context: Any
    function_new: Any
    context_global: Any
    object_set: Any

    def __init__(self, dll: ctypes.CDLL) -> None:
        for name, (symbol, restype, argtypes) in _FUNCTION_SYMBOLS.items():
            fn = getattr(dll, symbol)  # AttributeError: this build lacks it (see function_api)
            fn.restype = restype
            fn.argtypes = argtypes
            setattr(self, name, fn)


_function_api: _FunctionApi | None | bool = False


def function_api() -> _FunctionApi | None:
    """The native-function bindings, or None if this mini-racer build does not export them."""
    global _function_api
    if _function_api is False:
        try:
            _function_api = _FunctionApi(py_mini_racer.init_mini_racer(ignore_duplicate_init=True))
        except AttributeError:
            _function_api = None
    return _function_api  # type: ignore[return-value]


def set_global_function(isolate: int, name: bytes, callback: Any) -> bool:
    """Make ``globalThis[name]`` a function that calls ``callback`` (a ``FunctionCallback``; keep
    it alive as long as the isolate). Call only inside a JavaScript -> host callback on the
    isolate's thread (a context is entered and a handle scope is open there). False when the
    bindings are missing or V8 refused."""
    api = function_api()
    if api is None:
        return False
    context = api.current_context(isolate)
    if not context:
        return False
    fn = api.function_new(context, callback, None, 0, _CONSTRUCTOR_THROW, 0)
    key = api.new_string_utf8(isolate, name, 0, len(name))
    if not fn or not key:
        return False
    return api.object_set(api.context_global(context), context, key, fn) == 0x0101  # Just(true)
