"""Fixtures for debugger tests: sessions over real isolates in a real debuggee process."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from debugger.session import DebugSession
from runtime.invocation import HttpRequest, Trigger


@pytest.fixture
def debug_session() -> Iterator[Callable[..., DebugSession]]:
    """Factory: an unstarted DebugSession for a project root; every one is stopped at teardown."""
    made: list[DebugSession] = []

    def make(root: Path, trigger: Trigger | None = None, **options: object) -> DebugSession:
        session = DebugSession(root, trigger or HttpRequest("GET", "http://localhost/"), **options)  # type: ignore[arg-type]
        made.append(session)
        return session

    yield make
    for session in made:
        session.stop()
