"""``python -m bench.conformance [AREA ...] [--failures]``: Web-platform conformance of the isolate.

Each *area* (``url``, ``url-setters``, ``headers`` ...) runs its subtests inside one real
isolate with the prelude loaded and reports how many passed. The inputs and expected
outputs come from the Web Platform Tests' data files (stored under
``tests/conformance/data/``, with their source and licence noted there) or from the specs;
the checking code is ours. Areas register themselves with ``@area("name")``; another Web
API adds its own module to ``AREA_MODULES``.

The tests in ``tests/conformance/`` run the same areas and assert their results, so a
figure this prints is the one CI checks.
"""

from __future__ import annotations

import asyncio
import importlib
import json
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "tests" / "conformance" / "data"
"""Where the stored test data lives."""

AREA_MODULES = ["bench.conformance_url", "bench.conformance_headers"]
"""Modules that register areas (imported on first use)."""

MB = 1024 * 1024


@dataclass
class AreaResult:
    """The outcome of one area."""

    name: str
    """The area's name."""
    passed: int = 0
    """Subtests that passed."""
    total: int = 0
    """Subtests run."""
    failures: list[str] = field(default_factory=list)
    """One line per failed subtest: its name and what differed."""

    @property
    def rate(self) -> float:
        """Passed / total (1.0 for an empty area)."""
        return self.passed / self.total if self.total else 1.0


class Isolate:
    """One isolate with the prelude, for running an area's JavaScript."""

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
        """Evaluate an async expression; return its settled value (JSON), draining host timers/ops none."""
        self.eval(
            "globalThis.__conf = undefined; (async () => (" + code + "))().then("
            "(v) => { globalThis.__conf = JSON.stringify({ v }); },"
            "(e) => { globalThis.__conf = JSON.stringify({ e: String(e && e.stack || e) }); })"
        )
        out = json.loads(self.eval("globalThis.__conf ?? 'null'") or "null")
        if out is None:
            raise RuntimeError("the area's promise did not settle within one crossing")
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


AREAS: dict[str, Callable[[Isolate], AreaResult]] = {}
"""Registered areas by name, in registration order."""


def area(name: str) -> Callable[[Callable[[Isolate], AreaResult]], Callable[[Isolate], AreaResult]]:
    """Register an area function ``fn(isolate) -> AreaResult`` under ``name``."""

    def register(fn: Callable[[Isolate], AreaResult]) -> Callable[[Isolate], AreaResult]:
        AREAS[name] = fn
        return fn

    return register


def load_areas() -> dict[str, Callable[[Isolate], AreaResult]]:
    """Import every module in ``AREA_MODULES`` and return the registry."""
    for mod in AREA_MODULES:
        importlib.import_module(mod)
    return AREAS


def run_js_area(iso: Isolate, name: str, js: str, data: dict[str, Any]) -> AreaResult:
    """Run an area's JS: ``js`` is a function expression ``(data) => [[subtest, error|null], ...]``."""
    iso.eval("globalThis.__confData = " + json.dumps(data, ensure_ascii=True) + ";")
    rows = iso.json("JSON.stringify((" + js + ")(globalThis.__confData))")
    iso.eval("delete globalThis.__confData;")
    res = AreaResult(name)
    for title, error in rows:
        res.total += 1
        if error is None:
            res.passed += 1
        else:
            res.failures.append(f"{title}: {error}")
    return res


def run(names: list[str] | None = None) -> list[AreaResult]:
    """Run the named areas (all by default), each in a fresh isolate."""
    areas = load_areas()
    results = []
    for name in names or list(areas):
        with isolate() as iso:
            results.append(areas[name](iso))
    return results


def main(argv: list[str]) -> int:
    """Print one line per area and a total, then one JSON line."""
    show = "--failures" in argv
    names = [a for a in argv if not a.startswith("--")]
    results = run(names or None)
    passed = sum(r.passed for r in results)
    total = sum(r.total for r in results)
    for r in results:
        print(f"{r.name:<18} {r.passed:>5} / {r.total:<5} {100 * r.rate:6.2f} %")
        if show:
            for line in r.failures:
                print("    FAIL", line[:300])
    print(f"{'total':<18} {passed:>5} / {total:<5} {100 * passed / max(total, 1):6.2f} %")
    print(json.dumps({r.name: {"passed": r.passed, "total": r.total} for r in results}))
    return 0


if __name__ == "__main__":
    # Run through the importable module, so areas register into the same registry.
    from bench import conformance

    sys.exit(conformance.main(sys.argv[1:]))
