"""Shared parts of the attack suite: the CLI as a subprocess, a real ``isoplay serve`` process, raw uploads.

Everything here drives real processes and real sockets on 127.0.0.1 (port 0); nothing is mocked.
"""

from __future__ import annotations

import json
import os
import queue
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import httpx

REPO = Path(__file__).resolve().parents[2]
URL_RE = re.compile(r"isoplay serve: (http://127\.0\.0\.1:\d+)/")

HELLO_TS = 'export default { async fetch(req: Request, env: any) { return new Response("v=" + env.V); } };\n'


def cli_env(extra: dict[str, str] | None = None) -> dict[str, str]:
    """The environment for an ``isoplay`` subprocess: no inherited token or server, no keyring."""
    env = {k: v for k, v in os.environ.items() if k not in ("ISOPLAY_TOKEN", "ISOPLAY_SERVER")}
    env["PYTHON_KEYRING_BACKEND"] = "keyring.backends.fail.Keyring"
    env.update(extra or {})
    return env


def isoplay(*args: str, timeout: float = 120, extra_env: dict[str, str] | None = None,
            stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    """Run ``python -m app ARGS`` (the real CLI) to completion."""
    return subprocess.run([sys.executable, "-m", "app", *args], capture_output=True, text=True, cwd=REPO,
                          env=cli_env(extra_env), timeout=timeout, input=stdin)


def one_line_error(result: subprocess.CompletedProcess[str]) -> str:
    """The single ``isoplay: ...`` error line of a failed command (asserts exit code 1 and no traceback)."""
    assert result.returncode == 1, (result.returncode, result.stdout[-2000:], result.stderr[-2000:])
    assert "Traceback" not in result.stderr, result.stderr[-3000:]
    errors = [line for line in result.stderr.strip().splitlines() if line.startswith("isoplay: ")]
    assert len(errors) == 1 and result.stderr.rstrip().endswith(errors[0]), result.stderr[-3000:]
    return errors[0]


def write_project(root: Path, manifest: str | bytes, files: dict[str, str | bytes] | None = None) -> Path:
    """A project folder with ``isoplay.toml`` = ``manifest`` (bytes are written as they are) and sources."""
    root.mkdir(parents=True, exist_ok=True)
    data = manifest.encode("utf-8") if isinstance(manifest, str) else manifest
    (root / "isoplay.toml").write_bytes(data)
    for rel, text in (files or {"src/index.ts": HELLO_TS}).items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(text.encode("utf-8") if isinstance(text, str) else text)
    return root


def manifest_text(name: str = "app", version: str = "1.0.0", extra: str = "", var: str = "1") -> str:
    """A small valid isoplay.toml (var ``V``), with ``extra`` appended."""
    return f'name = "{name}"\nversion = "{version}"\nmain = "src/index.ts"\n\n[vars]\nV = "{var}"\n\n{extra}'


def _pump(stream: Any, into: queue.Queue[str]) -> None:
    for line in stream:
        into.put(line)


class ServeProcess:
    """A real ``isoplay serve`` subprocess on 127.0.0.1, port 0, with its own data folder.

    One serving process (``--workers 1``) unless ``args`` pass ``--workers``: the machine running the
    suite has few cores, and most attacks are about one process.
    """

    def __init__(self, data_dir: Path, *args: str) -> None:
        self.data_dir = data_dir
        self.args = args
        self.proc: subprocess.Popen[str] | None = None
        self.pump: threading.Thread | None = None
        self.url = ""
        self.lines: queue.Queue[str] = queue.Queue()
        self.stderr: list[str] = []

    def start(self, timeout: float = 60) -> ServeProcess:
        """Start the server and wait for its URL line."""
        workers = [] if any(a.startswith("--workers") for a in self.args) else ["--workers", "1"]
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "app", "serve", "--data", str(self.data_dir), "--port", "0", *workers, *self.args],
            cwd=REPO, env=cli_env(), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        self.pump = threading.Thread(target=_pump, args=(self.proc.stderr, self.lines), daemon=True)
        self.pump.start()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                line = self.lines.get(timeout=0.5)
            except queue.Empty:
                if self.proc.poll() is not None:
                    break
                continue
            self.stderr.append(line)
            match = URL_RE.search(line)
            if match:
                self.url = match.group(1)
                return self
        self.stop()
        raise AssertionError(f"isoplay serve did not start: {''.join(self.stderr)[-3000:]}")

    @property
    def port(self) -> int:
        """The port it listens on."""
        return int(self.url.rsplit(":", 1)[1])

    def kill9(self) -> None:
        """SIGKILL: no shutdown code runs."""
        assert self.proc is not None
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(timeout=30)
        self._close()

    def _close(self) -> None:
        if self.pump is not None:
            self.pump.join(timeout=10)
        if self.proc is not None and self.proc.stderr is not None:
            self.proc.stderr.close()

    def stop(self) -> None:
        """SIGTERM and wait (SIGKILL after 30 s)."""
        if self.proc is None:
            return
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=10)
        self._close()

    def client(self, token: str | None = None) -> httpx.Client:
        """An httpx client for this server (with the bearer token when given)."""
        headers = {"authorization": f"Bearer {token}"} if token else {}
        return httpx.Client(base_url=self.url, headers=headers, timeout=30)


def create_token_offline(data_dir: Path, name: str, *scope: str) -> str:
    """A token created with ``isoplay tokens create`` against the data folder (the server may be running).

    ``scope`` defaults to ``--role admin``; pass e.g. ``"--app", "hello"`` for a deploy token.
    """
    result = isoplay("tokens", "create", name, "--data", str(data_dir), *(scope or ("--role", "admin")))
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


def release(root: Path, name: str, version: str, *, var: str = "1", source: str = HELLO_TS, extra: str = "") -> Any:
    """A release bundle (real esbuild, minified) of a small app named ``name`` at ``version``."""
    from runtime.publish_client import build_release

    write_project(root / f"{name}-{version}-{abs(hash((var, source, extra)))}",
                  manifest_text(name, version, extra, var), {"src/index.ts": source})
    return build_release(root / f"{name}-{version}-{abs(hash((var, source, extra)))}")


def upload(client: httpx.Client, bundle: Any, app: str | None = None, **params: str) -> httpx.Response:
    """POST ``bundle`` as the publish client does."""
    from runtime.server.upload import encode_upload

    ctype, body = encode_upload(bundle)
    return client.post(f"/api/apps/{app or bundle.manifest.name}/versions", content=body,
                       headers={"content-type": ctype}, params=params)


def multipart(parts: list[tuple[str, bytes]], boundary: str = "isoplay-sec-boundary") -> tuple[str, bytes]:
    """A multipart/form-data body of (name, bytes) parts, framed as the publish client frames it."""
    chunks: list[bytes] = []
    for name, data in parts:
        chunks.append(f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n'.encode())
        chunks.append(data)
        chunks.append(b"\r\n")
    chunks.append(f"--{boundary}--\r\n".encode())
    return f"multipart/form-data; boundary={boundary}", b"".join(chunks)


def upload_parts(manifest: dict[str, Any] | bytes, code: str | bytes, sourcemap: str | bytes = '{"version":3}',
                 content_hash: str | None = None) -> list[tuple[str, bytes]]:
    """The three parts of an upload, from raw pieces (a hostile client builds them by hand)."""
    if isinstance(manifest, dict):
        from runtime.bundler import Bundle
        from runtime.manifest import parse_manifest

        if content_hash is None:
            try:
                bundle = Bundle(parse_manifest(manifest, "manifest"), code if isinstance(code, str) else "", "{}")
                content_hash = bundle.content_hash
            except Exception:  # noqa: BLE001 - an invalid manifest has no hash; the server refuses it first
                content_hash = "0" * 64
        meta = json.dumps({"manifest": manifest, "content_hash": content_hash}).encode()
    else:
        meta = manifest
    return [("manifest", meta), ("script", code.encode() if isinstance(code, str) else code),
            ("sourcemap", sourcemap.encode() if isinstance(sourcemap, str) else sourcemap)]


def raw_request(port: int, head: str, body: bytes = b"", timeout: float = 30) -> bytes:
    """Send one raw HTTP/1.1 request over a socket and return everything the server answers until it closes."""
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as sock:
        sock.sendall(head.encode("latin-1") + body)
        chunks = []
        while True:
            try:
                data = sock.recv(65536)
            except TimeoutError:
                break
            if not data:
                break
            chunks.append(data)
            if b"\r\n\r\n" in b"".join(chunks) and _complete(b"".join(chunks)):
                break
        return b"".join(chunks)


def _complete(data: bytes) -> bool:
    head, _, body = data.partition(b"\r\n\r\n")
    match = re.search(rb"(?i)content-length:\s*(\d+)", head)
    return bool(match) and len(body) >= int(match.group(1))
