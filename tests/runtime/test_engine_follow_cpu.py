"""An isolate's thread follows the CPU of the event loop that waits for its crossing (engine._follow),
and is left free for crossings from other threads (the pool's offloaded batches run in parallel).
Where threads cannot be held to a CPU (no ``sched_getcpu``: macOS, Windows, ``ISOPLAY_FOLLOW_CPU=0``)
nothing is held; the last test checks that fallback on every platform."""

from __future__ import annotations

import asyncio
import os
import threading

import pytest

from runtime import engine
from runtime.engine import V8Isolate


def _check_nothing_held(v8: V8Isolate) -> None:
    """Where threads cannot be held (see the module doc): crossings work and hold nothing."""
    assert engine._sched_getcpu is None
    assert v8.eval("6 * 7") == 42
    assert v8._follow() is False
    assert v8._on_cpu == -1


def _allowed(tid: int) -> set[int]:
    return os.sched_getaffinity(tid)


async def test_loop_crossings_hold_the_isolate_thread_to_one_cpu_and_free_the_caller() -> None:
    v8 = V8Isolate(asyncio.get_running_loop(), memory_limit=64 * 1024 * 1024)
    if engine._sched_getcpu is None:
        _check_nothing_held(v8)
        v8.close()
        return
    mine = os.sched_getaffinity(0)
    try:
        assert v8.eval("6 * 7") == 42
        assert v8._tid is not None
        held = _allowed(v8._tid)
        assert len(held) == 1 and held <= mine, held  # the loop's CPU at that crossing
        assert os.sched_getaffinity(0) == mine  # the caller is free again once the crossing ended
        assert v8.eval("'again'") == "again"
        assert len(_allowed(v8._tid)) == 1
    finally:
        v8.close()
    assert os.sched_getaffinity(0) == mine


async def test_a_crossing_from_another_thread_leaves_the_isolate_thread_free() -> None:
    v8 = V8Isolate(asyncio.get_running_loop(), memory_limit=64 * 1024 * 1024)
    if engine._sched_getcpu is None:
        _check_nothing_held(v8)
        v8.close()
        return
    mine = os.sched_getaffinity(0)
    try:
        v8.eval("1")
        assert v8._tid is not None and len(_allowed(v8._tid)) == 1
        answers: list[object] = []
        worker = threading.Thread(target=lambda: answers.append(v8.eval("'from a worker'")))
        worker.start()
        worker.join(30)
        assert answers == ["from a worker"]
        assert _allowed(v8._tid) == mine  # an offloaded batch's isolate may run on any CPU
        v8.eval("2")  # back on the loop: held again
        assert len(_allowed(v8._tid)) == 1
    finally:
        v8.close()


async def test_an_evaluation_the_loop_does_not_wait_for_runs_anywhere() -> None:
    v8 = V8Isolate(asyncio.get_running_loop(), memory_limit=64 * 1024 * 1024)
    if engine._sched_getcpu is None:
        _check_nothing_held(v8)
        v8.close()
        return
    mine = os.sched_getaffinity(0)
    try:
        v8.eval("1")
        assert await v8.eval_async("3 + 4") == 7
        assert v8._tid is not None and _allowed(v8._tid) == mine
    finally:
        v8.close()


async def test_without_sched_getcpu_no_thread_is_held(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(engine, "_sched_getcpu", None)
    v8 = V8Isolate(asyncio.get_running_loop(), memory_limit=64 * 1024 * 1024)
    try:
        _check_nothing_held(v8)
        if hasattr(os, "sched_getaffinity"):
            assert v8._tid is not None and os.sched_getaffinity(v8._tid) == os.sched_getaffinity(0)
    finally:
        v8.close()
