"""Positions and locals at an uncaught exception: the same file:line:column as a normal run, block locals kept."""

from __future__ import annotations

from pathlib import Path

import pytest

from debugger.session import DebugSession
from runtime.invocation import HttpRequest
from runtime.service import ProjectRuntime

pytestmark = pytest.mark.timeout(90)

THROWING = """export default {
  async fetch(request: Request): Promise<Response> {
    const url = new URL(request.url);
    const key = url.pathname.slice(1);
    if (key === "boom") {
      const value = { a: 1 };
      throw new Error("no such key: " + key + String(value.a));
    }
    return new Response("ok " + key);
  },
};
"""


def run_normally(root: Path, path: str = "/boom") -> str:
    import asyncio

    async def go() -> str:
        runtime = ProjectRuntime(root)
        await runtime.start()
        try:
            result = await runtime.invoke(HttpRequest("GET", "http://localhost" + path))
        finally:
            await runtime.stop()
        assert result.error is not None
        return result.error.stack

    return asyncio.run(go())


def test_an_uncaught_throw_reports_the_same_column_as_a_normal_run_and_keeps_block_locals(
        make_project, debug_session) -> None:  # type: ignore[no-untyped-def]
    root = make_project({"src/index.ts": THROWING})
    before = run_normally(root)
    assert "(src/index.ts:7:13)" in before
    session: DebugSession = debug_session(root, HttpRequest("GET", "http://localhost/boom"))
    session.start()
    paused = session.wait_paused()
    assert (paused.reason, paused.top.line, paused.top.column) == ("exception", 7, 13)
    scopes = session.scopes(0)
    local = {v.name: v.value.preview for v in scopes.locals}
    assert local["url"].startswith("URL") and local["key"] == '"boom"' and local["value"] == "{a: 1}"
    assert session.evaluate("url.pathname + key.length").preview == '"/boom4"'
    session.resume()
    exited = session.wait_exited()
    assert exited.status == "error"
    assert exited.error is not None and exited.error.startswith("src/index.ts:7:13: Error: no such key: boom1")
    assert exited.result is not None and "(src/index.ts:7:13)" in exited.result["error"]["stack"]
    assert "7:13:" in exited.result["error"]["message"]
    assert run_normally(root) == before


def test_a_throw_in_a_function_without_calls_still_shows_its_parameters(make_project, debug_session) -> None:  # type: ignore[no-untyped-def]
    root = make_project({"src/index.ts": (
        "function check(n: number): number {\n  if (n > 1) throw new RangeError('too big ' + n);\n  return n;\n}\n"
        "export default {\n  async fetch(request: Request): Promise<Response> {\n"
        "    const size = request.url.length;\n    return new Response(String(check(size)));\n  },\n};\n")})
    normal = run_normally(root, "/")
    assert "(src/index.ts:2:20)" in normal and "(src/index.ts:8:32)" in normal
    session: DebugSession = debug_session(root, HttpRequest("GET", "http://localhost/"))
    session.start()
    paused = session.wait_paused()
    assert (paused.reason, paused.top.function, paused.top.line, paused.top.column) == ("exception", "check", 2, 20)
    assert {v.name: v.value.preview for v in session.scopes(0).locals} == {"n": "17"}
    outer = {v.name: v.value.preview for v in session.scopes(1).locals}
    assert outer["size"] == "17"
    session.resume()
    exited = session.wait_exited()
    assert exited.result is not None and exited.result["error"]["stack"] == normal
