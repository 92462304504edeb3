"""Headers conformance (bench/conformance/areas/headers.py): every subtest must pass."""

from __future__ import annotations

from bench.conformance import area_modules
from bench.conformance.jsisolate import isolate


def test_headers_area_passes_fully() -> None:
    with isolate() as iso:
        outcomes = area_modules()["headers"].run(iso)
        # the area's own checks can fail: a header list iterated over a snapshot misses this
        live = iso.eval(
            "(() => { const h = new Headers({a: '1', c: '3'}); const it = h.keys(); it.next();"
            " h.append('b', '2'); return it.next().value; })()"
        )
    assert len(outcomes) >= 40
    failures = [f"{case}: {detail}" for case, ok, detail in outcomes if not ok]
    assert failures == [], "\n".join(failures)
    assert live == "b"
