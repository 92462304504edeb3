"""isoplay test end to end on a fixture project: real isolates, real esbuild, real SQLite KV."""

from __future__ import annotations

import asyncio
import json
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from runtime.kv.store import KVStore
from runtime.testing import RunResult, TestRun
from runtime.testing.models import Event, FileCollected, FileFinished, FileStarted, TestFinished, TestResult
from runtime.testing.report import DefaultReporter, junit_xml


@pytest.fixture(scope="module")
def ran(tmp_path_factory: pytest.TempPathFactory, tools, copy_project) -> tuple[Path, RunResult, list[Event]]:  # type: ignore[no-untyped-def]
    root = copy_project("project", tmp_path_factory.mktemp("runner"))
    # The project's own local KV holds a key; tests must neither see it nor change the file.
    with KVStore(root / ".isoplay" / "kv.sqlite3") as store:
        store.namespace("KV").put("local-only", b"from the developer's local data")
    events: list[Event] = []
    result = asyncio.run(TestRun(root, emit=events.append, jobs=2).run())
    return root, result, events


def _by_name(result: RunResult) -> dict[str, TestResult]:
    return {f"{t.case.file}::{t.case.full_name}": t for f in result.files for t in f.tests}


def _line_of(root: Path, rel: str, marker: str) -> tuple[int, str]:
    for number, text in enumerate((root / rel).read_text().splitlines(), 1):
        if marker in text:
            return number, text
    raise AssertionError(marker)


def test_statuses(ran) -> None:  # type: ignore[no-untyped-def]
    _root, result, _events = ran
    tests = _by_name(result)
    passing = [k for k, t in tests.items() if t.status == "pass"]
    assert {k.split("::")[0] for k in passing} == {"test/pass.test.ts", "test/isolation.test.ts",
                                                   "test/fail.test.ts", "test/limits.test.ts"}
    for key, t in tests.items():
        if key.startswith(("test/pass.test.ts", "test/isolation.test.ts")):
            assert t.status in ("pass", "skip", "todo"), (key, [e.summary() for e in t.errors])
    assert tests["test/pass.test.ts::vitest API > is skipped"].status == "skip"
    assert tests["test/pass.test.ts::vitest API > is to do"].status == "todo"
    assert tests["test/pass.test.ts::vitest API > adds 2 + 5"].status == "pass"
    assert tests["test/fail.test.ts::passes after the failures"].status == "pass"
    assert tests["test/fail.test.ts::is expected to fail"].status == "pass"
    counts = result.counts()
    assert counts["fail"] == 6 and counts["skip"] == 1 and counts["todo"] == 1
    assert not result.ok


def test_failed_assertion_has_its_typescript_position_and_diff(ran) -> None:  # type: ignore[no-untyped-def]
    root, result, _events = ran
    t = _by_name(result)["test/fail.test.ts::fails an assertion"]
    assert t.status == "fail"
    err = t.errors[0]
    line, text = _line_of(root, "test/fail.test.ts", "ASSERT-FAIL")
    assert (err.at.file, err.at.line) == ("test/fail.test.ts", line)
    assert err.at.column == text.index(".toEqual") + 2  # V8 points at the called property, 1-based
    assert err.source_line == text
    assert err.name == "AssertionError" and "to deeply equal" in err.message
    plain = err.to_json()["diff"]
    assert "- Expected" in plain and "+ Received" in plain
    assert '-     "c",' in plain and '+     "b",' in plain
    assert "\x1b[32m" in err.diff and "\x1b[31m" in err.diff  # expected green, received red


def test_error_in_worker_points_into_the_worker(ran) -> None:  # type: ignore[no-untyped-def]
    root, result, _events = ran
    err = _by_name(result)["test/fail.test.ts::errors inside the worker"].errors[0]
    line, text = _line_of(root, "src/index.ts", "WORKER-THROW")
    assert (err.at.file, err.at.line, err.at.column) == ("src/index.ts", line, text.index("new Error") + 1)
    assert err.message == "boom from the worker"
    assert "test/fail.test.ts" in err.stack  # the test's frame is in the mapped stack too
    thrown = _by_name(result)["test/fail.test.ts::throws a non-error"].errors[0]
    assert "a plain string" in thrown.message


def test_kv_is_isolated_per_test_and_never_touches_local_data(ran) -> None:  # type: ignore[no-untyped-def]
    root, result, _events = ran
    tests = _by_name(result)
    assert tests["test/isolation.test.ts::writes a key"].status == "pass"
    assert tests["test/isolation.test.ts::does not see the first test's writes"].status == "pass"
    with KVStore(root / ".isoplay" / "kv.sqlite3") as store:
        ns = store.namespace("KV")
        assert [k.name for k in ns.list().keys] == ["local-only"]


def test_cache_api_is_isolated_per_test_and_never_touches_local_data(ran) -> None:  # type: ignore[no-untyped-def]
    root, result, _events = ran
    tests = _by_name(result)
    for name in ("writes to the Cache API", "does not see the earlier test's cache writes"):
        t = tests[f"test/isolation.test.ts::{name}"]
        assert t.status == "pass", [e.summary() for e in t.errors]
    assert not (root / ".isoplay" / "cache.sqlite3").exists()


def test_self_fetch_scheduled_event_and_fetch_mock(ran) -> None:  # type: ignore[no-untyped-def]
    _root, result, _events = ran
    tests = _by_name(result)
    for name in ("the worker through SELF > answers fetch with vars and KV",
                 "the worker through SELF > runs scheduled and event handlers",
                 "the worker through SELF > calls the handler directly with an execution context",
                 "vitest API > refuses fetches the manifest does not allow"):
        assert tests[f"test/pass.test.ts::{name}"].status == "pass", name
    assert tests["test/isolation.test.ts::mocks the worker's upstream fetch"].status == "pass"
    assert tests["test/isolation.test.ts::reports an unmatched request with the intercept to add"].status == "pass"


def test_timeouts_and_memory_are_reported_and_the_run_goes_on(ran) -> None:  # type: ignore[no-untyped-def]
    root, result, _events = ran
    tests = _by_name(result)
    hang = tests["test/limits.test.ts::waits forever on a timer"]
    assert hang.status == "fail" and hang.limit == "timeout_ms"
    assert "timed out in 300 ms" in hang.errors[0].message
    assert hang.errors[0].at.line == _line_of(root, "test/limits.test.ts", '"waits forever')[0]
    spin = tests["test/limits.test.ts::spins forever"]
    assert spin.status == "fail" and spin.limit == "timeout_ms"
    hog = tests["test/limits.test.ts::allocates past memory_mb"]
    assert hog.status == "fail" and hog.limit == "memory_mb" and "64 MB" in hog.errors[0].message
    for after in ("runs after a timeout", "runs in a new isolate after the spin", "runs after the memory limit"):
        assert tests[f"test/limits.test.ts::{after}"].status == "pass", after


def test_events_and_declaration_lines(ran) -> None:  # type: ignore[no-untyped-def]
    root, result, events = ran
    started = [e.file for e in events if isinstance(e, FileStarted)]
    assert sorted(started) == ["test/fail.test.ts", "test/isolation.test.ts", "test/limits.test.ts", "test/pass.test.ts"]
    collected = {e.file: e.cases for e in events if isinstance(e, FileCollected)}
    cases = {c.name: c for c in collected["test/fail.test.ts"]}
    assert cases["passes after the failures"].line == _line_of(root, "test/fail.test.ts", '"passes after')[0]
    finished = [e.result for e in events if isinstance(e, TestFinished)]
    assert len(finished) == sum(len(f.tests) for f in result.files)
    assert len([e for e in events if isinstance(e, FileFinished)]) == 4


def test_junit_is_valid_xml_with_the_counts(ran) -> None:  # type: ignore[no-untyped-def]
    _root, result, _events = ran
    doc = ET.fromstring(junit_xml(result))
    assert doc.tag == "testsuites" and doc.get("failures") == "6" and doc.get("tests") == "29"
    suites = {s.get("name"): s for s in doc.findall("testsuite")}
    failed = suites["test/fail.test.ts"].findall("testcase/failure")
    assert len(failed) == 3 and "src/index.ts:6" in "".join(f.text or "" for f in failed)
    assert len(doc.findall(".//skipped")) == 2


def test_default_reporter_prints_excerpt_caret_and_summary(ran, capsys) -> None:  # type: ignore[no-untyped-def]
    root, result, _events = ran
    reporter = DefaultReporter()
    for f in result.files:
        reporter.on_event(FileFinished(f))
    reporter.finish(result)
    out = capsys.readouterr().out
    line, text = _line_of(root, "test/fail.test.ts", "ASSERT-FAIL")
    assert f"❯ test/fail.test.ts:{line}:" in out
    caret_line = out.splitlines()[out.splitlines().index(f"    {line}| {text}") + 1]
    assert caret_line.endswith(" " * text.index(".toEqual") + " ^") or caret_line.rstrip().endswith("^")
    assert caret_line.index("^") - caret_line.index("|") - 2 == text.index(".toEqual") + 1
    assert "Tests  6 failed | 21 passed | 1 skipped | 1 todo (29)" in out
    assert "\x1b[" not in out  # not a terminal: no colour codes


def test_json_of_a_run_round_trips(ran) -> None:  # type: ignore[no-untyped-def]
    _root, result, _events = ran
    data = json.loads(json.dumps(result.to_json()))
    assert data["counts"] == {"pass": 21, "fail": 6, "skip": 1, "todo": 1}
    assert data["ok"] is False
