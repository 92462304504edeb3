"""Test files written the way vitest-pool-workers' examples are run unchanged (basics, isolated
KV storage, fetchMock), and the command line around them."""

from __future__ import annotations

import asyncio
import json
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from app.cli import main
from runtime.testing import TestRun


@pytest.mark.parametrize("name, passed", [("basics", 3), ("kv-storage", 5), ("fetch-mock", 4)])
def test_example_suites_pass_unchanged(tmp_path: Path, tools, copy_project, name: str, passed: int) -> None:  # type: ignore[no-untyped-def]
    root = copy_project(f"examples/{name}", tmp_path)
    result = asyncio.run(TestRun(root).run())
    failures = [(t.case.full_name, [e.summary() for e in t.errors]) for f in result.files for t in f.tests
                if t.status != "pass"]
    assert failures == [] and [f.errors for f in result.files] == [()]
    assert result.counts()["pass"] == passed


def test_cli_junit_and_exit_codes(tmp_path: Path, tools, copy_project, capsys) -> None:  # type: ignore[no-untyped-def]
    root = copy_project("examples/basics", tmp_path)
    assert main(["test", str(root), "--reporter", "junit"]) == 0
    doc = ET.fromstring(capsys.readouterr().out)
    assert doc.get("tests") == "3" and doc.get("failures") == "0"
    spec = root / "test" / "index.spec.ts"
    spec.write_text(spec.read_text().replace('toBe("Not found")', 'toBe("Found")'))
    assert main(["test", str(root), "--reporter", "json"]) == 1
    data = json.loads(capsys.readouterr().out)
    failed = [t for f in data["files"] for t in f["tests"] if t["status"] == "fail"]
    assert [t["name"] for t in failed] == ["answers 404 for /404"]
    assert failed[0]["errors"][0]["location"]["file"] == "test/index.spec.ts"
    assert failed[0]["errors"][0]["diff"] == 'Expected: "Found"\nReceived: "Not found"'


def test_cli_filters_name_pattern_and_tap(tmp_path: Path, tools, copy_project, capsys) -> None:  # type: ignore[no-untyped-def]
    root = copy_project("examples/basics", tmp_path)
    (root / "test" / "other.test.ts").write_text('import { it } from "vitest";\nit("other", () => {});\n')
    assert main(["test", str(root), "other", "--reporter", "tap"]) == 0
    out = capsys.readouterr().out
    assert out.splitlines()[:3] == ["TAP version 13", "1..1", "ok 1 - test/other.test.ts > other"]
    assert main(["test", str(root), "-t", "unit style", "--reporter", "tap"]) == 0
    lines = [line for line in capsys.readouterr().out.splitlines() if line.startswith("ok")]
    assert sum("# SKIP" not in line for line in lines) == 1 and "unit style" in lines[0]


def test_a_file_that_does_not_build_is_reported_with_its_position(tmp_path: Path, tools, copy_project, capsys) -> None:  # type: ignore[no-untyped-def]
    root = copy_project("examples/basics", tmp_path)
    (root / "test" / "broken.test.ts").write_text('import { it } from "vitest";\nit("x", () => {\n  let = ;\n});\n')
    assert main(["test", str(root)]) == 1
    out = capsys.readouterr().out
    assert "✗ test/broken.test.ts" in out and "✓ test/index.spec.ts" in out
    assert "test/broken.test.ts:3:" in out


def test_bail_stops_after_the_first_failure(tmp_path: Path, tools, copy_project, capsys) -> None:  # type: ignore[no-untyped-def]
    root = copy_project("examples/basics", tmp_path)
    (root / "test" / "a.test.ts").write_text(
        'import { it, expect } from "vitest";\nit("fails", () => { expect(1).toBe(2); });\nit("later", () => {});\n')
    result = asyncio.run(TestRun(root, bail=True, jobs=1).run())
    statuses = {t.case.full_name: t.status for f in result.files for t in f.tests}
    assert statuses["fails"] == "fail" and statuses["later"] == "skip"
    assert sum(s == "pass" for s in statuses.values()) == 0


def test_manifest_test_table_is_validated(tmp_path: Path, tools, copy_project, capsys) -> None:  # type: ignore[no-untyped-def]
    root = copy_project("examples/basics", tmp_path)
    with (root / "isoplay.toml").open("a") as f:
        f.write('\n[test]\ninclude = ["test/**/*.spec.ts"]\ntimeout_ms = "slow"\n')
    assert main(["test", str(root)]) == 1
    assert "[test] timeout_ms must be a positive integer" in capsys.readouterr().err
