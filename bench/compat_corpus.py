"""``python bench/compat_corpus.py [--wrangler] [-n 100] [PROJECT ...]``: the corpus under ``isoplay dev``
and (with ``--wrangler``) ``wrangler dev``: do they answer the same, and how fast.

Not part of CI: ``--wrangler`` installs wrangler (pinned below; its workerd binary comes as an npm
package) once with isoplay's npm into the user cache.

For each project of tests/compat/projects/ (dependencies installed as the tests do), in a fresh
copy per tool:

1. start the dev server as a process on 127.0.0.1 (isoplay: ``--port 0``, the port read from its
   banner; wrangler: a free ephemeral port, and a free inspector port), and time spawn -> the first
   answer to the project's first plain GET (``first s``);
2. send every request of its expect.json in order (captures substituted per server) and keep the
   answers; the fetch-proxy projects get a local echo server as UPSTREAM;
3. send the first GET ``-n`` times one after another on one kept-alive ``http.client`` connection
   and take the median (``p50 ms``).

Then each step's answers are compared: ``same`` (status, content-type and body identical),
``equivalent`` (the bodies differ only where expect.json does not pin them -- times, random ids,
signatures -- and both pass expect.json's checks) or ``DIFFERENT``. Figures from a shared, loaded
machine are noisy: read them as orders of magnitude, and run it twice.
"""

from __future__ import annotations

import http.client
import json
import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from http.server import ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests" / "compat"))

import corpus  # noqa: E402

WRANGLER_VERSION = "4.164.0"
FIRST_TARGET_S = 0.6
P50_RATIO_TARGET = 5.0


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def first_get(project: Path) -> str | None:
    for step in corpus.spec(project)["requests"]:
        method, _, target = step["request"].partition(" ")
        if method == "GET" and "${" not in target and not step.get("headers"):
            return target
    return None


class Server:
    """A dev server process and its base URL."""

    def __init__(self, argv: list[str], cwd: Path, env: dict[str, str], base: str | None) -> None:
        self.log = tempfile.TemporaryFile()
        self.started = time.perf_counter()
        self.proc = subprocess.Popen(argv, cwd=cwd, stdout=self.log, stderr=self.log, env=env, start_new_session=True)
        self.base = base

    def output(self) -> str:
        self.log.seek(0)
        return self.log.read().decode(errors="replace")

    def first_answer(self, client: httpx.Client, target: str, timeout: float = 90) -> float | None:
        """Seconds from spawn to the first answer below 500 to ``target`` (None: it never answered)."""
        deadline = self.started + timeout
        while time.perf_counter() < deadline:
            if self.proc.poll() is not None:
                return None
            if self.base is None:
                m = re.search(r"at http://127\.0\.0\.1:(\d+)/", self.output())
                self.base = f"http://127.0.0.1:{m.group(1)}" if m else None
            if self.base is not None:
                try:
                    if client.get(self.base + target).status_code < 500:
                        return time.perf_counter() - self.started
                except httpx.HTTPError:
                    pass
            time.sleep(0.005)
        return None

    def stop(self) -> None:
        try:
            os.killpg(self.proc.pid, 15)
        except ProcessLookupError:
            pass
        try:
            self.proc.wait(15)
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, 9)
            self.proc.wait(5)
        self.log.close()


def run_steps(client: httpx.Client, base: str, steps: list[dict[str, Any]]) -> list[tuple[int, str, bytes, list[str]]]:
    """Every step's (status, content-type, body, problems against expect.json)."""
    captured: dict[str, str] = {}
    out = []
    for step in steps:
        step = corpus.substitute(step, captured)
        method, _, target = step["request"].partition(" ")
        client.cookies.clear()
        try:
            r = client.request(method, base + target, headers=step.get("headers", {}), content=corpus.request_body(step))
        except httpx.HTTPError as exc:
            out.append((0, "", str(exc).encode(), [f"{step['request']}: {exc}"]))
            continue
        problems = corpus.check_response(step, r.status_code, dict(r.headers), r.content, captured)
        out.append((r.status_code, r.headers.get("content-type", ""), r.content, problems))
    return out


def warm_p50(url: str, n: int) -> float:
    """Median of ``n`` GETs one after another on one kept-alive connection, read to the end.

    The client is ``http.client``, not httpx: httpx spends ~0.4 ms of Python per request here,
    the same on both sides, which would hide most of a sub-millisecond server's time in the client's.
    """
    parts = urlsplit(url)
    conn = http.client.HTTPConnection(parts.hostname or "127.0.0.1", parts.port or 80, timeout=30)
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    times = []
    try:
        for _ in range(n):
            t0 = time.perf_counter()
            conn.request("GET", path)
            conn.getresponse().read()
            times.append((time.perf_counter() - t0) * 1000)
    finally:
        conn.close()
    return statistics.median(times)


def measure(server: Server, target: str, steps: list[dict[str, Any]], n: int) -> dict[str, Any]:
    with httpx.Client(timeout=30, follow_redirects=False) as client:
        first = server.first_answer(client, target)
        if first is None:
            return {"error": server.output()[-1500:]}
        answers = run_steps(client, server.base or "", steps)
        try:
            p50 = warm_p50((server.base or "") + target, n)
        except OSError as exc:  # a dev server that drops the connection is a row's result, not the run's end
            return {"error": f"the warm requests failed: {exc!r}\n{server.output()[-1000:]}"}
    return {"first_s": first, "p50_ms": p50, "answers": answers}


def wrangler_cli() -> Path:
    """wrangler, installed once into the user cache with isoplay's npm."""
    import platformdirs

    from app.commands.npm import command

    target = Path(platformdirs.user_cache_dir("isoplay")) / "bench-wrangler" / WRANGLER_VERSION
    cli = target / "node_modules" / "wrangler" / "bin" / "wrangler.js"
    if not cli.is_file():
        target.mkdir(parents=True, exist_ok=True)
        argv, env = command("npm")
        subprocess.run([*argv, "install", "--no-audit", "--no-fund", f"wrangler@{WRANGLER_VERSION}"], cwd=target,
                       env=env, check=True)
    return cli


def compare(iso: dict[str, Any], wr: dict[str, Any], steps: list[dict[str, Any]]) -> tuple[str, list[str]]:
    """'same' / 'equivalent' / 'DIFFERENT' over all steps, and what differs."""
    verdict, notes = "same", []
    for step, a, b in zip(steps, iso["answers"], wr["answers"], strict=True):
        if (a[0], a[1].split(";")[0], a[2]) == (b[0], b[1].split(";")[0], b[2]):
            continue
        if a[0] == b[0] and not a[3] and not b[3]:
            verdict = "equivalent" if verdict == "same" else verdict
            notes.append(f"{step['request']}: bodies differ where expect.json does not pin them")
            continue
        verdict = "DIFFERENT"
        notes.append(f"{step['request']}: isoplay {a[0]} {a[2][:120]!r} {a[3][:1]} | wrangler {b[0]} {b[2][:120]!r} "
                     f"{b[3][:1]}")
    return verdict, notes


class _Upstream:
    """The echo server fetch-proxy projects forward to (the same one the corpus test uses)."""

    def __init__(self) -> None:
        from test_corpus import _Echo

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), _Echo)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/"

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def main(args: list[str]) -> int:
    n = int(args[args.index("-n") + 1]) if "-n" in args else 100
    names = [a for a in args if not a.startswith("-") and not a.isdigit()]
    with_wrangler = "--wrangler" in args
    from app.commands.npm import command

    node, npm_env = command("npm")[0][0], command("npm")[1]
    wr_env = {**npm_env, "WRANGLER_SEND_METRICS": "false", "CI": "1", "NO_COLOR": "1"}
    cli = wrangler_cli() if with_wrangler else None
    upstream = _Upstream()
    rows: list[dict[str, Any]] = []
    try:
        for project in corpus.projects():
            if names and project.name not in names:
                continue
            spec = corpus.spec(project)
            target = first_get(project)
            if target is None:
                continue
            steps = spec["requests"]
            row: dict[str, Any] = {"project": project.name}
            with tempfile.TemporaryDirectory() as tmp:
                for tool in ("isoplay", "wrangler"):
                    if tool == "wrangler" and (not with_wrangler or spec.get("isoplay_only")):
                        continue
                    root = corpus.materialise(project, Path(tmp) / tool / project.name)
                    if spec.get("upstream"):
                        with (root / ".dev.vars").open("a", encoding="utf-8") as fh:
                            fh.write(f"\nUPSTREAM={upstream.url}\n")
                    for binding in spec.get("d1_migrations", []):  # the schema first, as each tool's docs say
                        if tool == "isoplay":
                            corpus.apply_d1_migrations(root, {"d1_migrations": [binding]})
                        else:
                            assert cli is not None
                            subprocess.run([node, str(cli), "d1", "migrations", "apply", binding, "--local"], cwd=root,
                                           env=wr_env, capture_output=True, timeout=300, check=True)
                    if tool == "isoplay":
                        server = Server([sys.executable, "-m", "app", "dev", str(root), "--port", "0", "--no-watch",
                                         "--no-cron"], ROOT, {**os.environ, "PYTHONPATH": str(ROOT)}, None)
                    else:
                        assert cli is not None
                        port = free_port()
                        server = Server([node, str(cli), "dev", "--port", str(port), "--ip", "127.0.0.1",
                                         "--inspector-port", str(free_port()), "--show-interactive-dev-session=false",
                                         "--test-scheduled"],
                                        root, wr_env, f"http://127.0.0.1:{port}")
                    try:
                        row[tool] = measure(server, target, steps, n)
                    finally:
                        server.stop()
            if "isoplay" in row and "wrangler" in row and "error" not in row["isoplay"] and "error" not in row["wrangler"]:
                row["verdict"], row["notes"] = compare(row["isoplay"], row["wrangler"], steps)
            rows.append(row)
            print(line(row), flush=True)
            for note in row.get("notes", []):
                print(f"    {note}", flush=True)
    finally:
        upstream.close()
    print()
    print(table(rows))
    summary = {r["project"]: {tool: ({k: v for k, v in r[tool].items() if k != "answers"} if tool in r else None)
                              for tool in ("isoplay", "wrangler")} | {"verdict": r.get("verdict")} for r in rows}
    print(json.dumps(summary))
    return 0


def _fig(m: dict[str, Any] | None, key: str, fmt: str) -> str:
    if not m:
        return "-"
    if "error" in m:
        return "failed"
    return format(m[key], fmt)


def line(row: dict[str, Any]) -> str:
    iso, wr = row.get("isoplay"), row.get("wrangler")
    return (f"{row['project']:26} isoplay first {_fig(iso, 'first_s', '.2f')} s p50 {_fig(iso, 'p50_ms', '.2f')} ms"
            f" | wrangler first {_fig(wr, 'first_s', '.2f')} s p50 {_fig(wr, 'p50_ms', '.2f')} ms"
            f" | {row.get('verdict', '-')}")


def table(rows: list[dict[str, Any]]) -> str:
    out = ["| project | isoplay first (s) | isoplay p50 (ms) | wrangler first (s) | wrangler p50 (ms) | p50 ratio | answers |",
           "|---|---|---|---|---|---|---|"]
    met_first = met_ratio = both = 0
    for r in rows:
        iso, wr = r.get("isoplay"), r.get("wrangler")
        ok = iso and wr and "error" not in iso and "error" not in wr
        ratio = f"{wr['p50_ms'] / iso['p50_ms']:.1f}x" if ok else "-"  # type: ignore[index]
        if ok:
            both += 1
            met_first += iso["first_s"] <= FIRST_TARGET_S  # type: ignore[index]
            met_ratio += wr["p50_ms"] / iso["p50_ms"] >= P50_RATIO_TARGET  # type: ignore[index]
        out.append(f"| {r['project']} | {_fig(iso, 'first_s', '.2f')} | {_fig(iso, 'p50_ms', '.2f')} | "
                   f"{_fig(wr, 'first_s', '.2f')} | {_fig(wr, 'p50_ms', '.2f')} | {ratio} | {r.get('verdict', '-')} |")
    isos = [r["isoplay"] for r in rows if r.get("isoplay") and "error" not in r["isoplay"]]
    wrs = [r["wrangler"] for r in rows if r.get("wrangler") and "error" not in r["wrangler"]]
    if isos:
        out.append(f"| median | {statistics.median(m['first_s'] for m in isos):.2f} | "
                   f"{statistics.median(m['p50_ms'] for m in isos):.2f} | "
                   + (f"{statistics.median(m['first_s'] for m in wrs):.2f} | {statistics.median(m['p50_ms'] for m in wrs):.2f}"
                      if wrs else "- | -") + " | | |")
    if both:
        out.append(f"\nfirst response <= {FIRST_TARGET_S} s: {met_first}/{both} projects; "
                   f"warm p50 <= 1/{P50_RATIO_TARGET:g} of wrangler dev's: {met_ratio}/{both} projects")
    return "\n".join(out)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
