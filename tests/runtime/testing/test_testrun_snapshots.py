"""Snapshot files (toMatchSnapshot, toThrowErrorMatchingSnapshot, toMatchFileSnapshot) in vitest's format:
written on the first run, compared on the next, updated with -u, refused on CI; real isolates and esbuild."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from runtime.testing import RunResult, TestRun
from runtime.testing.models import TestResult
from runtime.testing.snapshots import HEADER, escape, parse, render, unescape

MANIFEST = 'name = "snaps"\nmain = "src/index.ts"\n'
WORKER = 'export default { async fetch(req: Request) { return Response.json({ path: new URL(req.url).pathname, n: 1 }); } };\n'
TESTS = '''import { describe, it, expect } from "vitest";
import { SELF } from "cloudflare:test";

describe("api", () => {
  it("answers json", async () => {
    const body = await (await SELF.fetch("https://x/hello")).json();
    expect(body).toMatchSnapshot();
    expect("second `value` ${not} a template").toMatchSnapshot();
    expect({ nested: { list: [1, 2] } }).toMatchSnapshot("with hint");
  });
  it("throws", () => {
    expect(() => { throw new TypeError("bad input"); }).toThrowErrorMatchingSnapshot();
  });
  it("renders a page", async () => {
    await expect("<h1>GREETING</h1>\\n").toMatchFileSnapshot("./__files__/page.html");
  });
});
'''


def _write(root: Path, files: dict[str, str]) -> None:
    for rel, text in files.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text)


@pytest.fixture
def project(tmp_path: Path, tools) -> Path:  # type: ignore[no-untyped-def]
    root = tmp_path / "snaps"
    _write(root, {"isoplay.toml": MANIFEST, "src/index.ts": WORKER, "test/api.test.ts": TESTS})
    return root


def _run(root: Path, **options: object) -> RunResult:
    return asyncio.run(TestRun(root, jobs=1, snapshot_mode=options.pop("mode", "new"), **options).run())  # type: ignore[arg-type]


def _tests(result: RunResult) -> dict[str, TestResult]:
    return {t.case.full_name: t for f in result.files for t in f.tests}


def test_format_round_trips_and_escapes_like_vitest() -> None:
    entries = {"a > b 2": '"x"', "a > b 10": "\n{\n  \"k\": `q` ${y} \\\\n,\n}\n", "a > b 1": "1"}
    text = render(entries)
    assert text.startswith(HEADER + "\n\n")
    assert text.index("a > b 1`") < text.index("a > b 2`") < text.index("a > b 10`")  # natural order
    assert "\\`q\\` \\${y} \\\\\\\\n" in text
    assert parse(text) == entries
    assert unescape(escape("`${}\\")) == "`${}\\"
    with pytest.raises(ValueError, match="not a vitest snapshot file"):
        parse(text + "\nsomething else\n", "x.snap")


def test_first_run_writes_then_compares(project: Path) -> None:
    first = _run(project)
    assert first.ok, [e.summary() for t in _tests(first).values() for e in t.errors]
    snap = project / "test" / "__snapshots__" / "api.test.ts.snap"
    entries = parse(snap.read_text())
    assert set(entries) == {"api > answers json 1", "api > answers json 2", "api > answers json > with hint 1",
                            "api > throws 1"}
    assert entries["api > answers json 1"] == '\n{\n  "n": 1,\n  "path": "/hello",\n}\n'
    assert entries["api > answers json 2"] == '"second `value` ${not} a template"'
    assert entries["api > throws 1"] == "[TypeError: bad input]"
    assert (project / "test" / "__files__" / "page.html").read_text() == "<h1>GREETING</h1>\n"
    summary = first.snapshot_summary()
    assert (summary.written, summary.updated, summary.failed) == (5, 0, 0)

    second = _run(project)
    assert second.ok
    assert second.snapshot_summary().empty
    assert parse(snap.read_text()) == entries


def test_mismatch_fails_with_diff_and_position_then_update_rewrites(project: Path) -> None:
    assert _run(project).ok
    _write(project, {"src/index.ts": WORKER.replace("n: 1", "n: 2"),
                     "test/api.test.ts": TESTS.replace("GREETING", "WELCOME")})
    result = _run(project)
    tests = _tests(result)
    json_test = tests["api > answers json"]
    assert json_test.status == "fail"
    err = json_test.errors[0]
    assert "Snapshot `api > answers json 1` mismatched" in err.message
    assert err.at is not None and err.at.file == "test/api.test.ts" and err.at.line == 7
    plain = err.to_json()["diff"]
    assert '-   "n": 1,' in plain and '+   "n": 2,' in plain
    page = tests["api > renders a page"]
    assert page.status == "fail"
    assert "File snapshot test/__files__/page.html mismatched" in page.errors[0].message
    assert page.errors[0].at is not None and page.errors[0].at.line == 15
    assert "-<h1>GREETING</h1>" in page.errors[0].to_json()["diff"]
    assert tests["api > throws"].status == "pass"
    # nothing was rewritten by a failing run
    assert '"n": 1' in (project / "test" / "__snapshots__" / "api.test.ts.snap").read_text()
    assert (project / "test" / "__files__" / "page.html").read_text() == "<h1>GREETING</h1>\n"

    updated = _run(project, update_snapshots=True, mode=None)
    assert updated.ok
    assert updated.snapshot_summary().updated == 2
    assert '"n": 2' in (project / "test" / "__snapshots__" / "api.test.ts.snap").read_text()
    assert (project / "test" / "__files__" / "page.html").read_text() == "<h1>WELCOME</h1>\n"
    assert _run(project).ok


def test_obsolete_entries_reported_then_removed_with_update(project: Path) -> None:
    assert _run(project).ok
    _write(project, {"test/api.test.ts": TESTS.replace('toMatchSnapshot("with hint")', "toEqual({ nested: { list: [1, 2] } })")})
    result = _run(project)
    assert result.ok
    assert result.snapshot_summary().obsolete == ["test/__snapshots__/api.test.ts.snap: api > answers json > with hint 1"]
    removed = _run(project, update_snapshots=True, mode=None)
    assert removed.snapshot_summary().removed == 1
    assert "with hint" not in (project / "test" / "__snapshots__" / "api.test.ts.snap").read_text()


def test_filtered_runs_do_not_call_other_tests_snapshots_obsolete(project: Path) -> None:
    assert _run(project).ok
    before = (project / "test" / "__snapshots__" / "api.test.ts.snap").read_text()
    result = _run(project, name_pattern="throws", update_snapshots=True, mode=None)
    assert result.ok and result.snapshot_summary().obsolete == [] and result.snapshot_summary().removed == 0
    assert (project / "test" / "__snapshots__" / "api.test.ts.snap").read_text() == before


def test_ci_mode_writes_nothing_and_fails_missing_snapshots(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CI", "true")
    result = asyncio.run(TestRun(project, jobs=1).run())
    tests = _tests(result)
    assert tests["api > answers json"].status == "fail"
    assert "is missing: on CI" in tests["api > answers json"].errors[0].message
    assert tests["api > renders a page"].status == "fail"
    assert "page.html is missing: on CI" in tests["api > renders a page"].errors[0].message
    assert not (project / "test" / "__snapshots__").exists()
    assert not (project / "test" / "__files__").exists()


def test_a_damaged_snap_file_is_a_file_error_and_is_left_alone(project: Path) -> None:
    snap = project / "test" / "__snapshots__" / "api.test.ts.snap"
    snap.parent.mkdir(parents=True)
    snap.write_text("exports[`api > throws 1`] = `[TypeError: bad input]`;\n<<<<<<< HEAD\n")
    result = _run(project)
    assert not result.ok
    errors = result.files[0].errors
    assert errors and "test/__snapshots__/api.test.ts.snap: not a vitest snapshot file" in errors[0].message
    assert snap.read_text().endswith("<<<<<<< HEAD\n")  # kept for the user to fix


def test_file_snapshot_outside_the_project_is_refused(project: Path) -> None:
    _write(project, {"test/api.test.ts": TESTS.replace("./__files__/page.html", "../../escape.html")})
    result = _run(project)
    page = _tests(result)["api > renders a page"]
    assert page.status == "fail" and "outside the project folder" in page.errors[0].message
    assert not (project.parent.parent / "escape.html").exists()
