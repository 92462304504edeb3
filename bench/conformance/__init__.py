"""Web API conformance: pass/total per area, in real isolates with the prelude.

``python -m bench.conformance [AREA ...] [--json] [--failures]`` prints one line per
area and a total. Areas are the modules of ``bench/conformance/areas/`` (add a file
to add an area; engineers own their own files). An area module defines ``NAME``
and either

- ``cases() -> list[Case]``: ``(name, body, expected)`` where ``body`` is the body
  of an async JS function evaluated in an isolate with the prelude (microtasks
  only, no host ops or timers) and ``expected`` the JSON value it must return; or
- ``run() -> list[Outcome]``: ``(name, passed, detail)``, for areas that need real
  invocations (host ops, timers).

Cases are written in this project from the specs and from what the Web Platform
Tests check (their inputs and expected outputs), never copied from them.
"""

from __future__ import annotations

import asyncio
import importlib
import json
import pkgutil
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

Case = tuple[str, str, Any]
Outcome = tuple[str, bool, str]

AREAS_DIR = Path(__file__).resolve().parent / "areas"
TESTS_DIR = Path(__file__).resolve().parents[2] / "tests"


def area_modules() -> dict[str, Any]:
    """The area modules by NAME, in file order."""
    out: dict[str, Any] = {}
    for info in sorted(pkgutil.iter_modules([str(AREAS_DIR)]), key=lambda m: m.name):
        module = importlib.import_module(f"bench.conformance.areas.{info.name}")
        out[module.NAME] = module
    return out


def load_test_module(test_file: str) -> Any:
    """A test module under tests/ (the tests and this runner share their case tables)."""
    import importlib.util

    path = TESTS_DIR / test_file
    spec = importlib.util.spec_from_file_location(f"_conformance_{path.stem}", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def load_cases(test_file: str, attr: str = "CASES") -> list[Case]:
    """A case table (``attr``) of a test module under tests/."""
    return list(getattr(load_test_module(test_file), attr))


@contextmanager
def prelude_isolate() -> Iterator[Callable[[str], Any]]:
    """An evaluator of async JS bodies in a fresh isolate with the prelude: returns {"v": ...} or {"throws": ...}."""
    from runtime import prelude
    from runtime.engine import V8Isolate
    from runtime.webapi.crypto_entropy import seed_isolate

    loop = asyncio.new_event_loop()

    async def make() -> V8Isolate:
        isolate = V8Isolate(loop, memory_limit=128 * 1024 * 1024)
        isolate.eval(prelude.script())
        seed_isolate(isolate)  # its CSPRNG, as runtime.stock.load_prelude does
        return isolate

    isolate = loop.run_until_complete(make())

    def evaluate(body: str) -> Any:
        async def run() -> Any:
            isolate.eval(
                "globalThis.__out = 'pending'; (async () => {" + body + "})().then("
                "(v) => { globalThis.__out = JSON.stringify({ v: v === undefined ? null : v }); },"
                "(e) => { globalThis.__out = JSON.stringify({ throws: e && e.name, message: String(e && e.message) }); })",
                timeout=10)
            return isolate.eval("globalThis.__out", timeout=10)

        raw = loop.run_until_complete(run())
        return {"pending": True} if raw == "pending" else json.loads(raw)

    try:
        yield evaluate
    finally:
        isolate.close()
        loop.close()


def run_cases(cases: list[Case]) -> list[Outcome]:
    """Evaluate JS cases in one isolate."""
    outcomes: list[Outcome] = []
    with prelude_isolate() as evaluate:
        for name, body, expected in cases:
            try:
                got = evaluate(body)
            except Exception as exc:  # an isolate failure counts as a failed case, with its reason
                outcomes.append((name, False, f"isolate error: {exc}"))
                continue
            value = got["v"] if "v" in got else got
            outcomes.append((name, value == expected, "" if value == expected else f"got {value!r}, want {expected!r}"))
    return outcomes


def run_area(module: Any) -> list[Outcome]:
    """The outcomes of one area."""
    if hasattr(module, "run"):
        return list(module.run())
    return run_cases(module.cases())
