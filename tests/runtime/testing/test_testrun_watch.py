"""--watch: affected files from esbuild's inputs, and a real re-run on save."""

from __future__ import annotations

import asyncio
from pathlib import Path

from runtime.testing.models import RunResult
from runtime.testing.runner import TestRun
from runtime.testing.watch import affected, watch


def test_affected_follows_bundle_inputs(tmp_path: Path) -> None:
    a, b = tmp_path / "test" / "a.test.ts", tmp_path / "test" / "b.test.ts"
    inputs = {a: frozenset({"test/a.test.ts", "src/index.ts"}), b: frozenset({"test/b.test.ts", "src/util.ts"})}
    assert affected(tmp_path, [tmp_path / "src" / "util.ts"], inputs, [a, b]) == [b]
    assert affected(tmp_path, [a], inputs, [a, b]) == [a]
    assert affected(tmp_path, [tmp_path / "src" / "index.ts"], inputs, [a, b]) == [a]
    assert affected(tmp_path, [tmp_path / "isoplay.toml"], inputs, [a, b]) is None
    c = tmp_path / "test" / "c.test.ts"
    assert affected(tmp_path, [c], inputs, [a, b, c]) == [c]  # a new file runs on its own


async def test_watch_reruns_the_affected_file_on_save(tmp_path: Path, tools, copy_project) -> None:  # type: ignore[no-untyped-def]
    root = copy_project("examples/basics", tmp_path)
    (root / "test" / "other.test.ts").write_text('import { it } from "vitest";\nit("other", () => {});\n')
    results: list[RunResult] = []
    got = asyncio.Event()

    def on_result(result: RunResult) -> None:
        results.append(result)
        got.set()

    task = asyncio.create_task(watch(root, lambda files: TestRun(root, files=files), on_result))
    try:
        await asyncio.wait_for(got.wait(), 30)
        assert sorted(f.file for f in results[0].files) == ["test/index.spec.ts", "test/other.test.ts"]
        got.clear()
        await asyncio.sleep(0.3)  # let the watcher start
        src = root / "src" / "index.ts"
        src.write_text(src.read_text().replace('"Not found"', '"Gone"'))
        await asyncio.wait_for(got.wait(), 30)
        second = results[1]
        assert [f.file for f in second.files] == ["test/index.spec.ts"]  # other.test.ts does not import the worker
        assert second.counts()["fail"] == 1
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
