"""Panel test fixtures shared by the profiler, heap and KV browser tests."""

from __future__ import annotations

import gc
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from PySide6.QtWidgets import QWidget

from app.bridge import FutureBridge
from runtime.loop import RuntimeThread
from runtime.service import ProjectRuntime


@pytest.fixture
def gui_thread_gc() -> Iterator[None]:
    """Collect garbage on the GUI thread only (see editor.qt_gc)."""
    gc.disable()
    yield
    gc.collect()
    gc.enable()


@pytest.fixture
def running_project(qtbot: Any, make_project: Any) -> Iterator[Callable[[str, str, str], dict[str, Any]]]:
    """Factory: a started project on its own runtime thread, a parent widget, a bridge and a failure list."""
    started: list[tuple[RuntimeThread, ProjectRuntime]] = []

    def start(script: str, manifest: str, name: str) -> dict[str, Any]:
        root = make_project({"src/index.ts": script}, manifest, name=name)
        thread = RuntimeThread().start()
        runtime = ProjectRuntime(root)
        started.append((thread, runtime))
        assert thread.call(runtime.start(), 30).ok
        parent = QWidget()
        qtbot.addWidget(parent)
        failures: list[Any] = []
        bridge = FutureBridge(failures.append, parent)
        return {"thread": thread, "runtime": runtime, "parent": parent, "bridge": bridge, "failures": failures}

    yield start
    for thread, runtime in started:
        thread.call(runtime.stop(), 10)
        thread.stop()
