"""#15 point 7 on the real window: a profiler you can read at the default dock size.

Real invocations (ok, thrown, timed out, over the memory limit, rejected by a full queue) through the real
runtime; each chart gets the dock's height in its own tab, legends name the isolates, percentiles and
events, the time axis is the wall clock, colours follow the theme, and a crosshair shows the values.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pyqtgraph as pg
from ide_testutil import WAIT_MS
from PySide6.QtCore import QPointF

from runtime.invocation import HttpRequest
from runtime.loadrun import LoadSpec
from runtime.project import new_project

SOURCE = """const kept: Uint8Array[] = [];
export default {
  async fetch(request: Request): Promise<Response> {
    const path = new URL(request.url).pathname;
    if (path === "/boom") throw new Error("boom");
    if (path === "/spin") { const end = Date.now() + 60; while (Date.now() < end) {} }
    if (path === "/loop") { while (true) {} }
    if (path === "/grow") { for (;;) kept.push(new Uint8Array(8 * 1024 * 1024)); }
    return new Response("ok");
  },
};
"""
MANIFEST = ('name = "prof"\nversion = "0.1.0"\nmain = "src/index.ts"\n\n[limits]\ntimeout_ms = 300\nmemory_mb = 24\n'
            'max_isolates = 1\nmin_idle = 1\nmax_queue = 2\nqueue_timeout_ms = 5000\n')


def make_project(tmp_path: Path) -> Path:
    root = tmp_path / "prof"
    new_project(root, "hello", "prof")
    (root / "isoplay.toml").write_text(MANIFEST, encoding="utf-8")
    (root / "src" / "index.ts").write_text(SOURCE, encoding="utf-8")
    return root


def test_profiler_charts_are_readable_at_the_default_dock_size(qtbot: Any, ide_factory: Any, tmp_path: Path,
                                                               tools: Any) -> None:
    ide = ide_factory(make_project(tmp_path))
    panel = ide.tools.profiler
    runtime = ide.services.runtime.project_runtime
    assert runtime is not None
    started = time.time()

    async def events() -> None:
        for path in ("/", "/boom", "/loop", "/grow", "/"):
            await runtime.invoke(HttpRequest(url=f"http://localhost{path}"))

    ide.services.runtime.thread.call(events(), 60)
    panel.load.set_trigger(HttpRequest(url="http://localhost/spin"), "GET /spin")
    assert panel.load.start(LoadSpec(count=40, concurrency=8))  # one isolate, a queue of 2: most are rejected
    qtbot.waitUntil(lambda: not panel.load.running, timeout=WAIT_MS)
    panel.profiler.redraw()
    frame = panel.profiler.model.frame(time.time(), None)
    for kind in ("error", "timeout", "memory", "rejected"):
        assert len(frame.marker_points[kind].x) >= 1, kind

    charts = panel.charts
    window = ide.window
    window.show_dock("profiler")
    qtbot.waitUntil(lambda: charts.isVisible(), timeout=WAIT_MS)
    dock_height = window.docks["profiler"].height()
    for key in ("heap", "latency", "throughput", "queue", "pool"):
        charts.show_chart(key)
        qtbot.wait(30)
        plot_height = charts.plots[key].vb.height()
        assert plot_height >= 0.4 * dock_height and plot_height >= 80, (key, plot_height, dock_height)

    # legends: percentiles and labelled events on latency, one entry per isolate on heap, busy/idle on pool
    assert {"p50", "p95", "p99", "timeout", "memory limit", "rejected", "error"} <= set(charts.legend_names("latency"))
    isolates = {f"isolate {i}" for i in charts.heap_curves}
    assert isolates and set(charts.legend_names("heap")) == isolates | {charts.limit_key_text}
    assert {"busy", "idle"} <= set(charts.legend_names("pool"))
    # the event markers sit where the events happened (wall clock) with their latency
    xs, ys = charts.event_items["timeout"].getData()
    assert len(xs) == len(frame.marker_points["timeout"].x) and (ys >= 250).all()
    # limit line at memory_mb, named in the legend (drawn when the heaps come near it, else said to be above)
    assert charts.limit_line.value() == 24 * 1024 * 1024
    assert charts.limit_line.label.format == "limit: memory_mb = 24"
    above = charts.limit_key_text == "limit: memory_mb = 24 (above)"
    assert above or charts.limit_key_text == "limit: memory_mb = 24"
    assert charts.limit_line.isVisible() != above
    _, (_, top) = charts.plots["heap"].vb.viewRange()
    assert (top < 24 * 1024 * 1024) == above

    # wall-clock time axis
    axis = charts.plots["latency"].getAxis("bottom")
    assert isinstance(axis, pg.DateAxisItem)
    now = time.time()
    assert axis.tickStrings([now], 1.0, 5.0) == [time.strftime("%H:%M:%S", time.localtime(now))]
    (x0, x1), _ = charts.plots["latency"].vb.viewRange()
    assert started - 60 <= x1 and x0 <= time.time() + 5 and x1 > 1e9

    # hover crosshair with the values at that time
    charts.show_chart("latency")
    panel.profiler.redraw()
    qtbot.wait(200)
    p50_x, _ = charts.p_curves["p50"].getData()
    plot = charts.plots["latency"]
    (vx0, vx1), (y0, y1) = plot.vb.viewRange()
    x = min(float(p50_x[-1]) + 0.2, vx1 - 0.01)  # just after the last p50 point, inside the view
    scene_pos = plot.vb.mapViewToScene(QPointF(x, (y0 + y1) / 2))
    assert charts.crosshairs["latency"].move_to(scene_pos)
    text = charts.crosshairs["latency"].label.textItem.toPlainText()
    assert text.count(":") >= 3 and "p50: " in text and "ms" in text
    assert charts.crosshairs["latency"].vline.isVisible()
    assert not charts.crosshairs["latency"].move_to(QPointF(-50, -50))  # outside: hidden

    # theme-aware colours
    ide.set_theme("dark")
    qtbot.waitUntil(lambda: charts.background.lightness() < 100, timeout=WAIT_MS)
    ide.set_theme("light")
    qtbot.waitUntil(lambda: charts.background.lightness() > 200, timeout=WAIT_MS)
