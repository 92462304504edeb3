"""Heap panel: snapshot a real isolate that keeps Widgets, compare, sort, save."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QTableWidget

from app.panels.heap import create_heap_panel
from runtime import heapsnapshot
from runtime.invocation import HttpRequest

SCRIPT = """
class Widget { constructor(public n: number) {} }
const kept: Widget[] = [];
export default {
  async fetch(request: Request) {
    const add = Number(new URL(request.url).searchParams.get("add") ?? "0");
    for (let i = 0; i < add; i++) kept.push(new Widget(i));
    return new Response(String(kept.length));
  },
};
"""
MANIFEST = 'name = "heapp"\nmain = "src/index.ts"\n[limits]\nmin_idle = 1\nmax_isolates = 1\n'


pytestmark = pytest.mark.usefixtures("gui_thread_gc")


@pytest.fixture
def env(running_project: Any) -> dict[str, Any]:
    """A running one-isolate project on a runtime thread, and the heap panel."""
    env = running_project(SCRIPT, MANIFEST, "heapp")
    env["panel"] = create_heap_panel(env["parent"], env["thread"], env["bridge"], env["failures"].append)
    return env


def row_of(table: QTableWidget, name: str) -> list[Any]:
    for r in range(table.rowCount()):
        if table.item(r, 0).text() == name:
            return [table.item(r, c).data(Qt.ItemDataRole.DisplayRole) for c in range(table.columnCount())]
    raise AssertionError(f"{name} not in the table")


def test_snapshot_compare_sort_save(qtbot: Any, env: dict[str, Any], tmp_path: Path) -> None:
    panel, runtime, thread = env["panel"], env["runtime"], env["thread"]
    w = panel.widget
    thread.call(runtime.invoke(HttpRequest(url="http://localhost/?add=30")), 10)
    panel.controller.attach(runtime)
    qtbot.waitUntil(lambda: w.isolate_box.count() == 1, timeout=3000)
    w.snapshot_button.click()
    qtbot.waitUntil(lambda: len(panel.controller.snapshots) == 1, timeout=10_000)
    assert row_of(w.table, "Widget")[1] == 30
    sizes = [w.table.item(r, 2).data(Qt.ItemDataRole.DisplayRole) for r in range(w.table.rowCount())]
    assert sizes == sorted(sizes, reverse=True)  # sorted by shallow size, numerically
    w.table.sortItems(1, Qt.SortOrder.AscendingOrder)
    counts = [w.table.item(r, 1).data(Qt.ItemDataRole.DisplayRole) for r in range(w.table.rowCount())]
    assert counts == sorted(counts)

    thread.call(runtime.invoke(HttpRequest(url="http://localhost/?add=45")), 10)
    w.snapshot_button.click()
    qtbot.waitUntil(lambda: len(panel.controller.snapshots) == 2, timeout=10_000)
    assert row_of(w.table, "Widget")[1] == 75
    name, count_delta, size_delta, count_after, _size = row_of(w.grown_table, "Widget")
    assert (count_delta, count_after) == (45, 75) and size_delta > 0
    assert "Grew from isolate" in w.grown_title.text()
    w.resize(700, 600)
    w.grab().save(str(tmp_path / "heap.png"))

    target = tmp_path / "after.heapsnapshot"
    panel.controller.save_latest(target)
    qtbot.waitUntil(lambda: "saved" in w.status.text(), timeout=5000)
    assert heapsnapshot.summarize(heapsnapshot.load(target)).row("Widget").count == 75  # type: ignore[union-attr]
    assert not env["failures"]
