"""``python bench/webcrypto_speed.py``: what crypto costs a request (warm isolate, no HTTP).

Each row is one fetch handler doing one thing, invoked warm in one isolate; the figure is the
median time of the whole invocation (ms), next to a handler that does nothing. Operations that
run host-side (everything but digest, secret-key import and randomness) add one host round trip.
"""

from __future__ import annotations

import asyncio
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

SCRIPT = """
const enc = new TextEncoder();
const data = new Uint8Array(1024).fill(7);
const hmacKey = crypto.subtle.importKey("raw", enc.encode("secret"), { name: "HMAC", hash: "SHA-256" }, false, ["sign", "verify"]);
const aesKey = crypto.subtle.importKey("raw", new Uint8Array(32), "AES-GCM", false, ["encrypt"]);
const ec = crypto.subtle.generateKey({ name: "ECDSA", namedCurve: "P-256" }, false, ["sign", "verify"]);
const ed = crypto.subtle.generateKey("Ed25519", false, ["sign", "verify"]);
let edSig: ArrayBuffer | null = null;
const ops: Record<string, () => Promise<unknown> | unknown> = {
  "/hello": () => null,
  "/randomUUID x100": () => { for (let i = 0; i < 100; i++) crypto.randomUUID(); },
  "/getRandomValues 64 KiB": () => crypto.getRandomValues(new Uint8Array(65536)),
  "/digest SHA-256 1 KiB": () => crypto.subtle.digest("SHA-256", data),
  "/HMAC sign 1 KiB": async () => crypto.subtle.sign("HMAC", await hmacKey, data),
  "/HMAC import + verify (webhook)": async () => {
    const k = await crypto.subtle.importKey("raw", enc.encode("s"), { name: "HMAC", hash: "SHA-256" }, false, ["verify"]);
    return crypto.subtle.verify("HMAC", k, new Uint8Array(32), data);
  },
  "/AES-GCM encrypt 1 KiB": async () => crypto.subtle.encrypt({ name: "AES-GCM", iv: new Uint8Array(12) }, await aesKey, data),
  "/ECDSA P-256 sign": async () => crypto.subtle.sign({ name: "ECDSA", hash: "SHA-256" }, ((await ec) as CryptoKeyPair).privateKey, data),
  "/Ed25519 verify": async () => {
    const pair = (await ed) as CryptoKeyPair;
    edSig ??= await crypto.subtle.sign("Ed25519", pair.privateKey, data);
    return crypto.subtle.verify("Ed25519", pair.publicKey, edSig, data);
  },
};
export default {
  async fetch(request: Request): Promise<Response> {
    const op = ops[decodeURIComponent(new URL(request.url).pathname)];
    if (!op) return new Response("no such op", { status: 404 });
    await op();
    return new Response("ok");
  },
};
"""


async def measure(n: int) -> dict[str, float]:
    """Median invocation ms per operation."""
    from runtime.bundler import bundle
    from runtime.invocation import HttpRequest
    from runtime.isolate import ScriptHost, ScriptIsolate

    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "speed"
        (root / "src").mkdir(parents=True)
        (root / "isoplay.toml").write_text('name = "speed"\nmain = "src/index.ts"\n', encoding="utf-8")
        (root / "src" / "index.ts").write_text(SCRIPT, encoding="utf-8")
        built = await bundle(root)
    isolate = ScriptIsolate(built, ScriptHost("speed"))
    names = [line.split('"')[1] for line in SCRIPT.splitlines() if line.startswith('  "/')]
    out: dict[str, float] = {}
    try:
        for name in names:
            request = HttpRequest(url="http://localhost" + name.replace(" ", "%20"))
            for _ in range(20):  # warm: JIT, first-use module loads
                result = await isolate.invoke(request)
                assert result.ok and result.status == 200, (name, result.error, result.body)
            times = []
            for _ in range(n):
                started = time.perf_counter()
                await isolate.invoke(request)
                times.append((time.perf_counter() - started) * 1000)
            out[name.lstrip("/")] = statistics.median(times)
    finally:
        isolate.close()
        await isolate.host.aclose()
    return out


def main(argv: list[str]) -> int:
    """Print the table and one JSON line."""
    sys.path.insert(0, str(ROOT))
    n = int(argv[argv.index("-n") + 1]) if "-n" in argv else 300
    figures = asyncio.run(measure(n))
    for name, ms in figures.items():
        print(f"{name:34} {ms:8.3f} ms")
    print(json.dumps({k: round(v, 4) for k, v in figures.items()}))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
