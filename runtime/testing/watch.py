"""``isoplay test --watch``: run, then re-run the affected test files on every save.

A test file is affected when it changed or when one of the sources esbuild put
into its bundle changed (the metafile inputs of the last run); a new test file
runs on its own; a change to isoplay.toml re-runs everything.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from pathlib import Path

from runtime.manifest import MANIFEST_NAME
from runtime.testing.config import discover, load_config
from runtime.testing.models import RunResult
from runtime.testing.runner import TestRun

WATCHED_SUFFIXES = (".ts", ".tsx", ".js", ".mjs", ".json", ".toml", ".txt")
IGNORED_PARTS = {"node_modules", ".isoplay", ".git", "dist"}


def relevant(root: Path, path: Path) -> bool:
    """Whether a change to ``path`` can matter to a test run."""
    try:
        rel = path.resolve().relative_to(root)
    except ValueError:
        return False
    return path.suffix in WATCHED_SUFFIXES and not (IGNORED_PARTS & set(rel.parts))


def affected(root: Path, changed: Iterable[Path], inputs: dict[Path, frozenset[str]],
             test_files: list[Path]) -> list[Path] | None:
    """The test files to run again after ``changed``; None means all of them."""
    rels = set()
    for path in changed:
        rel = path.resolve().relative_to(root).as_posix()
        if rel == MANIFEST_NAME or rel.endswith("tsconfig.json"):
            return None
        rels.add(rel)
    out = []
    for file in test_files:
        rel = file.relative_to(root).as_posix()
        if rel in rels or (inputs.get(file, frozenset()) & rels) or file not in inputs:
            out.append(file)
    return out


async def watch(root: Path, make_run: Callable[[list[Path] | None], TestRun],
                on_result: Callable[[RunResult], None],
                stop: Callable[[], bool] = lambda: False) -> None:
    """Run all tests, then on every relevant save run the affected files (until ``stop()``)."""
    import watchfiles

    root = root.resolve()
    first = make_run(None)
    result = await first.run()
    inputs = dict(first.inputs)
    on_result(result)
    async for changes in watchfiles.awatch(root, debounce=50, step=20, stop_event=None):
        if stop():
            return
        changed = [Path(p) for _kind, p in changes if relevant(root, Path(p))]
        if not changed:
            continue
        test_files = discover(root, load_config(root))
        inputs = {f: v for f, v in inputs.items() if f.exists()}
        files = affected(root, [c for c in changed if c.exists()] or changed, inputs, test_files)
        if files == []:
            continue
        run = make_run(files)
        result = await run.run()
        inputs.update(run.inputs)
        on_result(result)

