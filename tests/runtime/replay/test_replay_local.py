"""Record an invocation in a real isolate and replay it: same response and logs, divergence found."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

sys.path.insert(0, str(Path(__file__).parent))
from replay_app import SECRET, SOURCE, VAR, manifest, upstream  # noqa: E402

from runtime.bundler import Bundle, bundle
from runtime.invocation import HttpRequest, RunTrigger
from runtime.isolate import ScriptIsolate
from runtime.kv.store import KVStore
from runtime.project import Project
from runtime.replay import Recording, RecordingFormatError, Redactor, replay
from runtime.runner import host_for


@pytest.fixture(scope="module")
def up() -> Iterator[str]:
    with upstream() as address:
        yield address


async def _record(root: Path, trigger: Any, *, kv: dict[str, str] | None = None) -> tuple[Recording, Any, Bundle]:
    project = Project.open(root)
    built = await bundle(project.root, manifest=project.manifest())
    store = KVStore(project.kv_path)
    for key, value in (kv or {}).items():
        store.namespace("KV").put(key, value)
    host = host_for(project, built, store)
    isolate = ScriptIsolate(built, host)
    isolate.record = True
    try:
        result = await isolate.invoke(trigger)
    finally:
        isolate.close()
        await host.aclose()
        store.close()
    redactor = Redactor(host.secrets, built.manifest.vars)
    rec = result.recording.to_recording(result, bundle_hash=built.content_hash, app="shop", redactor=redactor)
    return Recording.from_jsonl(rec.to_jsonl()), result, built


def _shop(make_project: Any, up: str, source: str = SOURCE) -> Path:
    root = make_project({"src/index.ts": source, ".dev.vars": f'API_TOKEN="{SECRET}"\n'}, manifest(up))
    return root


async def test_replay_gives_the_same_response_and_logs_without_touching_kv_or_network(make_project: Any, up: str) -> None:
    root = _shop(make_project, up)
    rec, live, built = await _record(root, HttpRequest("GET", "http://localhost/ok?id=1"), kv={"user:1": "ada"})
    assert live.outcome == "ok", live.error
    out = json.loads(live.body)
    assert out["user"] == "ada" and out["order"] == ["a", "b"] and out["auth"] == f"Bearer {SECRET}"
    # what entered the isolate is in the recording, in order
    ops = [op[1] for step in rec.steps for op in step.get("ops", [])]
    assert ops == ["kv.get", "fetch"]
    kinds = [entry[0] for step in rec.steps for entry in step.get("tape", [])]
    assert {"c", "r", "m", "p"} <= set(kinds)
    # the KV value changes and the upstream answers differently now: the replay still uses the recorded ones
    store = KVStore(Project.open(root).kv_path)
    store.namespace("KV").put("user:1", "grace")
    store.close()
    again = await replay(rec, built, secrets={"API_TOKEN": SECRET})
    assert again.divergence is None and again.warnings == []
    assert again.result is not None
    assert again.result.body == live.body  # byte for byte: random UUID, Math.random, clock, timers, fetch
    assert again.result.headers == live.headers and again.result.status == live.status
    assert [(e.level, e.time, e.message) for e in again.result.logs] == [(e.level, e.time, e.message) for e in live.logs]
    assert again.differences() == []


async def test_a_failure_replays_with_the_same_error_at_the_same_line(make_project: Any, up: str) -> None:
    root = _shop(make_project, up)
    rec, live, built = await _record(root, HttpRequest("GET", "http://localhost/fail?id=1"), kv={"user:1": "ada"})
    assert live.outcome == "error" and live.error.summary().startswith("src/index.ts:20:13: Error: failed for ada at ")
    assert rec.failed and rec.result["error"]["where"] == "src/index.ts:20:13"
    again = await replay(rec, built, secrets={"API_TOKEN": SECRET})
    assert again.result is not None and again.result.error is not None
    assert again.result.error.summary() == live.error.summary()
    assert again.differences() == []


async def test_secrets_and_vars_never_appear_in_a_recording(make_project: Any, up: str) -> None:
    root = _shop(make_project, up)
    rec, live, built = await _record(root, HttpRequest("GET", "http://localhost/ok?id=1",
                                                       (("authorization", f"Bearer {SECRET}"),)), kv={"user:1": "ada"})
    assert SECRET.encode() in live.body and VAR in live.logs[0].message  # the live run saw them
    text = rec.to_jsonl()
    assert SECRET not in text and VAR not in text
    assert "<isoplay:secret:API_TOKEN>" in text and "<isoplay:var:SHOWN>" in text
    assert "<isoplay:secret:API_TOKEN>" in rec.redacted
    # without the secret locally, the replay runs on its placeholder, consistently, and says so
    again = await replay(rec, built)
    assert again.divergence is None and again.differences() == []
    assert any("API_TOKEN" in w for w in again.warnings)


async def test_a_changed_kv_key_is_reported_at_its_line(make_project: Any, up: str) -> None:
    root = _shop(make_project, up)
    rec, _, _ = await _record(root, HttpRequest("GET", "http://localhost/ok?id=1"), kv={"user:1": "ada"})
    (root / "src/index.ts").write_text(SOURCE.replace('env.KV.get("user:" + id)', 'env.KV.get("member:" + id)'))
    project = Project.open(root)
    changed = await bundle(project.root, manifest=project.manifest())
    again = await replay(rec, changed, secrets={"API_TOKEN": SECRET})
    assert again.result is None and again.divergence is not None
    div = again.divergence
    assert str(div.where) == "src/index.ts:6:31"
    assert '"key":"user:1"' in div.recorded and '"key":"member:1"' in div.asked
    assert "content hash" in again.warnings[0]
    assert str(div).startswith("replay diverged at src/index.ts:6:31")


async def test_asking_for_other_randomness_is_a_divergence_in_the_prelude_tape(make_project: Any, up: str) -> None:
    root = _shop(make_project, up)
    rec, _, _ = await _record(root, HttpRequest("GET", "http://localhost/ok?id=1"), kv={"user:1": "ada"})
    (root / "src/index.ts").write_text(SOURCE.replace("const roll = Math.random();",
                                                      "const roll = crypto.getRandomValues(new Uint8Array(4))[0];"))
    project = Project.open(root)
    changed = await bundle(project.root, manifest=project.manifest())
    again = await replay(rec, changed, secrets={"API_TOKEN": SECRET})
    div = again.divergence
    assert div is not None and div.where is not None and div.where.line == 9
    assert div.recorded.startswith("Math.random() = ") and div.asked == "4 random bytes"


async def test_a_timed_out_invocation_replays_to_the_same_limit(make_project: Any) -> None:
    root = make_project({"src/index.ts": """
export default {
  async run(input: any, env: any) {
    const n = await env.KV.get("n");
    console.log("got", n, Date.now());
    while (true) { Math.random(); }
  },
};"""}, 'name = "loop"\nmain = "src/index.ts"\nkv_namespaces = [{ binding = "KV" }]\n[limits]\ntimeout_ms = 300\n')
    rec, live, built = await _record(root, RunTrigger({"x": 1}), kv={"n": "7"})
    assert live.outcome == "timeout" and rec.partial
    again = await replay(rec, built)
    assert again.divergence is None and again.result is not None
    assert again.result.outcome == "timeout" and again.result.limit == "timeout_ms"
    assert [e.message for e in again.result.logs] == [e.message for e in live.logs]


def test_recording_files_that_are_not_ones_say_why() -> None:
    with pytest.raises(RecordingFormatError, match="line 1: not an isoplay recording"):
        Recording.from_jsonl('{"format": "other"}\n')
    with pytest.raises(RecordingFormatError, match="version 9; this isoplay reads version 1"):
        Recording.from_jsonl('{"format": "isoplay-recording", "version": 9}\n')
    with pytest.raises(RecordingFormatError, match="line 2:2: not JSON"):
        Recording.from_jsonl('{"format": "isoplay-recording", "version": 1}\n{oops\n')
    head = '{"format":"isoplay-recording","version":1,"bundle_hash":"x","trigger":{"kind":"run"}}\n'
    with pytest.raises(RecordingFormatError, match="no result line"):
        Recording.from_jsonl(head + '{"step":{"cross":"invoke"}}\n')
    with pytest.raises(RecordingFormatError, match="not UTF-8"):
        Recording.from_jsonl(b"\xff\xfe")


async def test_isoplay_run_record_writes_a_recording_that_replays(make_project: Any, up: str) -> None:
    from runtime.runner import run_once

    root = _shop(make_project, up)
    store = KVStore(Project.open(root).kv_path)
    store.namespace("KV").put("user:2", "grace")
    store.close()
    result = await run_once(root, HttpRequest("GET", "http://localhost/ok?id=2"), record=True)
    rec = result.recording
    assert isinstance(rec, Recording) and rec.app == "shop" and SECRET not in rec.to_jsonl()
    project = Project.open(root)
    again = await replay(Recording.from_jsonl(rec.to_bytes()), await bundle(project.root, manifest=project.manifest()),
                         secrets=project.secrets())
    assert again.result is not None and again.result.body == result.body and again.differences() == []
