"""esbuild bundles: imports, JSON, source maps, and file:line:col errors."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from runtime.bundler import bundle_sync, load_written, parse_esbuild_log
from runtime.errors import BundleError
from runtime.sourcemap import SourceMap, map_stack

INDEX = """import { twice } from "./lib";
import { three } from "./more.js";
import data from "./data.json";
export default { async run() { return twice(data.n) + three; } };
"""


def test_bundles_imports_with_and_without_extension_and_json(make_project) -> None:
    root = make_project({"src/index.ts": INDEX, "src/lib.ts": "export const twice = (n: number) => n * 2;\n",
                         "src/more.ts": "export const three = 3;\n", "src/data.json": '{"n": 21}'})
    built = bundle_sync(root)
    assert "__isoplay_module" in built.code
    assert set(built.decoded_map().sources) >= {"src/index.ts", "src/lib.ts", "src/more.ts", "src/data.json"}
    assert len(built.content_hash) == 64


def test_source_map_is_decoded_once_and_not_pickled(make_project) -> None:
    """The decoded map is kept by the bundle (pools decode it only when an error needs it), and a
    pickled bundle (a debug worker's config) leaves it out and decodes it again."""
    import pickle

    root = make_project({"src/index.ts": INDEX, "src/lib.ts": "export const twice = (n: number) => n * 2;\n",
                         "src/more.ts": "export const three = 3;\n", "src/data.json": '{"n": 21}'})
    built = bundle_sync(root)
    first = built.decoded_map()
    assert built.decoded_map() is first
    data = pickle.dumps(built)
    assert pickle.dumps(bundle_sync(root)) == data  # the same bytes as a bundle never decoded
    again = pickle.loads(data)
    assert again == built and again.decoded_map() is not first
    assert again.decoded_map().sources == first.sources


def test_written_bundle_is_named_by_hash_and_reloads(make_project, tmp_path: Path) -> None:
    root = make_project({"src/index.ts": INDEX, "src/lib.ts": "export const twice = (n: number) => n * 2;\n",
                         "src/more.ts": "export const three = 3;\n", "src/data.json": '{"n": 21}'})
    built = bundle_sync(root, minify=True)
    paths = built.write(tmp_path / "out")
    assert built.content_hash[:8] in paths["script"].name
    meta = json.loads(paths["manifest"].read_text())
    assert meta["manifest"]["name"] == "t" and meta["minified"] is True
    again = load_written(paths["script"])
    assert again.code == built.code and again.content_hash == built.content_hash


def test_syntax_error_reports_file_line_col(make_project) -> None:
    root = make_project({"src/index.ts": "export default {};\nlet a: number = ;\n"})
    with pytest.raises(BundleError) as info:
        bundle_sync(root)
    diag = info.value.diagnostics[0]
    assert str(diag.location) == "src/index.ts:2:17"
    assert str(info.value).startswith("src/index.ts:2:17: error: ")


def test_missing_import_reports_location(make_project) -> None:
    root = make_project({"src/index.ts": 'import { x } from "./nope";\nexport default { run: () => x };\n'})
    with pytest.raises(BundleError) as info:
        bundle_sync(root)
    assert 'Could not resolve "./nope"' in str(info.value)
    assert info.value.diagnostics[0].location.line == 1


def test_missing_main_file(make_project) -> None:
    root = make_project({})
    with pytest.raises(BundleError, match="main = 'src/index.ts': file not found"):
        bundle_sync(root)


def test_esbuild_log_parser_handles_several_errors() -> None:
    log = ('✘ [ERROR] Expected ";" but found "x"\n\n    src/a.ts:3:4:\n      3 │ ...\n\n'
           '▲ [WARNING] Duplicate key "a"\n\n    src/b.ts:1:10:\n')
    errors, warnings = parse_esbuild_log(log)
    assert [str(e.location) for e in errors] == ["src/a.ts:3:5"]
    assert [str(w.location) for w in warnings] == ["src/b.ts:1:11"]


def test_source_map_lookup_and_stack_mapping(make_project) -> None:
    root = make_project({"src/index.ts": 'import { boom } from "./lib";\nexport default { run() { boom(); } };\n',
                         "src/lib.ts": "export function boom() {\n  throw new Error('x');\n}\n"})
    built = bundle_sync(root)
    smap = SourceMap.from_json(built.sourcemap)
    line_no = next(i for i, line in enumerate(built.code.splitlines(), 1) if "throw" in line)
    col = built.code.splitlines()[line_no - 1].index("throw") + 1
    pos = smap.lookup(line_no, col)
    assert (pos.source, pos.line, pos.column) == ("src/lib.ts", 2, 3)
    stack = f"Error: x\n    at boom ({built.script_url}:{line_no}:{col})\n    at fetch (isoplay://prelude.js:1:99)"
    text, frames = map_stack(stack, built.script_url, smap)
    assert text == "Error: x\n    at boom (src/lib.ts:2:3)"
    assert len(frames) == 1


def _count_esbuild_runs(monkeypatch) -> list[list[str]]:
    from runtime import bundler

    runs: list[list[str]] = []
    real = bundler.run_esbuild

    async def counted(argv, cwd):  # type: ignore[no-untyped-def]
        runs.append(argv)
        return await real(argv, cwd)

    monkeypatch.setattr(bundler, "run_esbuild", counted)
    return runs


def test_early_run_is_taken_by_the_next_build(make_project, monkeypatch) -> None:
    """``isoplay dev`` starts esbuild before importing the server: the first build takes that run."""
    import asyncio

    from runtime.bundler import bundle, start_early

    root = make_project({"src/index.ts": INDEX, "src/lib.ts": "export const twice = (n: number) => n * 2;\n",
                         "src/more.ts": "export const three = 3;\n", "src/data.json": '{"n": 21}'})
    runs = _count_esbuild_runs(monkeypatch)
    assert start_early(root) is not None
    built = asyncio.run(bundle(root.resolve()))
    assert runs == []  # no esbuild of its own
    assert built.code == bundle_sync(root).code
    asyncio.run(bundle(root))  # taken once: the next build runs esbuild itself
    assert len(runs) == 1


def test_early_run_is_dropped_when_the_manifest_changed(make_project, monkeypatch) -> None:
    import asyncio

    from runtime.bundler import bundle, start_early

    root = make_project({"src/index.ts": "export default { fetch() { return new Response('old'); } };\n",
                         "src/other.ts": "export default { fetch() { return new Response('new'); } };\n"})
    runs = _count_esbuild_runs(monkeypatch)
    early = start_early(root)
    assert early is not None
    (root / "isoplay.toml").write_text('name = "t"\nmain = "src/other.ts"\n', encoding="utf-8")
    built = asyncio.run(bundle(root))
    assert len(runs) == 1 and '"new"' in built.code and '"old"' not in built.code
    early.done.result(timeout=60)  # killed or finished, and reaped by its reader thread
    assert early.proc.returncode is not None


def test_early_run_of_a_folder_that_cannot_build_is_none(tmp_path: Path) -> None:
    from runtime.bundler import start_early

    assert start_early(tmp_path) is None  # no config: the real build reports it


def test_meanwhile_runs_while_a_taken_early_run_still_works(make_project) -> None:
    """The first build of ``isoplay dev`` makes a ready isolate while a still-working early esbuild run ends."""
    import asyncio
    import concurrent.futures

    from runtime import bundler
    from runtime.bundler import bundle, start_early

    root = make_project({"src/index.ts": "export default { fetch() { return new Response('hi'); } };\n"})
    early = start_early(root)
    assert early is not None
    real, held = early.done, concurrent.futures.Future()
    early.done = held  # the run "still works" until the test releases its result
    calls: list[bool] = []

    async def build() -> bundler.Bundle:
        task = asyncio.ensure_future(bundle(root, meanwhile=lambda: calls.append(held.done())))
        while not calls:
            assert not task.done()
            await asyncio.sleep(0.01)
        held.set_result(await asyncio.wrap_future(real))
        return await task

    built = asyncio.run(build())
    assert calls == [False] and '"hi"' in built.code
    again = start_early(root)  # finished before the build takes it: nothing to do meanwhile
    assert again is not None
    again.done.result(timeout=60)
    calls.clear()
    asyncio.run(bundle(root, meanwhile=lambda: calls.append(True)))
    assert calls == []
