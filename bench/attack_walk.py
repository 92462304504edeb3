"""Walk issue 13's eight points against a real ``isoplay serve``, the way the issue's author attacked it.

Starts a server on 127.0.0.1 with its own data folder and tokens, then for each point makes the attack
over HTTP (hand-made uploads, raw sockets) and prints what happened and whether the server stayed up.
Point 5 (overload) has its own bench: ``python bench/overload_bench.py``. One JSON line at the end.

    .venv/bin/python bench/attack_walk.py
"""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests" / "security"))

import httpx  # noqa: E402

from sec_harness import ServeProcess, create_token_offline, multipart, upload_parts  # noqa: E402

MB = 1024 * 1024
rows: list[dict[str, Any]] = []


def handler(body: str, top: str = "") -> str:
    return (f"{top}\nvar __isoplay_module = {{ default: {{ async fetch(request, env, ctx) {{ try {{ {body} }} "
            "catch (e) { return new Response(e.name + ': ' + e.message, { status: 500 }); } } } };\n")


def upload(client: httpx.Client, name: str, code: str, **manifest: Any) -> httpx.Response:
    data = {"name": name, "version": "1.0.0", "main": "src/index.ts", **manifest}
    ctype, body = multipart(upload_parts(data, code))
    return client.post(f"/api/apps/{name}/versions", content=body, headers={"content-type": ctype})


def rss(pid: int) -> float:
    with open(f"/proc/{pid}/status", encoding="ascii") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


def record(point: str, attack: str, result: str, server: ServeProcess) -> None:
    alive = server.proc is not None and server.proc.poll() is None
    try:
        alive = alive and httpx.get(f"{server.url}/api/health", timeout=30).status_code == 200
    except httpx.HTTPError:
        alive = False
    rows.append({"point": point, "attack": attack, "result": result, "server_up": alive})
    print(f"{point:>2}  {attack:58.58}  {result[:110]:110}  {'up' if alive else 'DOWN'}", flush=True)


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp) / "data"
        admin = create_token_offline(data, "admin")
        deploy = create_token_offline(data, "ci", "--app", "mine")
        server = ServeProcess(data).start()
        assert server.proc is not None
        pid = server.proc.pid
        try:
            with httpx.Client(base_url=server.url, headers={"authorization": f"Bearer {admin}"}, timeout=120) as c:
                # 1. natives syntax
                for attack, code in [("%AbortJS in a hand-made upload", handler('return %AbortJS("x");')),
                                     ("%GetOptimizationStatus, escaped in a comment trick",
                                      handler("/*\\u002a/ return %GetOptimizationStatus(Math.max);")),
                                     ("natives built at run time (eval)", handler('return eval("%AbortJS(1)");'))]:
                    r = upload(c, "natives", code)
                    got = f"upload {r.status_code} {r.json().get('error', {}).get('message', '')[:70]}" if r.status_code != 201 \
                        else f"upload 201, request {httpx.get(server.url + '/natives/').text[:70]}"
                    record("1", attack, got, server)
                # 2. loopback
                code = handler("return new Response((await fetch(new URL(request.url).searchParams.get('u'))).status);")
                r = upload(c, "probe", code, fetch={"allow": ["localhost", "127.0.0.1", "[::ffff:7f00:1]", "vm"]})
                for target in (f"http://127.0.0.1:{server.port}/metrics", f"http://[::ffff:7f00:1]:{server.port}/api/health",
                               f"http://localhost:{server.port}/api/health", "http://169.254.169.254/latest/meta-data/"):
                    a = httpx.get(f"{server.url}/probe/", params={"u": target})
                    record("2", f"fetch {target}", f"{a.status_code} {a.text[:100]}", server)
                # 3. memory
                base = rss(pid)
                for name, body in [
                        ("8 x 256 MiB Uint8Array", "const k = []; for (let i = 0; i < 8; i++) k.push(new Uint8Array(256 * 2**20).fill(1)); return new Response('kept ' + k.length);"),
                        ("4 x 256 MiB WebAssembly.Memory", "const k = []; for (let i = 0; i < 4; i++) { const m = new WebAssembly.Memory({ initial: 4096 }); new Uint8Array(m.buffer).fill(1); k.push(m); } return new Response('kept');"),
                        ("32 x 64 MiB Uint8Array", "const k = []; for (let i = 0; i < 32; i++) k.push(new Uint8Array(64 * 2**20).fill(1)); return new Response('kept');"),
                        ("a Map growing without end", "const m = new Map(); for (let i = 0; ; i++) m.set(i, { i, s: 'v' + i });"),
                        ("new Array(2**26).fill(1.5)", "return new Response(String(new Array(2 ** 26).fill(1.5).length));"),
                        ("Memory maximum 4 GiB, grown by 16 MiB steps", "const m = new WebAssembly.Memory({ initial: 1, maximum: 65536 }); for (let i = 0; i < 64; i++) m.grow(256); return new Response('grew');")]:
                    app = "mem" + str(len(rows))
                    upload(c, app, handler(body), limits={"memory_mb": 128, "timeout_ms": 60000})
                    peak = [rss(pid)]
                    started = time.monotonic()
                    a = httpx.get(f"{server.url}/{app}/", timeout=120)
                    took = time.monotonic() - started
                    time.sleep(1.0)
                    # isoplay serve answers a limit hit with a bare 500; /metrics says which limit it was.
                    outcomes = [line.split('outcome="', 1)[1].split('"', 1)[0]
                                for line in c.get("/metrics").text.splitlines()
                                if line.startswith("isoplay_invocations_total{") and f'script="{app}"' in line]
                    record("3", name, f"{a.status_code} {a.text[:44]!r} ({'/'.join(outcomes) or '?'}) in {took:.1f}s; "
                           f"RSS {base:.0f} -> after {rss(pid):.0f} MB", server)
                # 4. WebAssembly compiled at run time
                upload(c, "wasmgen", handler("new WebAssembly.Module(new Uint8Array([0, 97, 115, 109, 1, 0, 0, 0])); return new Response('compiled');"))
                a = httpx.get(f"{server.url}/wasmgen/")
                record("4", "new WebAssembly.Module(bytes built at run time)", f"{a.status_code} {a.text[:100]}", server)
                # 6. HTTP front: 1 MB header line, 90 MB body
                with socket.create_connection(("127.0.0.1", server.port), timeout=60) as s:
                    s.sendall(b"GET /x/ HTTP/1.1\r\nHost: a\r\nX-Big: " + b"a" * MB + b"\r\n\r\n")
                    answer = s.recv(200).split(b"\r\n")[0].decode()
                record("6", "a 1 MB header line", answer, server)
                upload(c, "body", handler("const b = await request.arrayBuffer(); return new Response(String(b.byteLength));"),
                       limits={"timeout_ms": 300, "memory_mb": 256})
                before = rss(pid)
                with open(f"/proc/{pid}/clear_refs", "w") as f:
                    f.write("5")
                started = time.monotonic()
                with socket.create_connection(("127.0.0.1", server.port), timeout=120) as s:
                    s.sendall(b"POST /body/ HTTP/1.1\r\nHost: a\r\nContent-Length: %d\r\n\r\n" % (90 * MB))
                    for _ in range(90):
                        s.sendall(b"b" * MB)
                    reply = b""
                    while b"\r\n\r\n" not in reply or not reply.rstrip().split(b"\r\n\r\n", 1)[1]:
                        more = s.recv(65536)
                        if not more:
                            break
                        reply += more
                with open(f"/proc/{pid}/status") as f:
                    hwm = next(int(line.split()[1]) / 1024 for line in f if line.startswith("VmHWM:"))
                status = reply.split(b" ")[1].decode() if b" " in reply else "?"
                text = reply.split(b"\r\n\r\n", 1)[1][:20].decode() if b"\r\n\r\n" in reply else ""
                record("6", "a 90 MiB body, timeout_ms = 300", f"{status} {text!r} in {time.monotonic() - started:.1f}s; "
                       f"peak RSS +{hwm - before:.0f} MB ({(hwm - before) / 90:.2f}x the body)", server)
                # 7. bad input through the deploy API
                r = upload(c, "badsyntax", "var __isoplay_module = {};\nvar b = (;\n")
                record("7", "an upload whose script does not parse", f"{r.status_code} {r.json()['error']['message']}", server)
                r = upload(c, "huge", handler("return new Response('x');"), limits={"timeout_ms": 99999999999999999999999})
                record("7", "timeout_ms = 99999999999999999999999", f"{r.status_code} {r.json()['error']['message'][:90]}", server)
                r = upload(c, "shadow", handler("return new Response('x');"), vars={"KV": "1"},
                           kv_namespaces=[{"binding": "KV"}])
                record("8", "a var named like a KV binding", f"{r.status_code} {r.json()['error']['message'][:90]}", server)
            # 8. tokens
            with httpx.Client(base_url=server.url, headers={"authorization": f"Bearer {deploy}"}, timeout=60) as c:
                r = upload(c, "other", handler("return new Response('x');"))
                record("8", "a deploy token for 'mine' publishes 'other'", f"{r.status_code} {r.json()['error']['message'][:90]}", server)
                r = c.get("/metrics")
                record("8", "that token reads /metrics (names every app)", f"{r.status_code}", server)
            fresh = subprocess.run([sys.executable, "-m", "app", "tokens", "create", "late", "--app", "mine",
                                    "--expires", "1h", "--data", str(data)], capture_output=True, text=True)
            late = fresh.stdout.strip()
            r = httpx.get(f"{server.url}/api/apps/mine", headers={"authorization": f"Bearer {late}"})
            record("8", "a token created while the server runs, used at once", f"{r.status_code}", server)
            r = httpx.get(f"{server.url}/metrics")
            record("-", "/metrics without a token", f"{r.status_code}", server)
        finally:
            server.stop()
    print(json.dumps({"attack_walk": rows}))


if __name__ == "__main__":
    main()
