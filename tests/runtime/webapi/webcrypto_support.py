"""Shared by the WebCrypto tests (imported by them, not a conftest): run a TypeScript `run()` handler
in a real isolate."""

from __future__ import annotations

import itertools
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest

from runtime.invocation import RunTrigger
from runtime.runner import run_once

_names = itertools.count(1)


@pytest.fixture
def run_js(make_project: Callable[..., Path]) -> Callable[..., Awaitable[Any]]:
    """``await run_js(source, input)``: bundle ``source`` (a module whose default export has
    ``run(input)``) and return what ``run`` returns; a failed invocation fails the test."""

    async def run(source: str, data: Any = None, *, expect_error: bool = False) -> Any:
        root = make_project({"src/index.ts": source}, name=f"p{next(_names)}")
        result = await run_once(root, RunTrigger(data))
        if expect_error:
            return result
        assert result.outcome == "ok", result.error
        return result.value

    return run
