"""Hand-made uploads to a real ``isoplay serve`` process: natives syntax, memory and WebAssembly attacks.

The server evaluates an uploaded script as it arrives, without esbuild in
between. Before issue 13, a script calling ``%AbortJS("x")`` killed the whole
process (SIGTRAP) on its first request; now none of these uploads can stop it,
and an honest app on the same server keeps answering.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from isolate_harness import MB, ServeProcess, handler_script, raw_bundle, rss_bytes

HONEST = handler_script("return 'honest';")


@pytest.fixture(scope="module")
def serve(tmp_path_factory: pytest.TempPathFactory, tools: object) -> Iterator[ServeProcess]:
    server = ServeProcess(Path(tmp_path_factory.mktemp("serve-attacks"))).start()
    try:
        uploaded = server.upload(raw_bundle(HONEST, name="honest"))
        assert uploaded.status_code == 201, uploaded.text
        assert server.get("/honest/").text == "honest"
        yield server
    finally:
        code = server.stop()
        assert code == 0, f"isoplay serve exited with {code}"


def _attack(serve: ServeProcess, name: str, code: str, **limits: int) -> int:
    uploaded = serve.upload(raw_bundle(code, name=name, **limits))
    assert uploaded.status_code in (201, 400), uploaded.text
    status = serve.get(f"/{name}/").status_code if uploaded.status_code == 201 else 400
    assert serve.alive, f"the server died after {name}"
    assert serve.get("/honest/").text == "honest"
    return status


@pytest.mark.parametrize(("name", "code"), [
    pytest.param("abort-top", handler_script("return 1;", top='%AbortJS("x");'), id="AbortJS-at-top-level"),
    pytest.param("abort-handler", handler_script('return %AbortJS("x");'), id="AbortJS-in-handler"),
    pytest.param("systembreak", handler_script("%SystemBreak(); return 1;"), id="SystemBreak"),
    pytest.param("optstatus", handler_script("return %GetOptimizationStatus(Math.max);"), id="GetOptimizationStatus"),
    pytest.param("evalnatives", handler_script('return eval("%AbortJS(1)");'), id="natives-through-eval"),
])
def test_natives_syntax_in_an_upload_cannot_stop_the_server(serve: ServeProcess, name: str, code: str) -> None:
    assert _attack(serve, name, code) >= 400


def test_a_memory_attack_upload_is_stopped_and_the_server_memory_comes_back(serve: ServeProcess) -> None:
    assert serve.proc is not None
    before = rss_bytes(serve.proc.pid)
    code = handler_script("const k = []; for (let i = 0; i < 8; i++) k.push(new Uint8Array(64 * 2**20).fill(1));"
                          " return k.length;")
    assert _attack(serve, "memhog", code, memory_mb=128, timeout_ms=20000) >= 500
    code = handler_script("const k = []; for (let i = 0; i < 4; i++) { const m = new WebAssembly.Memory({ initial: 1024 });"
                          " new Uint8Array(m.buffer).fill(1); k.push(m); } return k.length;")
    assert _attack(serve, "wasmhog", code, memory_mb=128, timeout_ms=20000) >= 500
    assert rss_bytes(serve.proc.pid) - before < 300 * MB


def test_webassembly_compiled_at_run_time_in_an_upload_is_refused(serve: ServeProcess) -> None:
    code = handler_script("new WebAssembly.Module(new Uint8Array([0, 97, 115, 109, 1, 0, 0, 0])); return 'compiled';")
    assert _attack(serve, "wasmgen", code) >= 500
