"""Recordings on a real ``isoplay serve``: a failure is kept, listed, downloaded and replayed locally."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "runtime" / "replay"))
from replay_app import SOURCE, VAR, manifest, upstream  # noqa: E402
from serve_process import REPO, ServeProcess  # noqa: E402


def isoplay(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "app", *args], cwd=cwd or REPO, capture_output=True, text=True,
                          timeout=180)


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory, tools: Any) -> Iterator[dict[str, Any]]:
    base = tmp_path_factory.mktemp("recordings")
    data = base / "data"
    made = isoplay("tokens", "create", "root", "--data", str(data), "--role", "admin")
    assert made.returncode == 0, made.stderr
    token = made.stdout.strip()
    with upstream() as up:
        server = ServeProcess(["--data", str(data), "--port", "0", "--workers", "1", "--fetch-allow-loopback"])
        try:
            yield {"url": server.url, "token": token, "base": base, "up": up, "data": data}
        finally:
            server.stop()


def _publish(served: dict[str, Any], name: str, recordings: str = "") -> Path:
    root = served["base"] / name
    (root / "src").mkdir(parents=True, exist_ok=True)
    (root / "src/index.ts").write_text(SOURCE, encoding="utf-8")
    (root / "isoplay.toml").write_text(manifest(served["up"], name=name, recordings=recordings), encoding="utf-8")
    done = isoplay("publish", str(root), "--server", served["url"], "--token", served["token"])
    assert done.returncode == 0, done.stderr
    return root


def _listed(served: dict[str, Any], app: str) -> list[dict[str, Any]]:
    out = isoplay("recordings", app, "--server", served["url"], "--token", served["token"], "--json")
    assert out.returncode == 0, out.stderr
    return list(json.loads(out.stdout)["recordings"])


def test_a_failure_is_recorded_on_the_server_and_replays_locally(served: dict[str, Any]) -> None:
    root = _publish(served, "shop")
    with httpx.Client(base_url=served["url"], timeout=30) as http:
        assert http.get("/shop/seed?id=1&name=ada").text == "seeded"
        ok = http.get("/shop/ok?id=1")
        assert ok.status_code == 200 and ok.json()["user"] == "ada"
        failed = http.get("/shop/fail?id=1")
        assert failed.status_code == 500
    listed = _listed(served, "shop")
    assert [r["outcome"] for r in listed] == ["error"]  # failures always, nothing else sampled by default
    rec = listed[0]
    assert rec["what"].endswith("/fail?id=1") and "failed for ada" in rec["error"]
    # download it, as a user would, and replay it in the project's folder
    out = root / "fail.isorec"
    got = isoplay("recordings", "shop", "--server", served["url"], "--token", served["token"],
                  "--get", rec["id"], "-o", str(out))
    assert got.returncode == 0, got.stderr
    text = out.read_text(encoding="utf-8")
    assert VAR not in text and served["up"] not in text  # the manifest's vars are redacted
    replayed = isoplay("replay", str(out), str(root), "--json")
    report = json.loads(replayed.stdout)
    assert replayed.returncode == 0, (report, replayed.stderr)
    assert report["identical"] and report["differences"] == [] and report["divergence"] is None
    assert report["warnings"] == []  # the local (minified, as published) build is the recorded bundle
    assert report["result"]["error"]["message"].startswith("src/index.ts:20:")
    assert "Error: failed for ada at " in report["result"]["error"]["message"]
    recorded = json.loads(text.splitlines()[-1])["result"]
    logs = report["result"]["logs"]
    assert [log["message"].replace(VAR, "<isoplay:var:SHOWN>") for log in logs] == [m for _, _, m in recorded["logs"]]
    assert [log["time"] for log in logs] == [t for _, t, _ in recorded["logs"]]
    # by id from the server: same result
    by_id = isoplay("replay", rec["id"], str(root), "--server", served["url"], "--token", served["token"], "--json")
    assert by_id.returncode == 0, by_id.stdout + by_id.stderr
    assert json.loads(by_id.stdout)["result"]["error"] == report["result"]["error"]


def test_a_changed_source_diverges_at_its_line_when_replaying_a_server_recording(served: dict[str, Any]) -> None:
    root = _publish(served, "shop2")
    with httpx.Client(base_url=served["url"], timeout=30) as http:
        http.get("/shop2/seed?id=1")
        assert http.get("/shop2/fail?id=1").status_code == 500
    rec = _listed(served, "shop2")[0]
    src = root / "src/index.ts"
    src.write_text(SOURCE.replace('env.KV.get("user:" + id)', 'env.KV.get("member:" + id)'), encoding="utf-8")
    # the local build no longer matches: with the server at hand, the recorded bundle replays ...
    same = isoplay("replay", rec["id"], str(root), "--server", served["url"], "--token", served["token"])
    assert same.returncode == 0, same.stderr
    assert "differs from the recorded bundle" in same.stderr
    # ... and from a file, the local code replays and diverges where it changed
    path = root / "r.isorec"
    isoplay("recordings", "shop2", "--server", served["url"], "--token", served["token"], "--get", rec["id"],
            "-o", str(path))
    diverged = isoplay("replay", str(path), str(root))
    assert diverged.returncode == 1
    assert "replay diverged at src/index.ts:6:31" in diverged.stderr
    assert '"key":"user:1"' in diverged.stderr and '"key":"member:1"' in diverged.stderr


def test_sampling_and_the_ring_bound_on_the_server(served: dict[str, Any]) -> None:
    _publish(served, "ring", recordings="sample = 1.0\nmax_count = 3")
    with httpx.Client(base_url=served["url"], timeout=30) as http:
        for n in range(6):
            assert http.get(f"/ring/ok?id={n}").status_code == 200
    listed = _listed(served, "ring")
    assert len(listed) == 3
    assert [r["what"].rsplit("=", 1)[1] for r in listed] == ["5", "4", "3"]  # the newest three


def test_recordings_are_scoped_by_token(served: dict[str, Any]) -> None:
    _publish(served, "mine")
    made = isoplay("tokens", "create", "other", "--data", str(served["data"]), "--app", "someone-else")
    assert made.returncode == 0, made.stderr
    with httpx.Client(base_url=served["url"], timeout=30) as http:
        assert http.get("/api/apps/mine/recordings").status_code == 401
        refused = http.get("/api/apps/mine/recordings", headers={"authorization": f"Bearer {made.stdout.strip()}"})
        assert refused.status_code == 403 and "may not act on app 'mine'" in refused.text
        missing = http.get("/api/apps/mine/recordings/nope", headers={"authorization": f"Bearer {served['token']}"})
        assert missing.status_code == 404


STREAMED = """
export default {
  async fetch(request: Request) {
    const enc = new TextEncoder();
    const { readable, writable } = new TransformStream();
    const writer = writable.getWriter();
    (async () => {
      for (let i = 0; i < 4; i++) {
        await new Promise((r) => setTimeout(r, 2));
        console.log("part", i);
        await writer.write(enc.encode(`${i} ${Date.now()} ${crypto.randomUUID()} ${"y".repeat(3000)}\\n`));
      }
      await writer.close();
    })();
    return new Response(readable, { headers: { "content-type": "text/plain" } });
  },
};
"""


def test_a_streamed_response_is_recorded_on_the_server_and_replays_with_its_body(served: dict[str, Any]) -> None:
    root = served["base"] / "streams"
    (root / "src").mkdir(parents=True, exist_ok=True)
    (root / "src/index.ts").write_text(STREAMED, encoding="utf-8")
    (root / "isoplay.toml").write_text('name = "streams"\nmain = "src/index.ts"\n[recordings]\nsample = 1.0\n',
                                       encoding="utf-8")
    done = isoplay("publish", str(root), "--server", served["url"], "--token", served["token"])
    assert done.returncode == 0, done.stderr
    with httpx.Client(base_url=served["url"], timeout=30) as http, http.stream("GET", "/streams/") as answer:
        assert answer.status_code == 200
        assert answer.headers.get("transfer-encoding") == "chunked"  # streamed, not buffered
        sent = b"".join(answer.iter_bytes())
    assert sent.count(b"\n") == 4
    (listed,) = _listed(served, "streams")
    out = root / "streamed.isorec"
    got = isoplay("recordings", "streams", "--server", served["url"], "--token", served["token"],
                  "--get", listed["id"], "-o", str(out))
    assert got.returncode == 0, got.stderr
    recorded = json.loads(out.read_text(encoding="utf-8").splitlines()[-1])["result"]
    assert recorded["body"] == {"text": sent.decode()}
    replayed = isoplay("replay", str(out), str(root), "--json")
    report = json.loads(replayed.stdout)
    assert replayed.returncode == 0, (report, replayed.stderr)
    assert report["identical"] and report["differences"] == [] and report["divergence"] is None
    assert [log["message"] for log in report["result"]["logs"]] == [f"part {i}" for i in range(4)]


UPLOAD = """
export default {
  async fetch(request: Request) {
    const reader = request.body!.getReader();
    const sizes: number[] = [];
    let sum = 0;
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      sizes.push(value.length);
      for (let i = 0; i < value.length; i += 97) sum = (sum * 31 + value[i]!) >>> 0;
    }
    console.log("read", sizes.length, "pieces at", Date.now());
    return Response.json({ total: sizes.reduce((a, b) => a + b, 0), pieces: sizes.length, sum, id: crypto.randomUUID() });
  },
};
"""


def test_a_streamed_upload_is_recorded_on_the_server_and_replays_as_it_was_read(served: dict[str, Any]) -> None:
    # Uploads over 64 KiB, and chunked ones, stream into the isolate as they arrive. The recording keeps what
    # each read gave the script (up to 4 MiB read), so the replay reads the same pieces; past the cap the
    # invocation is not kept, and the recordings list says why.
    root = served["base"] / "uploads"
    (root / "src").mkdir(parents=True, exist_ok=True)
    (root / "src/index.ts").write_text(UPLOAD, encoding="utf-8")
    (root / "isoplay.toml").write_text('name = "uploads"\nmain = "src/index.ts"\n[recordings]\nsample = 1.0\n',
                                       encoding="utf-8")
    done = isoplay("publish", str(root), "--server", served["url"], "--token", served["token"])
    assert done.returncode == 0, done.stderr
    sized = bytes(range(256)) * 1200  # 307,200 bytes with a Content-Length: over 64 KiB, streamed in

    def chunked() -> Iterator[bytes]:  # no Content-Length: Transfer-Encoding: chunked
        for i in range(5):
            yield bytes([i]) * 50_000

    with httpx.Client(base_url=served["url"], timeout=60) as http:
        first = http.post("/uploads/sized", content=sized)
        assert first.status_code == 200 and first.json()["total"] == len(sized)
        second = http.post("/uploads/chunked", content=chunked())
        assert second.status_code == 200 and second.json()["total"] == 250_000
        big = http.post("/uploads/big", content=b"z" * (5 * 1024 * 1024))  # read whole: past the 4 MiB cap
        assert big.status_code == 200 and big.json()["total"] == 5 * 1024 * 1024
    out = isoplay("recordings", "uploads", "--server", served["url"], "--token", served["token"], "--json")
    assert out.returncode == 0, out.stderr
    listing = json.loads(out.stdout)
    kept = {r["what"].rsplit("/", 1)[1]: r for r in listing["recordings"]}
    assert sorted(kept) == ["chunked", "sized"]
    for name, answer in (("sized", first), ("chunked", second)):
        path = root / f"{name}.isorec"
        got = isoplay("recordings", "uploads", "--server", served["url"], "--token", served["token"],
                      "--get", kept[name]["id"], "-o", str(path))
        assert got.returncode == 0, got.stderr
        trigger = json.loads(path.read_text(encoding="utf-8").splitlines()[0])["trigger"]
        assert trigger["stream"]["length"] == (len(sized) if name == "sized" else None)
        assert sum(n for n in trigger["stream"]["reads"] if isinstance(n, int)) == answer.json()["total"]
        replayed = isoplay("replay", str(path), str(root), "--json")
        report = json.loads(replayed.stdout)
        assert replayed.returncode == 0, (report, replayed.stderr)
        assert report["identical"] and report["differences"] == [] and report["divergence"] is None
        assert json.loads(report["result"]["body"]) == answer.json()  # byte for byte: same pieces, same id
    (refused,) = listing["not_kept"]
    assert refused["what"].endswith("/big") and refused["status"] == 200
    assert "read past 4 MiB" in refused["reason"]
    text = isoplay("recordings", "uploads", "--server", served["url"], "--token", served["token"])
    assert text.returncode == 0, text.stderr
    assert "not kept: its request body was streamed in and read past 4 MiB" in text.stdout


def test_a_server_recorded_failure_shows_its_recorded_values_at_a_breakpoint_in_the_debugger(
        served: dict[str, Any]) -> None:
    from debugger.session import DebugSession
    from runtime.invocation import HttpRequest
    from runtime.replay import Recording

    root = _publish(served, "shopdbg")
    with httpx.Client(base_url=served["url"], timeout=30) as http:
        assert http.get("/shopdbg/seed?id=1&name=ada").text == "seeded"
        assert http.get("/shopdbg/fail?id=1").status_code == 500
    (rec_summary,) = _listed(served, "shopdbg")
    path = root / "dbg.isorec"
    got = isoplay("recordings", "shopdbg", "--server", served["url"], "--token", served["token"],
                  "--get", rec_summary["id"], "-o", str(path))
    assert got.returncode == 0, got.stderr
    rec = Recording.from_jsonl(path.read_bytes())
    # what the production run saw, as its log line and error message tell: the nonce, t0 and the price
    (log,) = [m for _, _, m in rec.result["logs"]]  # user ada price {...} nonce <uuid> var <placeholder>
    price = log.split(" price ", 1)[1].split(" nonce ", 1)[0]
    nonce = log.split(" nonce ", 1)[1].split(" var ", 1)[0]
    t0 = rec.result["error"]["message"].split(" at ", 1)[1].split(" with ", 1)[0]
    assert '"price"' in price and len(nonce) == 36 and t0.isdigit()
    session = DebugSession(root, HttpRequest(), recording=rec)
    session.set_breakpoint("src/index.ts", 19)  # if (url.pathname === "/fail")
    session.start()
    try:
        at = session.wait_paused(60)
        assert (at.top.file, at.top.line) == ("src/index.ts", 19)
        values = {name: session.evaluate(name) for name in ("nonce", "t0", "price", "user")}
        assert all(v.error is None for v in values.values()), values
        assert values["nonce"].preview == json.dumps(nonce) and values["t0"].preview == t0
        assert values["price"].preview == json.dumps(price) and values["user"].preview == '"ada"'
        session.resume()
        failure = session.wait_paused(60)  # the debugger stops at the failure, as it happened
        assert failure.top.line == 20 and failure.exception_text is not None
        assert f"failed for ada at {t0} with {price}" in failure.exception_text
        session.resume()
        exited = session.wait_exited(60) if session.exited is None else session.exited
    finally:
        session.stop()
    assert exited.status == "error"
