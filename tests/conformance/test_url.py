"""URL conformance: the WPT URL data (parsing, origin, setters, IDNA) through the prelude's URL.

The areas live in bench/conformance/areas/url*.py (``python -m bench.conformance`` prints the same
figures); here every subtest must pass.
"""

from __future__ import annotations

import asyncio

import pytest

from bench.conformance import area_modules
from bench.conformance.jsisolate import Isolate, isolate
from runtime.engine import V8Isolate
from runtime.stock import load_prelude
from runtime.webapi import chunks

MB = 1024 * 1024


@pytest.fixture(scope="module")
def iso():  # type: ignore[no-untyped-def]
    with isolate() as i:
        yield i


@pytest.mark.parametrize("name", ["url", "url-origin", "url-setters", "url-idna"])
def test_wpt_url_area_passes_fully(iso: Isolate, name: str) -> None:
    outcomes = area_modules()[name].run(iso)
    assert len(outcomes) > 80
    failures = [f"{case}: {detail}" for case, ok, detail in outcomes if not ok]
    assert failures == [], "\n".join(failures[:20])


def test_fullwidth_host_maps_to_ascii_not_punycode(iso: Isolate) -> None:
    assert iso.eval('new URL("http://Ｇｏ.com").host') == "go.com"
    assert iso.eval('new URL("http://münchen.de/").hostname') == "xn--mnchen-3ya.de"
    assert iso.eval('new URL("http://GOO\\u200b\\u2060\\ufeffgoo.com").host') == "googoo.com"
    assert iso.eval('URL.canParse("http://a\\u3000b.com")') is False  # U+3000 maps to a space


def test_idna_tables_load_once_and_only_for_non_ascii_hosts() -> None:
    loop = asyncio.new_event_loop()
    asked: list[str] = []

    def spy(buf: memoryview) -> None:
        n = int.from_bytes(buf[4:8], "little")
        asked.append(bytes(buf[16:16 + n]).decode())
        chunks.serve(buf)

    async def run() -> list[str]:
        v8 = V8Isolate(loop, memory_limit=64 * MB)
        try:
            from runtime import prelude

            v8.install_loader("__isoplayLoad", spy, chunks.BUFFER_SIZE)
            v8.eval(prelude.script())
            out = [v8.eval("typeof __isoplayLoad + typeof __isoplayLoadBuf")]
            out.append(v8.eval('new URL("https://XN--a.Example.com:8080/p").host'))
            out.append(str(asked == []))  # ASCII hosts (xn-- labels too) never load the tables
            out.append(v8.eval('new URL("http://ÉXAMPLE.com/").host'))
            n_first = len(asked)
            out.append(v8.eval('new URL("http://bücher.de/").host'))
            out.append(str(len(asked) == n_first))
            return out
        finally:
            v8.close()

    out = loop.run_until_complete(run())
    loop.close()
    assert out == ["undefinedundefined", "xn--a.example.com:8080", "True", "xn--xample-9ua.com", "xn--bcher-kva.de", "True"]
    assert set(asked) == {"tr46/mappingTable.json", "tr46/regexes.js"}


def test_unknown_chunk_is_refused() -> None:
    buf = memoryview(bytearray(64))
    name = b"../../etc/passwd"
    buf[0:4] = (1).to_bytes(4, "little")
    buf[4:8] = len(name).to_bytes(4, "little")
    buf[16:16 + len(name)] = name
    chunks.serve(buf)
    assert int.from_bytes(buf[12:16], "little") == chunks.MISSING
