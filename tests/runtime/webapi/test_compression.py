"""CompressionStream / DecompressionStream in real invocations, against Python's zlib and gzip.

What the Compression spec (and the WPT compression tests) require: each format
round-trips, output made by another implementation decompresses, and corrupt,
truncated or trailing input errors the stream with a TypeError.
"""

from __future__ import annotations

import gzip
import json
import os
import zlib

import pytest

from runtime.invocation import HttpRequest
from runtime.runner import run_once

SOURCE = """
async function collect(s: ReadableStream): Promise<Uint8Array> {
  return new Uint8Array(await new Response(s).arrayBuffer());
}
export default {
  async fetch(request: Request) {
    const url = new URL(request.url);
    const format = url.searchParams.get("format") as CompressionFormat;
    const input = new Uint8Array(await request.arrayBuffer());
    const chunk = Number(url.searchParams.get("chunk") ?? "0") || input.length || 1;
    const source = new ReadableStream({
      start(c) { for (let i = 0; i < input.length; i += chunk) c.enqueue(input.slice(i, i + chunk)); c.close(); },
    });
    try {
      if (url.pathname === "/compress") return new Response(await collect(source.pipeThrough(new CompressionStream(format))));
      if (url.pathname === "/decompress") return new Response(await collect(source.pipeThrough(new DecompressionStream(format))));
      if (url.pathname === "/roundtrip") {
        const out = await collect(source.pipeThrough(new CompressionStream(format)).pipeThrough(new DecompressionStream(format)));
        return new Response(out);
      }
      if (url.pathname === "/bad-format") { new CompressionStream(format); return new Response("constructed"); }
    } catch (e) {
      return Response.json({ error: (e as Error).name, message: (e as Error).message }, { status: 422 });
    }
    return new Response("?", { status: 404 });
  },
};
"""

DATA = (b"The quick brown fox jumps over the lazy dog. " * 200) + os.urandom(3000)
COMPRESS = {"gzip": gzip.compress, "deflate": zlib.compress,
            "deflate-raw": lambda d: zlib.compress(d, wbits=-15)}
DECOMPRESS = {"gzip": gzip.decompress, "deflate": zlib.decompress,
              "deflate-raw": lambda d: zlib.decompress(d, wbits=-15)}


@pytest.fixture(scope="module")
def project(tmp_path_factory, tools):  # type: ignore[no-untyped-def]
    root = tmp_path_factory.mktemp("compression")
    (root / "src").mkdir()
    (root / "isoplay.toml").write_text('name = "comp"\nmain = "src/index.ts"\n', encoding="utf-8")
    (root / "src" / "index.ts").write_text(SOURCE, encoding="utf-8")
    return root


async def call(root, path: str, body: bytes):  # type: ignore[no-untyped-def]
    result = await run_once(root, HttpRequest("POST", f"http://localhost{path}", (), body))
    assert result.outcome == "ok", result.error
    return result


@pytest.mark.parametrize("fmt", ["gzip", "deflate", "deflate-raw"])
async def test_compressed_output_decompresses_with_python(project, fmt: str) -> None:
    result = await call(project, f"/compress?format={fmt}&chunk=1000", DATA)
    assert result.status == 200
    assert DECOMPRESS[fmt](result.body) == DATA


@pytest.mark.parametrize("fmt", ["gzip", "deflate", "deflate-raw"])
async def test_python_output_decompresses_in_the_isolate(project, fmt: str) -> None:
    result = await call(project, f"/decompress?format={fmt}&chunk=7", COMPRESS[fmt](DATA))
    assert (result.status, result.body) == (200, DATA)


@pytest.mark.parametrize("fmt", ["gzip", "deflate", "deflate-raw"])
async def test_round_trip_and_empty_input(project, fmt: str) -> None:
    assert (await call(project, f"/roundtrip?format={fmt}&chunk=333", DATA)).body == DATA
    empty = await call(project, f"/compress?format={fmt}", b"")
    assert DECOMPRESS[fmt](empty.body) == b""


def _error(result) -> dict:  # type: ignore[no-untyped-def]
    assert result.status == 422, result.body
    return json.loads(result.body)  # type: ignore[no-any-return]


async def test_corrupt_truncated_and_trailing_input_are_type_errors(project) -> None:
    gz = gzip.compress(DATA)
    bad_crc = gz[:-8] + bytes([gz[-8] ^ 1]) + gz[-7:]
    bad_adler = (lambda z: z[:-1] + bytes([z[-1] ^ 1]))(zlib.compress(DATA))
    for fmt, body in [("gzip", bad_crc), ("deflate", bad_adler), ("gzip", gz[:-3]), ("deflate", zlib.compress(DATA)[:50]),
                      ("deflate-raw", b""), ("gzip", gz + b"junk"), ("deflate", zlib.compress(DATA) + b"\x00"),
                      ("gzip", b"not gzip at all")]:
        err = _error(await call(project, f"/decompress?format={fmt}", body))
        assert err["error"] == "TypeError", (fmt, body[:20], err)


async def test_unknown_format_is_a_type_error(project) -> None:
    err = _error(await call(project, "/bad-format?format=brotli", b""))
    assert err["error"] == "TypeError" and "brotli" in err["message"]


async def test_a_decompression_bomb_arrives_in_bounded_pieces(project) -> None:
    bomb = gzip.compress(b"\0" * (6 * 1024 * 1024))  # 6 MB from ~6 kB: more than one host push returns it
    result = await call(project, "/decompress?format=gzip", bomb)
    assert result.body == b"\0" * (6 * 1024 * 1024)
