"""``debug``, ``load`` and ``publish`` on a wrangler-config project (wrangler.jsonc, [env.staging],
nodejs_compat, KV, a .wasm module): real isolates, real subprocesses, a real ``isoplay serve`` on 127.0.0.1."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

REPO = Path(__file__).resolve().parents[2]
ADD_WASM = bytes.fromhex("0061736d0100000001070160027f7f017f030201000707010361646400000a09010700200020016a0b")

CONFIG = """// wrangler.jsonc, as create-cloudflare writes it (comments and trailing commas)
{
  "name": "tools",
  "main": "src/index.ts",
  "compatibility_date": "2025-06-01",
  "compatibility_flags": ["nodejs_compat"],
  "vars": { "GREETING": "top" },
  "kv_namespaces": [{ "binding": "KV", "id": "kv-top" }],
  "env": {
    "staging": {
      "vars": { "GREETING": "staging" },
      "kv_namespaces": [{ "binding": "KV", "id": "kv-staging" }],
    },
  },
}
"""
SOURCE = """import { Buffer } from "node:buffer";
import add from "./add.wasm";

const { exports } = new WebAssembly.Instance(add, {}) as unknown as { exports: { add(a: number, b: number): number } };

export default {
  async fetch(request: Request, env: Env): Promise<Response> {
    const url = new URL(request.url);
    const hits = Number((await env.KV.get("hits")) ?? "0") + 1;
    await env.KV.put("hits", String(hits));
    const sum = exports.add(hits, 1);
    const encoded = Buffer.from(env.GREETING).toString("base64");
    return new Response(`${env.GREETING} ${url.pathname} ${sum} ${encoded}`);
  },
} satisfies ExportedHandler<Env>;
"""
BREAK_LINE = 12  # const encoded = ...


def isoplay(*args: str, env: dict[str, str] | None = None, timeout: float = 180) -> subprocess.CompletedProcess[str]:
    environ = {k: v for k, v in os.environ.items() if k not in ("ISOPLAY_TOKEN", "ISOPLAY_SERVER", "CLOUDFLARE_ENV")}
    environ["PYTHON_KEYRING_BACKEND"] = "keyring.backends.fail.Keyring"
    environ.update(env or {})
    return subprocess.run([sys.executable, "-m", "app", *args], capture_output=True, text=True, cwd=REPO,
                          env=environ, timeout=timeout)


@pytest.fixture
def project(tmp_path: Path, tools: object) -> Path:
    root = tmp_path / "tools"
    (root / "src").mkdir(parents=True)
    (root / "wrangler.jsonc").write_text(CONFIG, encoding="utf-8")
    (root / "src" / "index.ts").write_text(SOURCE, encoding="utf-8")
    (root / "src" / "add.wasm").write_bytes(ADD_WASM)
    return root


def test_debug_pauses_in_the_environment_and_maps_lines(project: Path, tmp_path: Path) -> None:
    script = tmp_path / "cmds.txt"
    script.write_text("p env.GREETING\np sum\nlocals\nc\n", encoding="utf-8")
    done = isoplay("debug", str(project), "--env", "staging", "--request", "GET /hi",
                   "--break", f"src/index.ts:{BREAK_LINE}", "--script", str(script), "--json")
    assert done.returncode == 0, done.stdout + done.stderr
    events = [json.loads(line) for line in done.stdout.splitlines() if line.strip()]
    paused = events[0]
    assert (paused["event"], paused["reason"], paused["file"], paused["line"]) == (
        "paused", "breakpoint", "src/index.ts", BREAK_LINE)
    assert events[1] == {"event": "value", "expr": "env.GREETING", "value": '"staging"', "type": "string"}
    assert events[2]["value"] == "2"  # the wasm module's add(hits=1, 1)
    assert events[3]["event"] == "locals" and events[3]["vars"]["hits"] == "1"
    assert events[-1]["event"] == "exited" and events[-1]["status"] == "ok"
    assert events[-1]["result"]["body"] == "staging /hi 2 c3RhZ2luZw=="


def test_load_runs_the_project_without_errors(project: Path) -> None:
    done = isoplay("load", str(project), "--env", "staging", "--request", "GET /", "-n", "60", "-c", "3", "--json")
    assert done.returncode == 0, done.stdout + done.stderr
    summary = json.loads(done.stdout)
    assert summary["count"] == 60 and summary["error_count"] == 0 and summary["errors"] == {}, summary


def test_publish_each_environment_to_a_real_serve(project: Path, tmp_path: Path) -> None:
    from runtime.server.sqlite_storage import SqliteDeploymentStorage
    from runtime.server.tokens import create_token
    from serve_process import ServeProcess

    data = tmp_path / "data"
    storage = SqliteDeploymentStorage.open(data)
    token = create_token(storage, "tests")
    storage.close()
    server = ServeProcess(["--data", str(data), "--port", "0"])
    try:
        top = isoplay("publish", str(project), "--server", server.url, env={"ISOPLAY_TOKEN": token})
        assert top.returncode == 0, top.stderr
        staged = isoplay("publish", str(project), "--env", "staging", "--server", server.url,
                         env={"ISOPLAY_TOKEN": token})
        assert staged.returncode == 0, staged.stderr
        assert "tools-staging@0.1.0 published" in staged.stdout + staged.stderr
        with httpx.Client(timeout=30) as client:
            assert client.get(f"{server.url}/tools/x").text == "top /x 2 dG9w"
            assert client.get(f"{server.url}/tools-staging/y").text == "staging /y 2 c3RhZ2luZw=="
            assert client.get(f"{server.url}/tools-staging/y").text.split()[2] == "3"  # its own KV
            assert client.get(f"{server.url}/tools/x").text.split()[2] == "3"
            versions = client.get(f"{server.url}/api/apps", headers={"authorization": f"Bearer {token}"}).json()
        names = {app["name"] for app in (versions["apps"] if isinstance(versions, dict) else versions)}
        assert {"tools", "tools-staging"} <= names
    finally:
        assert server.stop() == 0
