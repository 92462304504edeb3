"""Ready isolates: V8 isolates with the prelude loaded and its request path compiled, made ahead of need.

Every isolate pays for itself: creating it (~1.5 ms), loading the ~240 kB
prelude and, on its first request, compiling the prelude functions that V8 only
pre-parsed. Loading compiles from V8's code cache (``prelude_code_cache``: made
once per machine, with the request path compiled in it), which cut the load to
about a third and the first request's compile to almost nothing; without the
cache (``ISOPLAY_PRELUDE_CODE_CACHE=0``, or a refused cache) it is parsed from
source. None of that depends on the script. A stock does it before anyone
waits: each stocked isolate has the prelude loaded and has answered one
synthetic request from a built-in handler, so a pool taking it only loads its
bundle (~0.3 ms) before the first real request, which runs on already compiled
code.

A stocked isolate has never run user code, is handed out once, and the script
that takes it replaces the built-in handler (``__isoplay.load``), so isolates of
different scripts still share nothing. One stock serves every pool of a
runtime (all versions of a project in ``isoplay dev`` and the IDE, all apps of
``isoplay serve``), so a reload, a deploy, a pool growing under a burst and a
recycle after a limit hit all start from a ready isolate. Refills happen one
isolate per loop turn, like the pools' own spares, starting ``REFILL_DELAY_S`` after a take.
"""

from __future__ import annotations

import asyncio
import logging
import os
import threading
import weakref

from runtime import prelude, v8native
from runtime.engine import V8Isolate, dumpb
from runtime.invocation import HttpRequest
from runtime.webapi import chunks
from runtime.webapi.crypto_entropy import seed_isolate

log = logging.getLogger(__name__)

REFILL_DELAY_S = 0.05
"""A take's refill starts this much later. A take is usually a pool starting to serve, and its first
requests should go first: refilling at once made isoplay dev's first answer wait for two stocked
isolates (~40 ms on a quiet machine, far more on a busy one)."""

STOCK_MEMORY_LIMIT = 128 * 1024 * 1024
"""The hard heap limit while stocked; the taker sets its manifest's ``memory_mb``."""

_WARM_HANDLER = (
    "__isoplay.load({ default: { fetch(request) {"
    " return new Response(request.method + ' ' + new URL(request.url).pathname,"
    " { headers: { 'content-type': 'text/plain;charset=UTF-8' } }); } } })"
)
_WARM_REQUEST = HttpRequest("GET", "http://localhost/", (("host", "localhost"), ("accept", "*/*")))


def load_prelude(v8: V8Isolate) -> None:
    """Evaluate the prelude in a fresh isolate, with its chunk loader (runtime/webapi/chunks.py), and seed its CSPRNG.

    The prelude is compiled from V8's code cache when there is one (see ``prelude_code_cache``).
    """
    bodies, ref = v8.bodies, weakref.ref(v8)  # no cycle through the isolate's own callback
    v8.install_loader("__isoplayLoad", lambda buf: chunks.serve(buf, bodies, ref()), chunks.BUFFER_SIZE)
    v8.body_credit_per_byte = chunks.BODY_GAP_CREDIT_S_PER_BYTE
    cache = prelude_code_cache(v8)
    if cache is None:
        v8.eval(prelude.script())
    elif v8.run_script(prelude.script_bytes(), cache=cache).rejected:
        _refused_cache(cache)
    seed_isolate(v8)


CODE_CACHE_ENV = "ISOPLAY_PRELUDE_CODE_CACHE"
"""Set to 0 to compile the prelude from source in every isolate (to compare, or to rule the cache out)."""

_cache_lock = threading.Lock()
_code_cache: bytes | None = None
_code_cache_state = "unknown"
"""unknown (not looked for yet), ready, or off (no API, or producing failed: evaluate from source)."""


def prelude_code_cache(v8: V8Isolate) -> bytes | None:
    """V8's code cache of the prelude, made once per machine (kept beside the built prelude).

    Parsing and compiling the ~240 kB prelude was most of a new isolate's cost; with
    the cache V8 deserialises the compiled functions instead (checked against the
    source and V8's version and flags; a refused cache falls back to compiling).
    The cache is made in a throwaway isolate that also answers one synthetic request
    (the stock's warm-up), so the request path's functions are in it too and a
    fresh isolate's first request runs compiled code.
    """
    global _code_cache, _code_cache_state
    if _code_cache_state == "ready":
        return _code_cache
    if _code_cache_state == "off":
        return None
    with _cache_lock:
        if _code_cache_state == "unknown" and os.environ.get(CODE_CACHE_ENV) == "0":
            _code_cache_state = "off"
        if _code_cache_state == "unknown":
            data = prelude.read_code_cache() if v8native.code_cache_api() is not None else None
            if data is None and v8native.code_cache_api() is not None:
                data = _produce_code_cache(v8)
                if data is not None:
                    prelude.write_code_cache(data)
            _code_cache = data
            _code_cache_state = "ready" if data is not None else "off"
    return _code_cache


def _produce_code_cache(like: V8Isolate) -> bytes | None:
    scratch = V8Isolate(like.loop, memory_limit=STOCK_MEMORY_LIMIT)
    try:
        scratch.install_loader("__isoplayLoad", chunks.serve, chunks.BUFFER_SIZE)
        warm = (_WARM_HANDLER + f";\n__isoplay.invokeBatch({_warm_specs(scratch)}, 50);\n").encode()
        return scratch.run_script(prelude.script_bytes(), then=(warm,), produce=True).cache
    except Exception:  # noqa: BLE001 - no cache only means compiling from source, as before
        log.warning("could not make the prelude's V8 code cache; isolates compile it from source", exc_info=True)
        return None
    finally:
        scratch.close()


def _refused_cache(cache: bytes) -> None:
    """V8 refused the cache (made by another V8 or flag set): compile from source from now on."""
    global _code_cache, _code_cache_state
    with _cache_lock:
        if _code_cache is cache:
            log.info("V8 refused the prelude's code cache; isolates compile the prelude from source")
            _code_cache, _code_cache_state = None, "off"
            try:
                prelude.code_cache_path().unlink()
            except OSError:
                pass


def warm_up(v8: V8Isolate) -> None:
    """Run one synthetic request through the prelude so its request path is compiled.

    The built-in handler stays loaded until the script's own ``load`` replaces it.
    """
    v8.eval(_WARM_HANDLER)
    v8.eval(f"__isoplay.invokeBatch({_warm_specs(v8)}, 50)")


def _warm_specs(v8: V8Isolate) -> str:
    """invokeBatch's first argument for the synthetic request: staged (``V8Isolate.stage``) as real
    requests are, so the path that reads staged input is compiled too; a literal without a loader."""
    return v8.argument(dumpb([_WARM_REQUEST.spec()]), quoted=True)


class IsolateStock:
    """Up to ``size`` ready isolates for the pools of one runtime, on one event loop."""

    def __init__(self, size: int = 2) -> None:
        self.size = size
        self.taken = 0
        """Isolates handed out from the stock."""
        self.missed = 0
        """Takes that found the stock empty (the pool then created an isolate itself)."""
        self._ready: list[V8Isolate] = []
        self._loop: asyncio.AbstractEventLoop | None = None
        self._filling = False
        self._target = size
        """How many ready isolates the current fill makes (see ``fill``)."""
        self._refill: asyncio.TimerHandle | None = None
        self._closed = False

    @property
    def ready(self) -> int:
        """Isolates in stock now."""
        return len(self._ready)

    def take(self) -> V8Isolate | None:
        """A ready isolate, or None if there is none; a refill follows (after ``REFILL_DELAY_S``).

        Call on the loop thread of the pools (the stock binds to the first loop it runs on).
        """
        loop = asyncio.get_running_loop()
        if self._closed or (self._loop is not None and loop is not self._loop):
            return None
        self._loop = loop
        found = self._ready.pop() if self._ready else None
        if found is None:
            self.missed += 1
        else:
            self.taken += 1
        if self._refill is None and not self._closed:
            self._refill = loop.call_later(REFILL_DELAY_S, self._refill_now)
        return found

    def _refill_now(self) -> None:
        self._refill = None
        self.fill()

    def fill(self, up_to: int | None = None) -> None:
        """Top the stock up in the background, one isolate per loop turn (to ``up_to`` isolates, at
        most ``size``; a later ``fill()`` or ``take()`` tops it up to ``size``)."""
        self._target = self.size if up_to is None else min(up_to, self.size)
        if self._closed or self._filling or len(self._ready) >= self._target:
            return
        loop = asyncio.get_running_loop()
        if self._loop is not None and loop is not self._loop:
            return
        self._loop = loop
        self._filling = True
        loop.call_soon(self._make_one)

    async def filled(self) -> None:
        """Fill the stock now, on this loop (startup, tests, the benchmark)."""
        loop = asyncio.get_running_loop()
        if self._loop is not None and loop is not self._loop:
            return
        self._loop = loop
        while not self._closed and len(self._ready) < self.size:
            before = len(self._ready)
            self._make_one()
            if len(self._ready) == before:
                return  # creation failed (logged); pools create their own isolates

    def _make_one(self) -> None:
        self._filling = False
        if self._closed or len(self._ready) >= self._target:
            return
        assert self._loop is not None
        v8 = None
        try:
            v8 = V8Isolate(self._loop, memory_limit=STOCK_MEMORY_LIMIT)
            load_prelude(v8)
            warm_up(v8)
        except Exception:  # an isoplay fault: pools create isolates themselves until it is fixed
            log.exception("could not stock a ready isolate")
            if v8 is not None:
                v8.close()
            return
        self._ready.append(v8)
        self.fill(self._target)

    def close(self) -> None:
        """Dispose of the stocked isolates; takes return None from now on."""
        self._closed = True
        if self._refill is not None:
            self._refill.cancel()
            self._refill = None
        ready, self._ready = self._ready, []
        for v8 in ready:
            v8.close()
