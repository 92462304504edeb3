"""Profiler charts and load runs driven by real invocations on a runtime thread."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest

from app.panels.profiler import create_profiler_panel
from app.panels.profiler.controller import REDRAW_INTERVAL_MS
from app.panels.profiler.model import ProfilerFrame
from runtime.invocation import HttpRequest
from runtime.loadrun import LoadSpec
from runtime.service import ProjectRuntime

SCRIPT = """
const kept: number[][] = [];
let n = 0;
export default {
  async fetch(request: Request) {
    n++;
    const path = new URL(request.url).pathname;
    if (path === "/grow") kept.push(new Array(20000).fill(n));
    if (n % 10 === 0) throw new Error("every tenth");
    return new Response("ok");
  },
};
"""
# One isolate: the script counts requests in module state (every tenth throws), and a pool may
# spread concurrent requests over several isolates (each with its own count).
MANIFEST = 'name = "prof"\nmain = "src/index.ts"\n[limits]\nmin_idle = 1\nmax_isolates = 1\nmemory_mb = 64\n'


pytestmark = pytest.mark.usefixtures("gui_thread_gc")


@pytest.fixture
def env(running_project: Any) -> dict[str, Any]:
    """A started runtime thread with a running project, a bridge, and a parent widget."""
    return running_project(SCRIPT, MANIFEST, "prof")


def fire(env: dict[str, Any], n: int, path: str = "/") -> None:
    """Run n real invocations on the runtime thread (blocking this test, not a GUI slot)."""
    runtime: ProjectRuntime = env["runtime"]

    async def burst() -> None:
        for _ in range(n):
            await runtime.invoke(HttpRequest(url=f"http://localhost{path}"))

    env["thread"].call(burst(), 30)


def test_charts_hold_real_invocations(qtbot: Any, env: dict[str, Any], tmp_path: Path) -> None:
    panel = create_profiler_panel(env["parent"], env["thread"], env["bridge"], env["failures"].append)
    frames: list[ProfilerFrame] = []
    render = panel.charts.render_frame
    panel.charts.render_frame = lambda f: (frames.append(f), render(f))  # type: ignore[method-assign]
    panel.attach(env["runtime"])
    fire(env, 30)
    fire(env, 20, "/grow")
    qtbot.waitUntil(lambda: bool(frames) and frames[-1].count == 50, timeout=3000)
    frame = frames[-1]
    assert len(frame.latency.x) == 50 and (frame.latency.y > 0).all()
    assert frame.throughput.y.sum() == 50
    assert len(frame.markers["error"]) == 5
    assert frame.heap_limit == 64 * 1024 * 1024
    assert frame.heap_used and all(len(s.x) for s in frame.heap_used.values())
    assert len(frame.busy.x) >= 1
    assert frame.p50.y.max() <= frame.p99.y.max()
    assert set(panel.charts.heap_curves) == set(frame.heap_used)
    x, y = panel.charts.p_curves["p99"].getData()
    assert len(x) == len(frame.p99.x)

    panel.charts.pause_button.click()
    assert panel.profiler.paused
    drawn = panel.profiler.frames_rendered
    fire(env, 10)
    qtbot.wait(450)
    assert panel.profiler.frames_rendered == drawn  # paused: no redraw...
    assert len(panel.profiler.model.records) == 60  # ...but the data keeps coming
    panel.charts.pause_button.click()
    assert frames[-1].count == 60

    panel.charts.resize(900, 900)
    panel.charts.grab().save(str(tmp_path / "profiler.png"))
    out = tmp_path / "profile.csv"
    panel.profiler.export_csv(out)
    qtbot.waitUntil(lambda: out.exists() and "exported" in panel.charts.status.text(), timeout=3000)
    lines = out.read_text().splitlines()
    assert lines[0].startswith("time,script,version,trigger") and len(lines) == 61

    panel.charts.sig_clear_requested.emit()
    assert frames[-1].count == 0 and not panel.profiler.model.records
    panel.charts.window_box.setCurrentText("all")
    assert panel.profiler.window_label == "all"
    panel.close()
    assert not env["failures"]


def test_redraw_rate_under_load_is_batched(qtbot: Any, env: dict[str, Any]) -> None:
    panel = create_profiler_panel(env["parent"], env["thread"], env["bridge"], env["failures"].append)
    panel.attach(env["runtime"])
    runs: list[Any] = []
    panel.load.view.show_runs = lambda all_runs, current: runs.append(current)  # type: ignore[method-assign]
    drawn = panel.profiler.frames_rendered
    began = time.monotonic()
    assert panel.load.start(LoadSpec(duration_s=1.5, concurrency=4))
    qtbot.waitUntil(lambda: bool(runs), timeout=30_000)
    elapsed_ms = (time.monotonic() - began) * 1000
    summary = runs[-1]
    frames = panel.profiler.frames_rendered - drawn
    assert summary.count > 0 and frames >= 2  # the charts kept updating during the 1.5 s of load
    # redraws follow the timer, not the invocations: however many ran (a loaded machine runs fewer)
    assert frames <= elapsed_ms / REDRAW_INTERVAL_MS + 2, (frames, elapsed_ms, summary.count)
    qtbot.waitUntil(lambda: len(panel.profiler.model.records) >= summary.count, timeout=2000)
    panel.close()


def test_load_form_runs_and_lists_past_runs(qtbot: Any, env: dict[str, Any], tmp_path: Path) -> None:
    panel = create_profiler_panel(env["parent"], env["thread"], env["bridge"], env["failures"].append)
    panel.attach(env["runtime"])
    form = panel.load_form
    form.count_box.setValue(200)
    form.concurrency_box.setValue(4)
    for expected in (1, 2):
        form.run_button.click()
        qtbot.waitUntil(lambda: len(panel.load.runs) == expected and form.run_button.text() == "Run load",
                        timeout=10_000)
    first, second = panel.load.runs
    assert first.count == second.count == 200
    assert first.errors == second.errors == {"error": 20}
    assert form.runs_list.count() == 2
    assert "errors 20" in form.runs_list.item(0).text()
    assert "200 requests" in form.summary.text()
    assert form.bars is not None and sum(form.bars.opts["height"]) == 200
    form.runs_list.setCurrentRow(0)
    assert "200 requests" in form.summary.text()
    form.resize(900, 360)
    form.grab().save(str(tmp_path / "loadrun.png"))
    panel.close()
