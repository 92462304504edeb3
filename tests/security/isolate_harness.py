"""Helpers for the isolate attack tests: hand-made bundles (no esbuild in between) in real isolates,
and a real ``isoplay serve`` process to upload them to."""

from __future__ import annotations

import asyncio
import json
import os
import queue
import signal
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

import httpx

from runtime.bundler import Bundle
from runtime.invocation import HttpRequest, InvocationResult, RunTrigger, Trigger
from runtime.isolate import ScriptHost, ScriptIsolate
from runtime.manifest import parse_manifest

REPO = Path(__file__).resolve().parents[2]
MB = 1024 * 1024
EMPTY_MAP = json.dumps({"version": 3, "sources": [], "names": [], "mappings": ""})


def raw_bundle(code: str, *, name: str = "attack", version: str = "1.0.0", memory_mb: int = 128,
               timeout_ms: int = 3000, wasm: dict[str, bytes] | None = None, kv: tuple[str, ...] = ()) -> Bundle:
    """A bundle whose script is ``code`` exactly as given, the way a hand-made upload arrives."""
    manifest = parse_manifest({"name": name, "version": version, "main": "src/index.ts",
                               "limits": {"memory_mb": memory_mb, "timeout_ms": timeout_ms},
                               "kv_namespaces": [{"binding": b} for b in kv]})
    bundle = Bundle(manifest=manifest, code=code, sourcemap=EMPTY_MAP)
    if wasm is not None:
        object.__setattr__(bundle, "wasm_modules", wasm)
    return bundle


def handler_script(body: str, *, top: str = "") -> str:
    """A raw script whose default export's ``run(input)`` is ``body`` (an async function body)."""
    return f"{top}\nvar __isoplay_module = {{ default: {{ async run(input, env, ctx) {{ {body} }},\n" \
           f"  async fetch(request, env, ctx) {{ return new Response(String(await this.run(null, env, ctx))); }} }} }};\n"


def run_raw(code: str, trigger: Trigger | None = None, *, invocations: int = 1, kv_store: Any = None,
            **bundle_args: Any) -> tuple[list[InvocationResult], ScriptIsolate]:
    """Load ``code`` into a fresh real isolate and run ``trigger`` ``invocations`` times (closes it)."""

    async def go() -> tuple[list[InvocationResult], ScriptIsolate]:
        host = ScriptHost("attack", kv_store=kv_store)
        isolate = ScriptIsolate(raw_bundle(code, **bundle_args), host)
        try:
            results = [await isolate.invoke(trigger or RunTrigger(None)) for _ in range(invocations)]
        finally:
            isolate.close()
            await host.aclose()
        return results, isolate

    return asyncio.run(go())


def run_one(code: str, trigger: Trigger | None = None, **bundle_args: Any) -> InvocationResult:
    """The single result of ``run_raw``."""
    return run_raw(code, trigger, **bundle_args)[0][0]


def rss_bytes(pid: int | None = None) -> int:
    """Resident set size of a process (this one by default), from /proc."""
    with open(f"/proc/{pid or 'self'}/status", encoding="ascii") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    raise RuntimeError("no VmRSS")


class ServeProcess:
    """A real ``isoplay serve`` child process on 127.0.0.1 (port 0) with one API token."""

    def __init__(self, data: Path) -> None:
        self.data = data
        self.proc: subprocess.Popen[str] | None = None
        self.url = ""
        self.token = ""

    def start(self) -> ServeProcess:
        env = {k: v for k, v in os.environ.items() if k != "ISOPLAY_TOKEN"}
        created = subprocess.run([sys.executable, "-m", "app", "serve", "--data", str(self.data), "--create-token",
                                  "attacker"], capture_output=True, text=True, cwd=REPO, env=env, timeout=60)
        assert created.returncode == 0, created.stderr
        self.token = created.stdout.strip()
        self.proc = subprocess.Popen([sys.executable, "-m", "app", "serve", "--data", str(self.data), "--port", "0"],
                                     cwd=REPO, env=env, stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, text=True)
        lines: queue.Queue[str] = queue.Queue()

        def read() -> None:
            assert self.proc is not None and self.proc.stderr is not None
            for line in self.proc.stderr:
                lines.put(line)

        self._reader = threading.Thread(target=read, daemon=True)
        self._reader.start()
        banner = lines.get(timeout=60)
        assert banner.startswith("isoplay serve: http://127.0.0.1:"), banner
        self.url = banner.split()[2].rstrip("/")
        return self

    @property
    def alive(self) -> bool:
        """The process still runs and answers its health check."""
        if self.proc is None or self.proc.poll() is not None:
            return False
        return httpx.get(f"{self.url}/api/health", timeout=10).status_code == 200

    def upload(self, bundle: Bundle) -> httpx.Response:
        """POST ``bundle`` to the deploy API exactly as a hand-made client would."""
        from runtime.server.upload import encode_upload

        ctype, body = encode_upload(bundle)
        return httpx.post(f"{self.url}/api/apps/{bundle.manifest.name}/versions", content=body, timeout=60,
                          headers={"content-type": ctype, "authorization": f"Bearer {self.token}"})

    def get(self, path: str) -> httpx.Response:
        """A request to an app."""
        return httpx.get(f"{self.url}{path}", timeout=60)

    def stop(self) -> int | None:
        """SIGTERM and wait; the exit code (None if it had to be killed)."""
        if self.proc is None:
            return None
        proc, self.proc = self.proc, None
        code: int | None = proc.returncode
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                code = proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=10)
                code = None
        else:
            code = proc.returncode
        self._reader.join(timeout=10)
        if proc.stderr is not None:
            proc.stderr.close()
        return code


def http_trigger(path: str = "/") -> HttpRequest:
    """A GET request trigger."""
    return HttpRequest("GET", f"http://localhost{path}", (("host", "localhost"),))
