"""Replaying a recorded invocation under the debugger: recorded values at a breakpoint, Step Back, Reverse Continue."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "runtime" / "replay"))
from replay_app import SECRET, SOURCE, manifest, upstream  # noqa: E402

from debugger.session import DebugCommandError, DebugSession
from runtime.bundler import bundle
from runtime.invocation import HttpRequest
from runtime.isolate import ScriptIsolate
from runtime.kv.store import KVStore
from runtime.project import Project
from runtime.replay import Recording, Redactor
from runtime.runner import host_for


@pytest.fixture(scope="module")
def up() -> Iterator[str]:
    with upstream() as address:
        yield address


async def _record(root: Path, path: str) -> tuple[Recording, Any]:
    project = Project.open(root)
    built = await bundle(project.root, manifest=project.manifest())
    store = KVStore(project.kv_path)
    store.namespace("KV").put("user:1", "ada")
    host = host_for(project, built, store)
    isolate = ScriptIsolate(built, host)
    isolate.record = True
    try:
        result = await isolate.invoke(HttpRequest("GET", "http://localhost" + path))
    finally:
        isolate.close()
        await host.aclose()
        store.close()
    rec = result.recording.to_recording(result, bundle_hash=built.content_hash,
                                        redactor=Redactor(host.secrets, built.manifest.vars))
    return Recording.from_jsonl(rec.to_jsonl()), result


def _value(session: DebugSession, expr: str) -> str:
    value = session.evaluate(expr)
    assert value.error is None, value.error
    return value.preview


async def test_replay_in_the_debugger_shows_recorded_values_and_steps_back_across_an_await(
        make_project: Any, up: str) -> None:
    root = make_project({"src/index.ts": SOURCE, ".dev.vars": f'API_TOKEN="{SECRET}"\n'}, manifest(up))
    rec, live = await _record(root, "/ok?id=1")
    body = json.loads(live.body)
    session = DebugSession(root, HttpRequest(), recording=rec, secrets={"API_TOKEN": SECRET})
    session.set_breakpoint("src/index.ts", 11)
    session.start()
    try:
        at = session.wait_paused(30)
        assert (at.top.file, at.top.line) == ("src/index.ts", 11) and at.count is not None
        # the values the production run had, not new ones
        assert _value(session, "nonce") == json.dumps(body["nonce"])
        assert float(_value(session, "roll")) == body["roll"]
        assert int(_value(session, "t0")) == body["t0"]
        session.step_over()
        after = session.wait_paused(30)
        assert after.top.line == 12 and after.count == at.count + 1
        assert "price" in _value(session, "price")
        session.step_back()
        back = session.wait_paused(30)
        assert (back.top.line, back.count) == (11, at.count)
        assert float(_value(session, "roll")) == body["roll"]
        assert [f.line for f in back.stack] == [f.line for f in at.stack]
        session.step_back()  # across the await of line 10: before the fetch was made
        before = session.wait_paused(30)
        assert before.top.line == 10 and before.count == at.count - 1
        assert int(_value(session, "t0")) == body["t0"]
        # Reverse Continue: back to the last earlier statement with a breakpoint
        session.set_breakpoint("src/index.ts", 7)
        session.resume()
        again = session.wait_paused(30)
        assert again.top.line == 11  # forwards again, to the breakpoint
        session.reverse_continue()
        rc = session.wait_paused(30)
        assert rc.top.line == 7 and rc.count is not None and rc.count < again.count
        assert _value(session, "user") == '"ada"'
        for bp in session.breakpoints:
            session.remove_breakpoint(bp.id)
        session.resume()  # no breakpoint left: the replay runs to its end
        exited = session.wait_exited(30) if session.exited is None else session.exited
    finally:
        session.stop()
    assert exited.status == "ok" and exited.result is not None
    assert exited.result["body"] == live.body.decode()


def test_step_back_needs_a_replay(make_project: Any) -> None:
    root = make_project({"src/index.ts": 'export default { fetch() {\n  const a = 1;\n  return new Response(String(a));\n} };\n'})
    session = DebugSession(root, HttpRequest(), stop_on_entry=True)
    session.start()
    try:
        session.wait_paused(30)
        with pytest.raises(DebugCommandError, match="needs a replayed invocation"):
            session.step_back()
    finally:
        session.stop()
