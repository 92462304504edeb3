"""The Web platform issue's target, checked as `python -m bench.conformance` prints it: every area passes
at least 99.5 % of its subtests (workerd's rate on the same kind of data), in real isolates."""

from __future__ import annotations

from bench.conformance import area_modules, run_area

TARGET = 0.995


def test_every_conformance_area_meets_the_target() -> None:
    rates = {}
    failures = {}
    for name, module in area_modules().items():
        outcomes = run_area(module)
        assert outcomes, f"area {name} ran no subtest"
        rates[name] = sum(1 for _, ok, _ in outcomes if ok) / len(outcomes)
        failures[name] = [f"{case}: {detail}" for case, ok, detail in outcomes if not ok][:5]
    below = {name: f"{rate:.1%}" for name, rate in rates.items() if rate < TARGET}
    assert not below, f"areas below {TARGET:.1%}: {below}\n" + "\n".join(
        f"{name}: {lines}" for name, lines in failures.items() if name in below)
    assert {"url", "url-origin", "url-setters", "url-idna", "urlpattern", "headers", "streams", "webcrypto",
            "compression", "blob-formdata", "workers-globals"} <= set(rates)
