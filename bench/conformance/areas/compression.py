"""CompressionStream / DecompressionStream against Python's zlib, in real invocations (host ops)."""

from __future__ import annotations

import asyncio
import gzip
import os
import tempfile
import zlib
from pathlib import Path

from bench.conformance import Outcome, load_test_module

NAME = "compression"


def run() -> list[Outcome]:
    source = load_test_module("runtime/webapi/test_compression.py").SOURCE  # the tests' handler
    return asyncio.run(_run(source))


async def _run(source: str) -> list[Outcome]:
    from runtime.invocation import HttpRequest
    from runtime.runner import run_once

    data = b"conformance " * 500 + os.urandom(2000)
    comp = {"gzip": gzip.compress, "deflate": zlib.compress, "deflate-raw": lambda d: zlib.compress(d, wbits=-15)}
    decomp = {"gzip": gzip.decompress, "deflate": zlib.decompress,
              "deflate-raw": lambda d: zlib.decompress(d, wbits=-15)}
    out: list[Outcome] = []
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        (root / "src").mkdir()
        (root / "isoplay.toml").write_text('name = "conf"\nmain = "src/index.ts"\n', encoding="utf-8")
        (root / "src" / "index.ts").write_text(source, encoding="utf-8")

        async def call(path: str, body: bytes) -> tuple[int | None, bytes]:
            result = await run_once(root, HttpRequest("POST", f"http://localhost{path}", (), body))
            return result.status, result.body

        for fmt in ("gzip", "deflate", "deflate-raw"):
            status, body = await call(f"/compress?format={fmt}&chunk=999", data)
            try:
                ok = status == 200 and decomp[fmt](body) == data
            except Exception:
                ok = False
            out.append((f"{fmt}: isolate output decompresses with zlib", ok, ""))
            status, body = await call(f"/decompress?format={fmt}&chunk=5", comp[fmt](data))
            out.append((f"{fmt}: zlib output decompresses in the isolate", (status, body) == (200, data), ""))
            status, body = await call(f"/roundtrip?format={fmt}", data)
            out.append((f"{fmt}: round trip", (status, body) == (200, data), ""))
            for what, bad in [("truncated", comp[fmt](data)[:-5]), ("trailing data", comp[fmt](data) + b"xx"),
                              ("garbage", b"\x00garbage\xff" * 3)]:
                status, body = await call(f"/decompress?format={fmt}", bad)
                out.append((f"{fmt}: {what} input is a TypeError", status == 422 and b"TypeError" in body, body[:80].decode("latin-1")))
        gz = gzip.compress(data)
        status, body = await call("/decompress?format=gzip", gz[:-8] + bytes([gz[-8] ^ 1]) + gz[-7:])
        out.append(("gzip: a bad CRC is a TypeError", status == 422 and b"TypeError" in body, ""))
        z = zlib.compress(data)
        status, body = await call("/decompress?format=deflate", z[:-1] + bytes([z[-1] ^ 1]))
        out.append(("deflate: a bad Adler-32 is a TypeError", status == 422 and b"TypeError" in body, ""))
        status, body = await call("/bad-format?format=br", b"")
        out.append(("an unknown format is a TypeError", status == 422 and b"TypeError" in body, ""))
    return out
