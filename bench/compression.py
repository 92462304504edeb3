"""CompressionStream throughput through an isolate (zlib host ops, one round trip per chunk),
against Python's zlib called directly: ``python bench/compression.py [--mb 8] [--chunk-kb 64]``.

Prints MB/s of input for gzip compress and decompress, and the per-chunk cost of the round trip.
"""

from __future__ import annotations

import argparse
import asyncio
import gzip
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

SOURCE = """
export default {
  async fetch(request: Request) {
    const url = new URL(request.url);
    const input = new Uint8Array(await request.arrayBuffer());
    const chunk = Number(url.searchParams.get("chunk"));
    const make = () => new ReadableStream({ start(c) { for (let i = 0; i < input.length; i += chunk) c.enqueue(input.subarray(i, i + chunk)); c.close(); } });
    const t0 = Date.now();
    const codec = url.pathname === "/c" ? new CompressionStream("gzip") : new DecompressionStream("gzip");
    const out = await new Response(make().pipeThrough(codec)).arrayBuffer();
    return Response.json({ ms: Date.now() - t0, bytes: out.byteLength });
  },
};
"""


async def main(mb: int, chunk_kb: int, runs: int) -> None:
    from runtime.bundler import bundle
    from runtime.invocation import HttpRequest
    from runtime.isolate import ScriptHost, ScriptIsolate
    import json

    data = (b"isoplay streams compression benchmark " * 64 + os.urandom(512)) * (mb * 1024 * 1024 // 2944 + 1)
    data = data[: mb * 1024 * 1024]
    packed = gzip.compress(data)
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        (root / "src").mkdir()
        (root / "isoplay.toml").write_text('name = "cb"\nmain = "src/index.ts"\n[limits]\nmemory_mb = 512\n')
        (root / "src" / "index.ts").write_text(SOURCE)
        built = await bundle(root)
        isolate = ScriptIsolate(built, ScriptHost("cb"))
        chunk = chunk_kb * 1024
        figures: dict[str, list[float]] = {"compress": [], "decompress": []}
        for _ in range(runs):
            for path, body, key in (("/c", data, "compress"), ("/d", packed, "decompress")):
                result = await isolate.invoke(HttpRequest("POST", f"http://localhost{path}?chunk={chunk}", (), body))
                assert result.ok, result.error
                figures[key].append(json.loads(result.body)["ms"])
        isolate.close()
    direct_c, direct_d = [], []
    for _ in range(runs):
        t = time.perf_counter(); gzip.compress(data); direct_c.append((time.perf_counter() - t) * 1000)
        t = time.perf_counter(); gzip.decompress(packed); direct_d.append((time.perf_counter() - t) * 1000)
    chunks = len(data) // chunk
    print(f"input {mb} MB in {chunk_kb} kB chunks ({chunks} chunks), median of {runs}")
    print(f"{'':24} {'isolate':>10} {'zlib direct':>12}")
    for key, direct in (("compress", direct_c), ("decompress", direct_d)):
        iso = statistics.median(figures[key])
        dir_ms = statistics.median(direct)
        print(f"gzip {key:19} {mb * 1000 / max(iso, 0.001):8.1f} MB/s {mb * 1000 / max(dir_ms, 0.001):8.1f} MB/s"
              f"   (+{(iso - dir_ms) / max(chunks, 1):.2f} ms per chunk)")


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--mb", type=int, default=8)
    parser.add_argument("--chunk-kb", type=int, default=64)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    asyncio.run(main(args.mb, args.chunk_kb, args.runs))
