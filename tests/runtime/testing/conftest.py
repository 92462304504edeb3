"""Fixtures for the test runner's tests: copies of the fixture and example projects."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent


def _copy(name: str, dest: Path) -> Path:
    src = HERE / name
    target = dest / src.name
    shutil.copytree(src, target)
    return target


@pytest.fixture(scope="session")
def copy_project() -> Callable[[str, Path], Path]:
    """Factory: copy ``project`` or ``examples/<name>`` into a folder (tests never write into the repo)."""
    return _copy
