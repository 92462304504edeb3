"""Debugging one test of ``isoplay test``: breakpoints in the test and in the worker code it calls,
in a real debuggee process, over a real esbuild test build and real isolates."""

from __future__ import annotations

import pytest

from debugger.testing import TestSelection
from runtime.errors import BundleError
from runtime.invocation import RunTrigger

pytestmark = pytest.mark.timeout(90)

MANIFEST = 'name = "dbgtest"\nmain = "src/index.ts"\n\n[[kv_namespaces]]\nbinding = "KV"\n'
WORKER = """export default {
  async fetch(request: Request, env: { KV: KVNamespace }): Promise<Response> {
    const name = new URL(request.url).searchParams.get("name") ?? "world";
    const stored = await env.KV.get("greeting");
    const text = `${stored ?? "hello"}, ${name}`;
    return new Response(text);
  },
};
"""
TESTS = """import { env, SELF } from "cloudflare:test";
import { beforeAll, describe, expect, it } from "vitest";

beforeAll(() => env.KV.put("greeting", "hi"));

describe("greeter", () => {
  it("greets by name", async () => {
    const response = await SELF.fetch("https://x/?name=Ada");
    const body = await response.text();
    expect(body).toBe("hi, Ada");
  });
  it("fails on purpose", () => {
    const answer = 6 * 7;
    expect(answer).toBe(41);
  });
});
"""


@pytest.fixture
def project(make_project):  # type: ignore[no-untyped-def]
    return make_project({"src/index.ts": WORKER, "test/greeter.test.ts": TESTS}, MANIFEST)


def test_breakpoints_in_the_test_and_in_the_worker(project, debug_session) -> None:  # type: ignore[no-untyped-def]
    s = debug_session(project, RunTrigger(None), test=TestSelection("test/greeter.test.ts", "greeter > greets by name"))
    s.set_breakpoint("test/greeter.test.ts", 10)
    s.set_breakpoint("src/index.ts", 5)
    s.start()
    p = s.wait_paused(timeout=60)
    assert (p.reason, p.top.file, p.top.line) == ("breakpoint", "src/index.ts", 5)
    assert s.evaluate("name").preview == '"Ada"'
    assert s.evaluate("stored").preview == '"hi"'  # beforeAll ran first, in the test's KV
    s.resume()
    p = s.wait_paused()
    assert (p.top.file, p.top.line) == ("test/greeter.test.ts", 10)
    assert s.evaluate("body").preview == '"hi, Ada"'
    s.resume()
    exited = s.wait_exited()
    assert exited.status == "ok", exited
    assert exited.test is not None and exited.test["status"] == "pass"
    assert exited.test["fullName"] == "greeter > greets by name"


def test_a_failing_test_reports_its_assertion(project, debug_session) -> None:  # type: ignore[no-untyped-def]
    s = debug_session(project, RunTrigger(None), test=TestSelection("test/greeter.test.ts", "greeter > fails on purpose"))
    s.set_breakpoint("test/greeter.test.ts", 14)
    s.start()
    p = s.wait_paused(timeout=60)
    assert (p.top.file, p.top.line) == ("test/greeter.test.ts", 14)
    assert s.evaluate("answer").preview == "42"
    s.resume()
    # the failed assertion leaves the test function: it pauses there, as an uncaught exception does
    p = s.wait_paused()
    assert (p.reason, p.top.file, p.top.line) == ("exception", "test/greeter.test.ts", 14)
    s.resume()
    exited = s.wait_exited()
    assert exited.status == "error"
    assert exited.test is not None and exited.test["status"] == "fail"
    assert "expected 42 to be 41" in (exited.error or "")
    assert exited.test["errors"][0]["location"]["line"] == 14


def test_exception_breaks_off_runs_a_failing_test_through(project, debug_session) -> None:  # type: ignore[no-untyped-def]
    s = debug_session(project, RunTrigger(None), test=TestSelection("test/greeter.test.ts", "greeter > fails on purpose"),
                      break_on_uncaught=False)
    s.start()
    exited = s.wait_exited(timeout=60)
    assert exited.status == "error" and exited.test is not None and exited.test["status"] == "fail"


def test_an_unknown_test_and_a_broken_file_say_so(project, debug_session) -> None:  # type: ignore[no-untyped-def]
    s = debug_session(project, RunTrigger(None), test=TestSelection("test/greeter.test.ts", "greeter > nope"))
    s.start()
    exited = s.wait_exited(timeout=60)
    assert exited.status == "error" and "no test named 'greeter > nope'" in (exited.error or "")

    (project / "test" / "greeter.test.ts").write_text(TESTS.replace("const answer = 6 * 7;", "const answer = 6 *;"))
    broken = debug_session(project, RunTrigger(None), test=TestSelection("test/greeter.test.ts", "greeter > fails on purpose"))
    with pytest.raises(BundleError) as info:
        broken.start()
    location = info.value.diagnostics[0].location
    assert (location.file, location.line) == ("test/greeter.test.ts", 13)
