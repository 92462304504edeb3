"""Every `isoplay new` template ships a test file that passes and type-checks."""

from __future__ import annotations

import asyncio
import subprocess
from pathlib import Path

import pytest

from runtime.project import TEMPLATES, new_project
from runtime.testing import TestRun
from runtime.typecheck import check, parse_tsc_output


@pytest.mark.parametrize("template", TEMPLATES)
def test_template_tests_pass(tmp_path: Path, tools, template: str) -> None:  # type: ignore[no-untyped-def]
    project = new_project(tmp_path / template, template)
    assert (project.root / "test" / "index.test.ts").is_file()
    assert (project.root / "types" / "test.d.ts").is_file()
    result = asyncio.run(TestRun(project.root).run())
    assert [(t.case.full_name, t.status) for f in result.files for t in f.tests if t.status != "pass"] == []
    assert result.ok and sum(result.counts().values()) >= 2
    # the project type-checks without its tests (a test's type error must not block a publish) ...
    assert [str(d) for d in asyncio.run(check(project.root))] == []
    # ... and test/tsconfig.json checks the tests, with types/test.d.ts declaring vitest and cloudflare:test
    proc = subprocess.run([str(tools.tsc), "--noEmit", "-p", "test", "--pretty", "false"], cwd=project.root,
                          capture_output=True, text=True, timeout=120)
    assert [str(d) for d in parse_tsc_output(proc.stdout + proc.stderr)] == []
    assert proc.returncode == 0
