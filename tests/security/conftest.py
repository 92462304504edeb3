"""Fixtures of the attack suite: real ``isoplay serve`` processes (stopped at teardown) and project folders."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from sec_harness import ServeProcess, write_project


@pytest.fixture
def serve(tmp_path: Path) -> Iterator[Callable[..., ServeProcess]]:
    """Factory: start a real ``isoplay serve`` (``data_dir`` defaults to one folder per test)."""
    servers: list[ServeProcess] = []

    def make(*args: str, data_dir: Path | None = None) -> ServeProcess:
        server = ServeProcess(data_dir or tmp_path / "serve-data", *args)
        servers.append(server)
        return server.start()

    yield make
    for server in servers:
        server.stop()


@pytest.fixture
def project(tmp_path: Path, tools: Any) -> Callable[..., Path]:
    """Factory: a project folder from manifest text or bytes (and source files)."""
    count = [0]

    def make(manifest: str | bytes, files: dict[str, str | bytes] | None = None) -> Path:
        count[0] += 1
        return write_project(tmp_path / f"project{count[0]}", manifest, files)

    return make
