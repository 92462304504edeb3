"""Heap snapshots of a real isolate: constructor counts, diffs, saving."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from runtime import heapsnapshot
from runtime.invocation import HttpRequest
from runtime.service import ProjectRuntime

WIDGETS = """
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


@pytest.fixture
async def widget_runtime(make_project):  # type: ignore[no-untyped-def]
    root = make_project({"src/index.ts": WIDGETS},
                        'name = "heap"\nmain = "src/index.ts"\n[limits]\nmin_idle = 1\nmax_isolates = 1\n')
    rt = ProjectRuntime(root)
    assert (await rt.start()).ok
    yield rt
    await rt.stop()


async def _snapshot(rt: ProjectRuntime, add: int) -> dict:  # type: ignore[type-arg]
    result = await rt.invoke(HttpRequest(url=f"http://localhost/?add={add}"))
    assert result.ok, result.error
    assert rt.pool is not None
    (isolate,) = rt.pool.isolates()
    return heapsnapshot.take(isolate)


async def test_widget_count_and_growth(widget_runtime: ProjectRuntime, tmp_path: Path) -> None:
    first = await _snapshot(widget_runtime, 25)
    table = heapsnapshot.summarize(first)
    widget = table.row("Widget")
    assert widget is not None and widget.count == 25 and widget.shallow_size > 0
    assert table.total_size >= sum(r.shallow_size for r in table.rows[:3])
    assert table.rows == tuple(sorted(table.rows, key=lambda r: (-r.shallow_size, r.name)))

    second = await _snapshot(widget_runtime, 40)
    after = heapsnapshot.summarize(second)
    assert after.row("Widget").count == 65  # type: ignore[union-attr]
    grown = {d.name: d for d in heapsnapshot.diff(table.rows, after.rows)}
    assert grown["Widget"].count_delta == 40
    assert grown["Widget"].size_delta == after.row("Widget").shallow_size - widget.shallow_size  # type: ignore[union-attr]
    assert all(d.count_delta > 0 or d.size_delta > 0 for d in grown.values())

    path = heapsnapshot.save(second, tmp_path / "widgets")
    assert path.suffix == ".heapsnapshot"
    reloaded = heapsnapshot.load(path)
    assert reloaded["snapshot"]["meta"]["node_fields"] == second["snapshot"]["meta"]["node_fields"]
    assert heapsnapshot.summarize(reloaded).row("Widget").count == 65  # type: ignore[union-attr]


def test_not_a_snapshot(tmp_path: Path) -> None:
    with pytest.raises(heapsnapshot.HeapSnapshotFormatError):
        heapsnapshot.summarize({"nodes": []})
    bad = tmp_path / "x.heapsnapshot"
    bad.write_text(json.dumps({"snapshot": {}}))
    with pytest.raises(heapsnapshot.HeapSnapshotFormatError):
        heapsnapshot.load(bad)


def test_diff_lists_only_growth() -> None:
    a = [heapsnapshot.ConstructorRow("A", 2, 20), heapsnapshot.ConstructorRow("B", 5, 50)]
    b = [heapsnapshot.ConstructorRow("A", 3, 30), heapsnapshot.ConstructorRow("B", 1, 10),
         heapsnapshot.ConstructorRow("C", 1, 100)]
    assert [d.name for d in heapsnapshot.diff(a, b)] == ["C", "A"]
    assert [d.name for d in heapsnapshot.diff(a, b, only_grown=False)] == ["C", "A", "B"]
