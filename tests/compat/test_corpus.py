"""The compatibility corpus through a real ``isoplay dev`` server (DevServer + HTTP front on 127.0.0.1).

Each project of tests/compat/projects/ is installed with ``npm ci`` (once per lock
hash, see corpus.py), copied to a temporary folder, served, and sent its
expect.json requests over real HTTP; every answer must match.
"""

from __future__ import annotations

import asyncio
import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest

import corpus

pytestmark = pytest.mark.timeout(300)


class _Echo(BaseHTTPRequestHandler):
    """The fetch-proxy project's upstream: echoes the request as JSON, or answers /status/N."""

    def _answer(self) -> None:
        length = int(self.headers.get("content-length") or 0)
        body = self.rfile.read(length).decode("utf-8", "replace") if length else ""
        path, _, query = self.path.partition("?")
        if path.startswith("/status/"):
            code = int(path.rsplit("/", 1)[1])
            self.send_response(code)
            self.send_header("content-length", "0")
            self.end_headers()
            return
        data = json.dumps({"method": self.command, "path": path, "query": query, "body": body,
                           "custom": self.headers.get("x-custom"), "forwarded": self.headers.get("x-forwarded-host")})
        raw = data.encode()
        self.send_response(200)
        self.send_header("content-type", "application/json")
        self.send_header("server", "echo/1")
        self.send_header("content-length", str(len(raw)))
        self.end_headers()
        self.wfile.write(raw)

    do_GET = do_POST = do_PUT = do_DELETE = _answer  # noqa: N815

    def log_message(self, *_args: Any) -> None:
        pass


@pytest.fixture(scope="module")
def upstream() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Echo)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/"
    server.shutdown()
    server.server_close()


@pytest.fixture(scope="session")
def runtime_features(tools) -> set[str]:  # type: ignore[no-untyped-def]
    """Features some projects need that other work may still be adding (probed, not assumed)."""
    from runtime.invocation import HttpRequest
    from runtime.runner import run_once

    features: set[str] = set()
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        (root / "isoplay.toml").write_text('name = "probe"\nmain = "p.ts"\n', encoding="utf-8")
        (root / "p.ts").write_text(
            "export default { async fetch() {\n"
            "  const k = await crypto.subtle.importKey('raw', new Uint8Array(16), { name: 'HMAC', hash: 'SHA-256' },"
            " false, ['sign', 'verify']);\n"
            "  const s = await crypto.subtle.sign('HMAC', k, new Uint8Array(3));\n"
            "  return new Response(String(new Uint8Array(s).length)); } };\n", encoding="utf-8")
        result = asyncio.run(run_once(root, HttpRequest("GET", "http://localhost/")))
        if result.ok and result.body == b"32":
            features.add("hmac")
    return features


async def _exercise(root: Path, steps: list[dict[str, Any]]) -> list[str]:
    from runtime.devserver import DevServer, make_socket, serve
    from runtime.service import ProjectRuntime

    runtime = ProjectRuntime(root)
    app = DevServer(runtime, watch=False)
    sock = make_socket("127.0.0.1", 0)
    port = sock.getsockname()[1]
    started, stop = asyncio.Event(), asyncio.Event()
    server = asyncio.get_running_loop().create_task(serve(app, sock, started=started, stop=stop))
    problems: list[str] = []
    try:
        await asyncio.wait_for(started.wait(), 60)
        if runtime.last_error is not None:
            return [f"build failed: {runtime.last_error}"]
        captured: dict[str, str] = {}
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=30, follow_redirects=False) as client:
            for step in steps:
                step = corpus.substitute(step, captured)
                method, _, target = step["request"].partition(" ")
                client.cookies.clear()  # every step sends only the cookies it names
                response = await client.request(method, target, headers=step.get("headers", {}),
                                                content=corpus.request_body(step))
                problems += corpus.check_response(step, response.status_code, dict(response.headers),
                                                  response.content, captured)
    finally:
        stop.set()
        await asyncio.wait_for(server, 30)
    return problems


@pytest.mark.parametrize("project", corpus.projects(), ids=lambda p: p.name)
def test_project_answers_as_expected(project: Path, tmp_path: Path, upstream: str, runtime_features: set[str],
                                     monkeypatch: pytest.MonkeyPatch) -> None:
    spec = corpus.spec(project)
    missing = set(spec.get("requires", [])) - runtime_features
    assert not missing, f"the runtime lacks {', '.join(sorted(missing))}, which this project needs"
    root = corpus.materialise(project, tmp_path / project.name)
    if spec.get("upstream"):
        with (root / ".dev.vars").open("a", encoding="utf-8") as fh:
            fh.write(f"\nUPSTREAM={upstream}\n")
    monkeypatch.delenv("CLOUDFLARE_ENV", raising=False)
    corpus.apply_d1_migrations(root, spec)
    problems = asyncio.run(_exercise(root, spec["requests"]))
    for env, steps in spec.get("environments", {}).items():
        monkeypatch.setenv("CLOUDFLARE_ENV", env)
        problems += [f"[env {env}] {p}" for p in asyncio.run(_exercise(root, steps))]
    assert not problems, "\n".join(problems)


def test_corpus_is_large_enough_and_pinned() -> None:
    found = corpus.projects()
    assert len(found) >= 25
    for project in found:
        lock = json.loads((project / "package-lock.json").read_text(encoding="utf-8"))
        declared = json.loads((project / "package.json").read_text(encoding="utf-8")).get("dependencies", {})
        for name, version in declared.items():
            assert lock["packages"][f"node_modules/{name}"]["version"] == version, (project.name, name)


@pytest.mark.parametrize("project", [p for p in corpus.projects() if corpus.spec(p).get("type_check")], ids=lambda p: p.name)
def test_project_type_checks_clean(project: Path, tmp_path: Path) -> None:
    from runtime.typecheck import check

    root = corpus.materialise(project, tmp_path / project.name)
    diags = asyncio.run(check(root))
    assert not diags, "\n".join(str(d) for d in diags)
