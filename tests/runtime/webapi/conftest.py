"""An isolate with the prelude, for evaluating Web API expressions (module-scoped)."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from typing import Any

import pytest

from runtime import prelude
from runtime.engine import V8Isolate
from runtime.webapi.crypto_entropy import seed_isolate

MB = 1024 * 1024


class JS:
    """Evaluate expressions in one isolate that has the prelude loaded (no host: microtasks only)."""

    def __init__(self, loop: asyncio.AbstractEventLoop, isolate: V8Isolate) -> None:
        self.loop = loop
        self.isolate = isolate

    def _eval(self, code: str) -> Any:
        async def run() -> Any:
            return self.isolate.eval(code, timeout=5)

        return self.loop.run_until_complete(run())

    def __call__(self, expr: str) -> Any:
        """The JSON value of a synchronous expression; a thrown error becomes {"throws": name}."""
        code = ("(() => { try { const v = (" + expr + "); return JSON.stringify({ v: v === undefined ? null : v }); }"
                " catch (e) { return JSON.stringify({ throws: e && e.name, message: String(e && e.message) }); } })()")
        out = json.loads(self._eval(code))
        return out["v"] if "v" in out else {"throws": out["throws"]}

    def wait(self, body: str) -> Any:
        """The JSON value an async function body returns (run to completion within one evaluation)."""
        self._eval(
            "globalThis.__out = 'pending'; (async () => {" + body + "})().then("
            "(v) => { globalThis.__out = JSON.stringify({ v: v === undefined ? null : v }); },"
            "(e) => { globalThis.__out = JSON.stringify({ throws: e && e.name, message: String(e && e.message) }); })"
        )
        raw = self._eval("globalThis.__out")
        assert raw != "pending", "the promise did not settle within the evaluation"
        out = json.loads(raw)
        return out["v"] if "v" in out else {"throws": out["throws"], "message": out["message"]}


@pytest.fixture(scope="module")
def js() -> Iterator[JS]:
    """One isolate with the prelude, shared by the module's tests."""
    loop = asyncio.new_event_loop()
    code = prelude.script()

    async def make() -> V8Isolate:
        isolate = V8Isolate(loop, memory_limit=64 * MB)
        isolate.eval(code)
        seed_isolate(isolate)  # its CSPRNG, as runtime.stock.load_prelude does
        return isolate

    isolate = loop.run_until_complete(make())
    try:
        yield JS(loop, isolate)
    finally:
        isolate.close()
        loop.close()
