"""Cancelling a build kills and reaps its esbuild process (real esbuild, held mid-build by a FIFO import)."""

from __future__ import annotations

import asyncio
import os
from pathlib import Path

import pytest
from stuck_builds import esbuild_children, needs_fifo

from runtime.bundler import bundle

pytestmark = needs_fifo


@pytest.fixture
def stuck_project(make_project) -> Path:  # type: ignore[no-untyped-def]
    """A project whose entry imports a FIFO: esbuild blocks reading it until someone writes."""
    root = make_project({"src/index.ts": 'import data from "./data.txt";\nexport default { run() { return data; } };\n'})
    os.mkfifo(root / "src" / "data.txt")
    return root


async def wait_for_esbuild(timeout: float = 20.0) -> dict[int, str]:
    """Wait until an esbuild child runs (the build reached the FIFO)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not (children := esbuild_children()):
        assert loop.time() < deadline, "esbuild never started"
        await asyncio.sleep(0.02)
    return children


def test_cancelled_build_leaves_no_esbuild_running(stuck_project: Path, tools) -> None:  # type: ignore[no-untyped-def]
    async def scenario() -> tuple[dict[int, str], dict[int, str]]:
        task = asyncio.create_task(bundle(stuck_project, tools=tools))
        running = await wait_for_esbuild()
        await asyncio.sleep(0.2)
        assert not task.done()  # still blocked in esbuild: the cancel below interrupts a live build
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        return running, esbuild_children()

    running, after = asyncio.run(scenario())
    assert running and all(state != "Z" for state in running.values())
    assert after == {}, f"esbuild still there after cancel: {after}"
    for pid in running:
        assert not Path(f"/proc/{pid}").exists()


def test_superseded_build_is_killed_and_the_newer_one_finishes(stuck_project: Path, tools) -> None:  # type: ignore[no-untyped-def]
    async def scenario() -> tuple[str, dict[int, str]]:
        old = asyncio.create_task(bundle(stuck_project, tools=tools))
        await wait_for_esbuild()
        (stuck_project / "src" / "data.txt").unlink()
        (stuck_project / "src" / "data.txt").write_text("fresh", encoding="utf-8")
        old.cancel()  # what a newer save does to the build in flight
        newer = await bundle(stuck_project, tools=tools)
        with pytest.raises(asyncio.CancelledError):
            await old
        return newer.code, esbuild_children()

    code, after = asyncio.run(scenario())
    assert '"fresh"' in code
    assert after == {}
