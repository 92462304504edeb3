"""URLPattern: the WPT urlpattern data through urlpattern-polyfill on the prelude's URL.

The polyfill (10.1.0) trails the current spec in a few places (hostname patterns with
characters the URL hostname setter would cut off, `v`-flag character classes, ports with
trailing garbage, non-BMP names); the area's figure records that and must not drop.
"""

from __future__ import annotations

from bench.conformance import area_modules
from bench.conformance.jsisolate import isolate


def test_urlpattern_area_rate_and_routing() -> None:
    with isolate() as iso:
        descriptor = iso.eval("JSON.stringify(Object.getOwnPropertyDescriptor(globalThis, 'URLPattern').get !== undefined)")
        outcomes = area_modules()["urlpattern"].run(iso)
        route = iso.json(
            "JSON.stringify((() => { const p = new URLPattern({ pathname: '/books/:id(\\\\d+)' });"
            " const m = p.exec('https://x.test/books/42?q'); return [p instanceof URLPattern, p.test('https://x.test/books/abc'),"
            " m.pathname.groups.id, typeof Object.getOwnPropertyDescriptor(globalThis, 'URLPattern').value]; })())"
        )
    assert descriptor == "true"  # lazy until first read
    passed = sum(1 for _, ok, _ in outcomes if ok)
    assert len(outcomes) > 300
    assert passed >= 347, "\n".join(f"{c}: {d}" for c, ok, d in outcomes if not ok)
    assert route == [True, False, "42", "function"]
