"""Memory and time of a large request body through ``isoplay dev`` (issue 13, point 6).

Starts ``isoplay dev`` on a throw-away project whose handler reads the whole body
(``await request.arrayBuffer()``) and answers its length, then POSTs a body of
``--mb`` MiB (90 by default, under the 100 MiB default limit) with Content-Length,
and once more chunked. Printed per run: the server's RSS before, its peak while the
body was sent and read (VmHWM, reset before each run), that peak over the body's
size, the wall time from the first byte sent to the answer, and whether the
invocation passed with ``timeout_ms`` set lower than that wall time (a body that
counts against the script's time fails there). The last line is one JSON object.

    .venv/bin/python bench/body_bench.py [--mb 90] [--timeout-ms 250]

Figures depend on the machine's load; the development machine is shared.
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
MB = 1024 * 1024

HANDLER = """
export default {
  async fetch(request: Request): Promise<Response> {
    const t0 = performance.now();
    const bytes = await request.arrayBuffer();
    return new Response(JSON.stringify({ bytes: bytes.byteLength, read_ms: performance.now() - t0 }));
  },
};
"""


def status(pid: int, key: str) -> int:
    with open(f"/proc/{pid}/status", encoding="ascii") as f:
        for line in f:
            if line.startswith(key + ":"):
                return int(line.split()[1]) * 1024
    raise RuntimeError(f"no {key} for pid {pid}")


def reset_peak(pid: int) -> None:
    with open(f"/proc/{pid}/clear_refs", "w", encoding="ascii") as f:
        f.write("5")  # resets VmHWM to the current RSS


def post(port: int, body_mb: int, chunked: bool) -> tuple[int, bytes, float]:
    piece = b"x" * MB
    with socket.create_connection(("127.0.0.1", port)) as sock:
        sock.settimeout(300)
        started = time.perf_counter()
        if chunked:
            sock.sendall(b"POST /upload HTTP/1.1\r\nHost: localhost\r\nTransfer-Encoding: chunked\r\n\r\n")
            for _ in range(body_mb):
                sock.sendall(b"%x\r\n%s\r\n" % (len(piece), piece))
            sock.sendall(b"0\r\n\r\n")
        else:
            sock.sendall(b"POST /upload HTTP/1.1\r\nHost: localhost\r\nContent-Length: %d\r\n\r\n" % (body_mb * MB))
            for _ in range(body_mb):
                sock.sendall(piece)
        data = b""
        while b"\r\n\r\n" not in data:
            data += sock.recv(65536)
        head, _, rest = data.partition(b"\r\n\r\n")
        length = 0
        for line in head.split(b"\r\n")[1:]:
            name, _, value = line.partition(b":")
            if name.strip().lower() == b"content-length":
                length = int(value)
        while len(rest) < length:
            rest += sock.recv(65536)
        elapsed = time.perf_counter() - started
    return int(head.split()[1]), rest, elapsed


def run(body_mb: int, timeout_ms: int, chunked: bool) -> dict[str, object]:
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "bodybench"
        (root / "src").mkdir(parents=True)
        (root / "src" / "index.ts").write_text(HANDLER)
        (root / "isoplay.toml").write_text(
            f'name = "bodybench"\nmain = "src/index.ts"\n[limits]\ntimeout_ms = {timeout_ms}\nmemory_mb = 512\n')
        env = {**os.environ, "ISOPLAY_CONFIG_DIR": tmp}
        proc = subprocess.Popen([sys.executable, "-m", "app", "dev", str(root), "--port", "0", "--no-watch"],
                                cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        try:
            assert proc.stdout is not None
            port = 0
            for line in proc.stdout:
                if "serving" in line and "http://" in line:
                    port = int(line.split("http://", 1)[1].split("/", 1)[0].rsplit(":", 1)[1])
                    break
            threading.Thread(target=lambda: [None for _ in proc.stdout], daemon=True).start()  # type: ignore[union-attr]
            post(port, 1, False)  # warm: the first request builds nothing new but loads the pool
            time.sleep(0.3)
            before = status(proc.pid, "VmRSS")
            reset_peak(proc.pid)
            code, answer, elapsed = post(port, body_mb, chunked)
            peak = status(proc.pid, "VmHWM")
            time.sleep(0.5)
            after = status(proc.pid, "VmRSS")
        finally:
            proc.terminate()
            proc.wait(30)
    try:
        info = json.loads(answer)
    except ValueError:
        info = {"answer": answer[:200].decode("utf-8", "replace")}
    return {"mode": "chunked" if chunked else "content-length", "status": code, "body_mb": body_mb,
            "timeout_ms": timeout_ms, "rss_before_mb": round(before / MB, 1), "rss_peak_mb": round(peak / MB, 1),
            "peak_over_body": round((peak - before) / (body_mb * MB), 2), "rss_after_mb": round(after / MB, 1),
            "wall_s": round(elapsed, 2), **info}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--mb", type=int, default=90)
    parser.add_argument("--timeout-ms", type=int, default=250,
                        help="the script's timeout_ms (below the upload's wall time on purpose)")
    args = parser.parse_args()
    results = []
    for chunked in (False, True):
        r = run(args.mb, args.timeout_ms, chunked)
        results.append(r)
        ok = "passed" if r["status"] == 200 else "FAILED"
        print(f"{r['mode']:>14}: {args.mb} MiB, HTTP {r['status']} ({ok} under timeout_ms {args.timeout_ms}), "
              f"RSS {r['rss_before_mb']} -> peak {r['rss_peak_mb']} MB (+{r['peak_over_body']}x the body), "
              f"after {r['rss_after_mb']} MB, wall {r['wall_s']} s"
              + (f", read in the script {r['read_ms']:.0f} ms" if isinstance(r.get("read_ms"), (int, float)) else "")
              + ("" if r["status"] == 200 else f": {r.get('answer', '')!r}"))
    print(json.dumps({"body_bench": results}))


if __name__ == "__main__":
    main()
