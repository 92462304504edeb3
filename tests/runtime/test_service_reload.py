"""ProjectRuntime.reload: the newest save builds at once, superseded builds are killed and never serve.

Real esbuild held mid-build by a FIFO import (as in test_bundler_cancel), real isolates, real file watching.
"""

from __future__ import annotations

import asyncio
import os
from pathlib import Path

import pytest
from stuck_builds import esbuild_children, needs_fifo
from test_bundler_cancel import wait_for_esbuild

from runtime.errors import RuntimeDisposed
from runtime.invocation import RunTrigger
from runtime.service import BuildReport, ProjectRuntime

pytestmark = [needs_fifo, pytest.mark.timeout(120)]

INDEX = 'import data from "./data.txt";\nexport default { run() { return data; } };\n'
PROMPT_S = 30.0
"""A build that is not stuck behind the FIFO finishes well within this (esbuild takes milliseconds)."""


@pytest.fixture
def project(make_project) -> Path:  # type: ignore[no-untyped-def]
    """A project whose entry imports ``src/data.txt`` (the tests turn it into a FIFO to hold esbuild)."""
    return make_project({"src/index.ts": INDEX, "src/data.txt": "first"})


def make_stuck(root: Path) -> None:
    """Replace data.txt with a FIFO nobody writes: esbuild blocks reading it."""
    (root / "src" / "data.txt").unlink()
    os.mkfifo(root / "src" / "data.txt")


def make_fresh(root: Path, text: str) -> None:
    """Replace the FIFO (or file) with a plain file holding ``text``."""
    (root / "src" / "data.txt").unlink()
    (root / "src" / "data.txt").write_text(text, encoding="utf-8")


async def served(rt: ProjectRuntime) -> object:
    """What the version now serving answers."""
    return (await rt.invoke(RunTrigger())).value


def test_a_newer_reload_kills_the_build_in_flight_and_both_callers_get_the_newest_report(project: Path) -> None:
    reports: list[BuildReport] = []

    async def scenario() -> None:
        rt = ProjectRuntime(project, on_build=reports.append)
        try:
            assert (await rt.start()).ok and await served(rt) == "first"
            make_stuck(project)
            stuck = asyncio.create_task(rt.reload())  # the save whose build hangs in esbuild
            running = await wait_for_esbuild()
            await asyncio.sleep(0.1)
            assert not stuck.done()
            make_fresh(project, "second")
            newer = await asyncio.wait_for(rt.reload(), PROMPT_S)  # not queued behind the stuck build
            assert newer.ok and await served(rt) == "second"
            assert await asyncio.wait_for(stuck, PROMPT_S) == newer  # its caller learns how the newest build went
            assert esbuild_children() == {} and not any(Path(f"/proc/{pid}").exists() for pid in running)
            assert [r.ok for r in reports] == [True, True]  # the killed build is never reported
            assert reports[-1] == newer
        finally:
            await rt.stop()

    asyncio.run(scenario())


def test_a_superseded_build_never_replaces_the_newer_one(project: Path) -> None:
    """Two reloads in a row, the older one's bundle finishing first: only the newest content serves."""
    reports: list[BuildReport] = []

    async def scenario() -> None:
        rt = ProjectRuntime(project, on_build=reports.append)
        try:
            await rt.start()
            make_fresh(project, "older")
            older = asyncio.create_task(rt.reload())
            await asyncio.sleep(0)  # the older build starts
            make_fresh(project, "newest")
            newest = await asyncio.wait_for(rt.reload(), PROMPT_S)
            assert await asyncio.wait_for(older, PROMPT_S) == newest
            assert await served(rt) == "newest"
            await asyncio.sleep(0.2)  # nothing late swaps the older content in
            assert await served(rt) == "newest" and len(reports) == 2
        finally:
            await rt.stop()

    asyncio.run(scenario())


def test_saves_seen_by_the_watcher_supersede_a_stuck_build(project: Path) -> None:
    """``isoplay dev`` and the IDE rebuild on file changes: a change after a hanging build still gets built."""
    reports: list[BuildReport] = []

    async def scenario() -> None:
        rt = ProjectRuntime(project, on_build=reports.append)
        try:
            await rt.start()
            rt.watch(debounce_ms=20)
            await asyncio.sleep(0.5)  # the watcher is up
            make_stuck(project)
            await wait_for_esbuild()
            make_fresh(project, "after the hang")
            loop = asyncio.get_running_loop()
            deadline = loop.time() + PROMPT_S
            while await served(rt) != "after the hang":
                assert loop.time() < deadline, f"the newer save was not built; reports: {reports}"
                await asyncio.sleep(0.05)
            assert esbuild_children() == {}
        finally:
            await rt.stop()

    asyncio.run(scenario())


def test_stop_kills_a_build_in_flight_and_its_caller_hears_why(project: Path) -> None:
    async def scenario() -> None:
        rt = ProjectRuntime(project)
        await rt.start()
        make_stuck(project)
        stuck = asyncio.create_task(rt.reload())
        await wait_for_esbuild()
        await asyncio.wait_for(rt.stop(), PROMPT_S)
        with pytest.raises(RuntimeDisposed):
            await asyncio.wait_for(stuck, PROMPT_S)
        assert esbuild_children() == {} and rt.pool is None
        with pytest.raises(RuntimeDisposed):
            await rt.reload()

    asyncio.run(scenario())
