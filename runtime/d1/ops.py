"""The ``d1.*`` host ops behind the prelude's ``D1Database`` (resources/prelude/src/d1.ts).

================================================  ==============================================
op and args                                       result
================================================  ==============================================
``d1.query`` {binding, statements: [{sql,         ``[{"columns", "rows", "meta"}]``, one per
params}], batch}                                  statement (see ``runtime.d1.store``)
``d1.exec`` {binding, sql}                        ``{"count", "duration"}``
================================================  ==============================================

Bound values cross as JSON: null, numbers, strings, and ``{"b64": ...}`` for bytes (the prelude
turns booleans into 1 and 0, as D1 does). A query runs on a worker thread (a script's SQL may take
long; the event loop keeps serving); a failure rejects the script's promise with an ``Error`` whose
message starts with D1's prefix (``D1_ERROR``, ``D1_TYPE_ERROR``, ``D1_EXEC_ERROR``).
"""

from __future__ import annotations

import asyncio
import base64
import binascii
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from runtime.d1.store import MAX_BATCH, MAX_PARAMS, D1Database, D1Error, Statement
from runtime.hostops import HostContext, HostOpError, host_op


D1_THREADS = 4
"""Queries run on their own few threads: slow SQL from scripts never takes the threads the rest of the
process shares (``asyncio.to_thread``'s executor: bundling, file work). Queries on one database run one at a
time anyway (one connection)."""

_executor: ThreadPoolExecutor | None = None


async def _off_loop(fn: Any, *args: Any, **kwargs: Any) -> Any:
    global _executor
    if _executor is None:
        _executor = ThreadPoolExecutor(max_workers=D1_THREADS, thread_name_prefix="isoplay-d1")
    return await asyncio.get_running_loop().run_in_executor(_executor, lambda: fn(*args, **kwargs))


def _database(ctx: HostContext, args: Any) -> D1Database:
    if not isinstance(args, dict) or not isinstance(args.get("binding"), str):
        raise HostOpError("TypeError", "D1: malformed host call")
    binding = args["binding"]
    d1 = getattr(ctx, "d1", None)
    if d1 is None:
        raise HostOpError("Error", f"D1 binding {binding} is not available here")
    try:
        return d1(binding)  # type: ignore[no-any-return]
    except LookupError:
        raise HostOpError("Error", f"no D1 database is bound to {binding!r}") from None


def _param(value: Any, index: int) -> Any:
    if value is None or isinstance(value, (int, float, str)) and not isinstance(value, bool):
        return value
    if isinstance(value, dict) and isinstance(value.get("b64"), str) and len(value) == 1:
        try:
            return base64.b64decode(value["b64"], validate=True)
        except (binascii.Error, ValueError):
            pass
    raise HostOpError("Error", f"D1_TYPE_ERROR: Type '{type(value).__name__}' not supported for value at index {index}")


def _statements(args: dict[str, Any]) -> list[Statement]:
    items = args.get("statements")
    if not isinstance(items, list) or not items:
        raise HostOpError("Error", "D1_ERROR: No SQL statements detected.")
    if len(items) > MAX_BATCH:
        raise HostOpError("Error", f"D1_ERROR: a batch may hold at most {MAX_BATCH} statements (got {len(items)})")
    out = []
    for item in items:
        if not isinstance(item, dict) or not isinstance(item.get("sql"), str) or not isinstance(item.get("params", []), list):
            raise HostOpError("TypeError", "D1: malformed statement")
        params = item.get("params", [])
        if len(params) > MAX_PARAMS:
            raise HostOpError("Error", f"D1_ERROR: too many SQL variables: {len(params)} bound (D1 allows {MAX_PARAMS})")
        out.append(Statement(item["sql"], tuple(_param(p, i) for i, p in enumerate(params))))
    return out


@host_op("d1.query")
async def d1_query(ctx: HostContext, args: Any) -> Any:
    db = _database(ctx, args)
    statements = _statements(args)
    try:
        return await _off_loop(db.run, statements, batch=bool(args.get("batch")))
    except D1Error as exc:
        raise HostOpError("Error", str(exc)) from None


@host_op("d1.exec")
async def d1_exec(ctx: HostContext, args: Any) -> Any:
    db = _database(ctx, args)
    sql = args.get("sql")
    if not isinstance(sql, str):
        raise HostOpError("TypeError", "D1 exec(): the query must be a string")
    try:
        return await _off_loop(db.exec, sql)
    except D1Error as exc:
        raise HostOpError("Error", str(exc)) from None
