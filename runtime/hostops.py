"""Host operations: the async work a script asks Python for (KV, fetch, ...).

A script calls ``hostCall(op, args)`` in the prelude (resources/prelude/src/host.ts).
The op travels to Python with the invocation's State as ``[id, name, args]``;
``dispatch`` runs the registered coroutine and returns a settle triple
``[id, ok, value]`` that the next ``__isoplay.resume()`` delivers. Values cross
as JSON; bytes travel base64-encoded (``{"b64": ...}``) by each op's convention.

Register an op with::

    @host_op("kv.get")
    async def kv_get(ctx: HostContext, args: Any) -> Any: ...

Raise ``HostOpError("TypeError", "message")`` to reject the script's promise
with that JS error type; any other exception is an isoplay bug: it is logged
with its traceback and the script sees a generic internal error.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any, Protocol

log = logging.getLogger(__name__)


class HostContext(Protocol):
    """What an op may use: the invocation's script, stores and clients."""

    @property
    def script_name(self) -> str:
        """The script (app) name from its manifest."""
        ...

    @property
    def fetch_allow(self) -> tuple[str, ...]:
        """Hosts (``host`` or ``host:port``) the script may fetch from."""
        ...

    def kv(self, binding: str) -> Any:
        """The KV namespace store behind ``binding`` (runtime.kv)."""
        ...

    def http(self) -> Any:
        """The script's ``runtime.fetch.FetchClient`` for outgoing fetches."""
        ...

    def cache(self) -> Any:
        """The script's Cache API store (runtime.webapi.cache.CacheStore)."""
        ...

    def d1(self, binding: str) -> Any:
        """The D1 database behind ``binding`` (runtime.d1.store.D1Database; LookupError if none)."""
        ...

    def r2(self, binding: str) -> Any:
        """The R2 bucket behind ``binding`` (runtime.r2.store.R2Bucket; LookupError if none)."""
        ...


HostOp = Callable[[HostContext, Any], Awaitable[Any]]

OPS: dict[str, HostOp] = {}
"""Registered ops by name."""

SYNC_OPS: dict[str, Callable[[HostContext, Any], Any]] = {}
"""Ops that need no I/O and may also run synchronously, e.g. while a script's top level loads."""

INLINE_WHEN: dict[str, Callable[[Any], bool]] = {}
"""For a sync op: whether a call with these args is quick enough to answer on the loop at once
(no task, no wait) during an invocation; slow calls go through ``dispatch`` (a worker thread)."""

INLINE_OPS: dict[str, Callable[[HostContext, Any], Any]] = {}
"""Synchronous forms of ops that may be answered at once during an invocation (with ``INLINE_WHEN``)
but not at a script's top level, where Workers allow no I/O: the local KV store's calls, which the
async op would make on the loop thread anyway. Answered inline, such an op costs no task, no
``asyncio.wait`` and no event-loop turn between the two crossings around it."""


STORE_UNAVAILABLE_CODE = "store_unavailable"
"""``code`` of ``runtime.server.errors.StoreUnavailable``: the server's shared store does not answer."""
STORE_UNAVAILABLE_JS = "StoreUnavailableError"
"""The JS error name a script sees then (KV, Cache API); uncaught, the server answers 503 with its message."""


class HostOpError(Exception):
    """Reject the script's promise with a JS error of type ``js_name``."""

    def __init__(self, js_name: str, message: str) -> None:
        super().__init__(message)
        self.js_name = js_name
        self.message = message


def host_op(name: str) -> Callable[[HostOp], HostOp]:
    """Decorator: register ``fn`` as the handler of op ``name``."""

    def register(fn: HostOp) -> HostOp:
        OPS[name] = fn
        return fn

    return register


_builtins_loaded = False


def _load_builtin_ops() -> None:
    """Import the modules that register the built-in ops (once)."""
    global _builtins_loaded
    import importlib

    _builtins_loaded = True
    for module in ("runtime.kv.ops", "runtime.fetch", "runtime.webapi.crypto", "runtime.webapi.compression",
                   "runtime.webapi.cache_ops", "runtime.webapi.websocket", "runtime.d1.ops", "runtime.r2.ops",
                   "runtime.assets"):
        try:
            importlib.import_module(module)
        except ModuleNotFoundError as exc:
            if exc.name != module:
                raise


def dispatch_sync(ctx: HostContext, op: list[Any]) -> list[Any]:
    """Run one op synchronously (a script's top level): ops in ``SYNC_OPS`` run, others are refused."""
    op_id, name, args = op
    if not _builtins_loaded:
        _load_builtin_ops()
    handler = SYNC_OPS.get(name)
    if handler is None:
        return [op_id, False, {"name": "Error", "message": f"{name} cannot be used at the script's top level "
                                                           "(Workers allow no I/O there); call it from a handler"}]
    return _run_sync(handler, ctx, op)


def _run_sync(handler: Callable[[HostContext, Any], Any], ctx: HostContext, op: list[Any]) -> list[Any]:
    op_id, name, args = op
    try:
        return [op_id, True, handler(ctx, args)]
    except HostOpError as exc:
        return [op_id, False, {"name": exc.js_name, "message": exc.message}]
    except Exception as exc:  # a store that does not answer (StoreUnavailable), else an isoplay bug: keep the load alive, keep the traceback
        if getattr(exc, "code", None) == STORE_UNAVAILABLE_CODE:
            return [op_id, False, {"name": STORE_UNAVAILABLE_JS, "message": str(getattr(exc, "message", exc))}]
        log.exception("host op %s failed", name)
        return [op_id, False, {"name": "Error", "message": f"internal error in {name}: {exc!r}"}]


def dispatch_inline(ctx: HostContext, op: list[Any]) -> list[Any] | None:
    """The settle triple of a quick sync op, computed now; None for ops that must be dispatched."""
    if not _builtins_loaded:
        _load_builtin_ops()
    quick = INLINE_WHEN.get(op[1])
    if quick is None or not quick(op[2]):
        return None
    handler = INLINE_OPS.get(op[1]) or SYNC_OPS.get(op[1])
    return None if handler is None else _run_sync(handler, ctx, op)


async def dispatch(ctx: HostContext, op: list[Any]) -> list[Any]:
    """Run one op ``[id, name, args]`` and return its settle triple."""
    op_id, name, args = op
    if not _builtins_loaded:
        _load_builtin_ops()
    handler = OPS.get(name)
    if handler is None:
        return [op_id, False, {"name": "TypeError", "message": f"unknown host operation {name!r}"}]
    try:
        return [op_id, True, await handler(ctx, args)]
    except HostOpError as exc:
        return [op_id, False, {"name": exc.js_name, "message": exc.message}]
    except Exception as exc:  # a store that does not answer (StoreUnavailable), else an isoplay bug: keep the invocation alive, keep the traceback
        if getattr(exc, "code", None) == STORE_UNAVAILABLE_CODE:
            return [op_id, False, {"name": STORE_UNAVAILABLE_JS, "message": str(getattr(exc, "message", exc))}]
        log.exception("host op %s failed", name)
        return [op_id, False, {"name": "Error", "message": f"internal error in {name}: {exc!r}"}]
