"""The debug path: a debuggee process lifts the eval ban (evaluate-in-frame needs it), so natives
syntax typed or evaluated there must still not parse, and the session must survive it."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from debugger.session import DebugSession
from runtime.invocation import HttpRequest

pytestmark = pytest.mark.timeout(90)

SOURCE = """export default {
  async fetch(request: Request): Promise<Response> {
    const n = 41;
    return new Response(String(n + 1));
  },
};
"""


@pytest.fixture
def session(make_project) -> Iterator[DebugSession]:  # type: ignore[no-untyped-def]
    root: Path = make_project({"src/index.ts": SOURCE})
    s = DebugSession(root, HttpRequest("GET", "http://localhost/"))
    try:
        yield s
    finally:
        s.stop()


@pytest.mark.parametrize("expression", [
    '%AbortJS("x")',
    "%SystemBreak()",
    'eval("%AbortJS(1)")',
    'new Function("return %GetOptimizationStatus(1)")()',
])
def test_natives_syntax_in_a_debug_evaluation_is_a_syntax_error(session: DebugSession, expression: str) -> None:
    session.set_breakpoint("src/index.ts", 4)
    session.start()
    session.wait_paused()
    value = session.evaluate(expression)
    assert value.error, value
    assert "SyntaxError" in value.preview or "Unexpected token" in value.preview, value
    assert session.evaluate("n + 1").preview == "42"  # the debuggee is alive and still paused
    session.resume()
    exited = session.wait_exited()
    assert exited.status == "ok" and exited.result is not None and exited.result["body"] == "42"
