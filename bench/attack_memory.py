"""Process RSS during and after memory attacks on one isolate (issue 13, point 3).

Each attack runs in a fresh isolate of this process with ``memory_mb`` (default
128), the way ``isoplay serve`` runs an app; a thread samples the process RSS
every 5 ms while it runs. Printed per attack: how the invocation ended, the RSS
before it, the peak RSS while it ran, the RSS once the isolate was closed (the
pool replaces it), and the time it took. The last line is one JSON object.

    .venv/bin/python bench/attack_memory.py [--memory-mb 128] [--timeout-ms 30000] [--only NAME]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from runtime.bundler import Bundle  # noqa: E402
from runtime.invocation import RunTrigger  # noqa: E402
from runtime.isolate import ScriptHost, ScriptIsolate  # noqa: E402
from runtime.manifest import parse_manifest  # noqa: E402

MB = 1024 * 1024
ATTACKS = {
    # The cases: 256 MiB pieces (each larger than the whole 128 MB limit: refused up front) ...
    "uint8array": "const k = []; for (let i = 0; i < 8; i++) k.push(new Uint8Array(256 * 2**20).fill(1)); return k.length;",
    "arraybuffer": "const k = []; for (let i = 0; i < 8; i++) { const b = new ArrayBuffer(256 * 2**20);"
                   " new Uint8Array(b).fill(1); k.push(b); } return k.length;",
    "wasm_memory": "const k = []; for (let i = 0; i < 4; i++) { const m = new WebAssembly.Memory({ initial: 4096 });"
                   " new Uint8Array(m.buffer).fill(1); k.push(m); } return k.length;",
    # ... and the same amounts in pieces under the limit (stopped by the memory check).
    "uint8array_64m": "const k = []; for (let i = 0; i < 32; i++) k.push(new Uint8Array(64 * 2**20).fill(1)); return 1;",
    "arraybuffer_64m": "const k = []; for (let i = 0; i < 32; i++) { const b = new ArrayBuffer(64 * 2**20);"
                       " new Uint8Array(b).fill(1); k.push(b); } return 1;",
    "wasm_memory_64m": "const k = []; for (let i = 0; i < 16; i++) { const m = new WebAssembly.Memory({ initial: 1024 });"
                       " new Uint8Array(m.buffer).fill(1); k.push(m); } return 1;",
    "wasm_grow": "const k = []; for (let j = 0; j < 16; j++) { const m = new WebAssembly.Memory({ initial: 1, maximum: 2048 });"
                 " for (let i = 0; i < 4; i++) { m.grow(256); new Uint8Array(m.buffer).fill(1); } k.push(m); } return 1;",
    "growing_map": "const m = new Map(); for (let i = 0; ; i++) m.set(i, { i, s: 'v' + i });",
    "growing_string": "const k = []; for (let i = 0; ; i++) k.push('x'.repeat(2**20) + i);",
    "concat_string": "let s = ''; for (let i = 0; ; i++) s += String(i).padStart(64, '0');",
    # One allocation far past the limit (issue 13 point 3's residue).
    "huge_string": "const s = 'x'.repeat(2**29 - 24); return s.length;",
    "huge_pad": "const s = ''.padEnd(2**29 - 24, 'y'); return s.length;",
    "huge_array": "const a = new Array(2**26).fill(1.5); return a.length;",
    "huge_join": "return new Array(2**28).join('ab').length;",
    "wasm_maximum_grow": "const m = new WebAssembly.Memory({ initial: 1, maximum: 65536 }); const k = [];"
                         " for (let i = 0; i < 64; i++) { m.grow(256); new Uint8Array(m.buffer).fill(1); } return 1;",
}


def rss() -> int:
    """This process's resident set size in bytes."""
    with open("/proc/self/status", encoding="ascii") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    raise RuntimeError("no VmRSS in /proc/self/status")


class Sampler:
    """Peak RSS while a block runs (a thread reading /proc every 5 ms)."""

    def __enter__(self) -> Sampler:
        self.peak = rss()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()
        return self

    def _run(self) -> None:
        while not self._stop.wait(0.005):
            self.peak = max(self.peak, rss())

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
        self.peak = max(self.peak, rss())


def bundle(body: str, memory_mb: int, timeout_ms: int) -> Bundle:
    """A hand-made bundle whose run() handler is ``body``."""
    manifest = parse_manifest({"name": "attack", "main": "src/index.ts",
                               "limits": {"memory_mb": memory_mb, "timeout_ms": timeout_ms}})
    code = f"var __isoplay_module = {{ default: {{ async run(input, env, ctx) {{ {body} }} }} }};"
    return Bundle(manifest=manifest, code=code, sourcemap='{"version":3,"sources":[],"names":[],"mappings":""}')


async def attack(name: str, body: str, memory_mb: int, timeout_ms: int) -> dict[str, object]:
    """Run one attack in a fresh isolate and return its figures."""
    host = ScriptHost("attack")
    before = rss()
    started = time.perf_counter()
    with Sampler() as sampler:
        isolate = ScriptIsolate(bundle(body, memory_mb, timeout_ms), host)
        result = await isolate.invoke(RunTrigger(None))
        isolate.close()
    seconds = time.perf_counter() - started
    await host.aclose()
    await asyncio.sleep(0.2)
    stopped_by = result.limit or (result.error.name if result.error else "-")
    return {"attack": name, "outcome": result.outcome, "stopped_by": stopped_by, "rss_before_mb": before / MB,
            "rss_peak_mb": sampler.peak / MB, "rss_after_mb": rss() / MB, "seconds": seconds}


async def main(memory_mb: int, timeout_ms: int, only: str | None) -> list[dict[str, object]]:
    """Warm up with one normal isolate (the baseline), then run each attack."""
    host = ScriptHost("warm")
    warm = ScriptIsolate(bundle("return 1;", memory_mb, timeout_ms), host)
    await warm.invoke(RunTrigger(None))
    warm.close()
    await host.aclose()
    print(f"baseline RSS after one normal isolate: {rss() / MB:.0f} MB; memory_mb = {memory_mb}")
    print(f"{'attack':16} {'outcome':8} {'stopped by':12} {'before':>8} {'peak':>8} {'after':>8} {'seconds':>8}")
    rows = []
    for name, body in ATTACKS.items():
        if only and name != only:
            continue
        row = await attack(name, body, memory_mb, timeout_ms)
        rows.append(row)
        print(f"{name:16} {row['outcome']!s:8} {row['stopped_by']!s:12} {row['rss_before_mb']:7.0f}M "
              f"{row['rss_peak_mb']:7.0f}M {row['rss_after_mb']:7.0f}M {row['seconds']:8.2f}", flush=True)
    return rows


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--memory-mb", type=int, default=128)
    parser.add_argument("--timeout-ms", type=int, default=30000)
    parser.add_argument("--only", choices=sorted(ATTACKS))
    args = parser.parse_args()
    figures = asyncio.run(main(args.memory_mb, args.timeout_ms, args.only))
    print(json.dumps({r["attack"]: {k: (round(v, 1) if isinstance(v, float) else v) for k, v in r.items()
                                    if k != "attack"} for r in figures}))
