"""Every `isoplay new` template ships a test file that passes and type-checks."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from runtime.project import TEMPLATES, new_project
from runtime.testing import TestRun
from runtime.typecheck import check


@pytest.mark.parametrize("template", TEMPLATES)
def test_template_tests_pass(tmp_path: Path, tools, template: str) -> None:  # type: ignore[no-untyped-def]
    project = new_project(tmp_path / template, template)
    assert (project.root / "test" / "index.test.ts").is_file()
    assert (project.root / "types" / "test.d.ts").is_file()
    result = asyncio.run(TestRun(project.root).run())
    assert [(t.case.full_name, t.status) for f in result.files for t in f.tests if t.status != "pass"] == []
    assert result.ok and sum(result.counts().values()) >= 2
    # tsconfig includes test/, and types/test.d.ts declares `vitest` and `cloudflare:test`
    assert [str(d) for d in asyncio.run(check(project.root))] == []
