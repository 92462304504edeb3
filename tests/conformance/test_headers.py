"""Headers conformance (bench/conformance_headers.py): every subtest must pass."""

from __future__ import annotations

from bench import conformance


def test_headers_area_passes_fully() -> None:
    with conformance.isolate() as iso:
        result = conformance.load_areas()["headers"](iso)
        # the area's own checks can fail: a header list iterated over a snapshot misses this
        live = iso.eval(
            "(() => { const h = new Headers({a: '1', c: '3'}); const it = h.keys(); it.next();"
            " h.append('b', '2'); return it.next().value; })()"
        )
    assert result.total >= 40
    assert result.failures == [], "\n".join(result.failures)
    assert live == "b"
