"""URLPattern: the WPT urlpattern data through urlpattern-polyfill on the prelude's URL.

The polyfill (10.1.0, the newest release) trails the current spec in a few places (hostname
patterns with characters the URL hostname setter cuts off, `v`-flag character classes, ports with
trailing garbage, non-BMP names); runtime/prelude_patches.py patches it at prelude build time, and
the area must pass whole.
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
    assert passed == len(outcomes), "\n".join(f"{c}: {d}" for c, ok, d in outcomes if not ok)
    assert route == [True, False, "42", "function"]


def test_urlpattern_patched_behaviour_beyond_the_data() -> None:
    """Spec behaviour the patches bring that the WPT data does not pin down."""
    with isolate() as iso:
        got = iso.json(r"""JSON.stringify((() => {
          const err = (f) => { try { f(); return "no error"; } catch (e) { return e.constructor.name; } };
          return {
            wssDefault: new URLPattern({ protocol: "wss", port: "443" }).port,
            wsDefault: new URLPattern({ protocol: "ws", port: "80" }).port,
            httpPortGarbage: new URLPattern({ protocol: "http", port: "" }).test({ protocol: "http", port: "80x" }),
            portLeadingZero: new URLPattern({ port: "8080" }).test({ port: "08080" }),
            portNoDigits: err(() => new URLPattern({ port: "x80" })),
            portTooBig: err(() => new URLPattern({ port: "65536" })),
            inputPortNoDigits: new URLPattern({ port: "*" }).test({ port: "x80" }),
            hostSpace: err(() => new URLPattern({ hostname: "bad host" })),
            hostForbidden: err(() => new URLPattern({ hostname: "a<b" })),
            hostUpper: new URLPattern({ hostname: "EXAMPLE.com" }).hostname,
            hostPercent: new URLPattern({ hostname: "ex%41mple.com" }).hostname,
            inputHostCut: new URLPattern({ hostname: "example.com" }).exec({ hostname: "example.com/x?y#z" })?.hostname.input,
            astralName: new URLPattern({ pathname: "/:𠀀/:b" }).exec({ pathname: "/x/y" })?.pathname.groups,
            vFlagIgnoreCase: new URLPattern({ pathname: "/([[a-z]--[aeiou]])" }, { ignoreCase: true }).test({ pathname: "/B" }),
            vFlagIgnoreCaseVowel: new URLPattern({ pathname: "/([[a-z]--[aeiou]])" }, { ignoreCase: true }).test({ pathname: "/E" }),
          };
        })())""")
    assert got == {
        "wssDefault": "",
        "wsDefault": "",
        "httpPortGarbage": True,
        "portLeadingZero": True,
        "portNoDigits": "TypeError",
        "portTooBig": "TypeError",
        "inputPortNoDigits": False,
        "hostSpace": "TypeError",
        "hostForbidden": "TypeError",
        "hostUpper": "example.com",
        "hostPercent": "example.com",
        "inputHostCut": "example.com",
        "astralName": {"𠀀": "x", "b": "y"},
        "vFlagIgnoreCase": True,
        "vFlagIgnoreCaseVowel": False,
    }


def test_a_patch_that_no_longer_applies_fails_the_build_naming_it(tmp_path) -> None:
    """A changed package text (a new release under the same lock entry) is refused, not bundled half-patched."""
    import json

    import pytest

    from runtime import prelude_patches, toolchain
    from runtime.errors import BundleError

    root = toolchain.ensure().root
    assert root is not None
    real = prelude_patches.FILES[0]
    pkg = tmp_path / "node_modules" / real.package
    (pkg / "dist").mkdir(parents=True)
    (pkg / "package.json").write_text(json.dumps({"version": real.version}))
    text = (root / "node_modules" / real.package / real.file).read_text(encoding="utf-8")
    (pkg / real.file).write_text(text.replace(real.patches[0].old, real.patches[0].old.replace("substr", "slice")))
    with pytest.raises(BundleError, match="matched 0 times") as info:
        prelude_patches.apply(tmp_path / "node_modules", tmp_path / "out")
    assert real.patches[0].why in str(info.value)
    (pkg / "package.json").write_text(json.dumps({"version": "99.0.0"}))
    with pytest.raises(BundleError, match="99.0.0"):
        prelude_patches.apply(tmp_path / "node_modules", tmp_path / "out")
    (pkg / "package.json").write_text(json.dumps({"version": real.version}))
    (pkg / real.file).write_text(text)
    out = prelude_patches.apply(tmp_path / "node_modules", tmp_path / "out")
    assert "isoplay-port://a" in out[real.specifier].read_text(encoding="utf-8")
