"""The app the record/replay tests run: KV, fetch to a local upstream, time, randomness, one failure."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

SECRET = "s3cr3t-token-value-42"
VAR = "var-value-shown-in-logs"

SOURCE = """\
export default {
  async fetch(request: Request, env: any) {
    const url = new URL(request.url);
    const id = url.searchParams.get("id") ?? "1";
    if (url.pathname === "/seed") { await env.KV.put("user:" + id, url.searchParams.get("name") ?? "ada"); return new Response("seeded"); }
    const user = await env.KV.get("user:" + id);
    const t0 = Date.now();
    const nonce = crypto.randomUUID();
    const roll = Math.random();
    const up = await fetch(env.UPSTREAM + "/price?id=" + id, { headers: { authorization: "Bearer " + env.API_TOKEN } });
    const price = await up.text();
    const order: string[] = [];
    await new Promise<void>((resolve) => {
      setTimeout(() => { order.push("b"); resolve(); }, 4);
      setTimeout(() => order.push("a"), 1);
    });
    const elapsed = performance.now();
    console.log("user", user, "price", price, "nonce", nonce, "var", env.SHOWN);
    if (url.pathname === "/fail") {
      throw new Error(`failed for ${user} at ${t0} with ${price}`);
    }
    return Response.json({ user, price, nonce, roll, t0, when: new Date().toISOString(), order, elapsed,
      auth: up.headers.get("x-seen-auth") });
  },
};
"""


def manifest(upstream: str, name: str = "shop", recordings: str = "") -> str:
    """isoplay.toml of the app, fetching from ``upstream`` (host:port); ``recordings``: the [recordings] body."""
    return (f'name = "{name}"\nmain = "src/index.ts"\n'
            f'kv_namespaces = [{{ binding = "KV" }}]\n'
            f'[vars]\nUPSTREAM = "http://{upstream}"\nSHOWN = "{VAR}"\n'
            f'[limits]\ntimeout_ms = 5000\n[fetch]\nallow = ["{upstream}"]\n'
            + (f"[recordings]\n{recordings}\n" if recordings else ""))


class _Upstream(BaseHTTPRequestHandler):
    counter = 0

    def log_message(self, *args: object) -> None:
        pass

    def do_GET(self) -> None:
        type(self).counter += 1
        body = json.dumps({"price": 10 + type(self).counter, "path": self.path}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("X-Seen-Auth", self.headers.get("authorization", ""))
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


@contextmanager
def upstream() -> Iterator[str]:
    """An upstream on 127.0.0.1 whose answers change on every request; yields host:port."""
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Upstream)
    httpd.daemon_threads = True
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield f"127.0.0.1:{httpd.server_address[1]}"
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join(timeout=5)
