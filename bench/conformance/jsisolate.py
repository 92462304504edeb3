"""Helpers for areas whose subtests are one JS function over stored data (URL, URLPattern, Headers).

``run_js(js, data)`` evaluates ``js`` -- a function expression ``(data) => [[subtest, error | null], ...]``
-- in a fresh isolate that has the prelude *and its chunk loader* (runtime/stock.py
``load_prelude``: the IDNA tables and HTMLRewriter's WebAssembly come through it), and
turns the rows into ``Outcome``s. The Web Platform Tests' data files live under
``tests/conformance/data/`` with their source and licence noted there.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from bench.conformance import TESTS_DIR, Outcome

DATA = TESTS_DIR / "conformance" / "data"
"""Stored test data (WPT's URL and URLPattern files in ``wpt_url/``)."""

MB = 1024 * 1024


def load_data(path: str) -> Any:
    """A JSON data file under ``DATA``."""
    return json.loads((DATA / path).read_text(encoding="utf-8"))


def records(*paths: str) -> list[dict[str, Any]]:
    """The object records of WPT-style data files (their comment strings dropped)."""
    out: list[dict[str, Any]] = []
    for path in paths:
        out.extend(r for r in load_data(path) if isinstance(r, dict))
    return out


class Isolate:
    """One isolate with the prelude and its chunk loader, on its own loop."""

    def __init__(self) -> None:
        from runtime.engine import V8Isolate
        from runtime.stock import load_prelude

        self.loop = asyncio.new_event_loop()

        async def make() -> V8Isolate:
            iso = V8Isolate(self.loop, memory_limit=256 * MB)
            load_prelude(iso)
            return iso

        self.v8 = self.loop.run_until_complete(make())

    def eval(self, code: str) -> Any:
        """Evaluate synchronously on the isolate's loop."""

        async def run() -> Any:
            return self.v8.eval(code, timeout=60)

        return self.loop.run_until_complete(run())

    def json(self, code: str) -> Any:
        """Evaluate an expression that yields a JSON string, decoded."""
        return json.loads(self.eval(code))

    def settle(self, code: str) -> Any:
        """The JSON value an async expression settles to within one crossing (no host ops)."""
        self.eval(
            "globalThis.__conf = undefined; (async () => (" + code + "))().then("
            "(v) => { globalThis.__conf = JSON.stringify({ v }); },"
            "(e) => { globalThis.__conf = JSON.stringify({ e: String(e && e.stack || e) }); })"
        )
        out = json.loads(self.eval("globalThis.__conf ?? 'null'") or "null")
        if out is None:
            raise RuntimeError("the promise did not settle within one crossing")
        if "e" in out:
            raise RuntimeError(out["e"])
        return out["v"]

    def close(self) -> None:
        """Dispose of the isolate and its loop."""
        self.v8.close()
        self.loop.close()


@contextmanager
def isolate() -> Iterator[Isolate]:
    """A fresh isolate with the prelude (closed afterwards)."""
    iso = Isolate()
    try:
        yield iso
    finally:
        iso.close()


def run_js(js: str, data: dict[str, Any], iso: Isolate | None = None) -> list[Outcome]:
    """Run an area's JS over ``data``; one Outcome per row it returns."""
    if iso is None:
        with isolate() as fresh:
            return run_js(js, data, fresh)
    iso.eval("globalThis.__confData = " + json.dumps(data, ensure_ascii=True) + ";")
    rows = iso.json("JSON.stringify((" + js + ")(globalThis.__confData))")
    iso.eval("delete globalThis.__confData;")
    return [(title, error is None, "" if error is None else str(error)) for title, error in rows]
