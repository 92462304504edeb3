"""Profiler dock widgets: live charts (pyqtgraph, the charting library the project uses) and the load-run
form. Layout and signals only."""

from __future__ import annotations

import math
import time
from pathlib import Path

import numpy as np
import pyqtgraph as pg  # type: ignore[import-untyped]
from PySide6.QtCore import QEvent, QPointF, Qt, Signal
from PySide6.QtGui import QPalette
from PySide6.QtWidgets import (
    QComboBox, QDoubleSpinBox, QFileDialog, QFormLayout, QHBoxLayout, QLabel, QLineEdit, QListWidget,
    QPushButton, QSpinBox, QTabWidget, QVBoxLayout, QWidget,
)

from app.layout import ElidingLabel

from app.panels.profiler.controller import LoadRunStarted
from app.panels.profiler.model import WINDOWS, ProfilerFrame, Series
from runtime.loadrun import LoadSpec, LoadSummary

_COLORS = ("#4e9af1", "#f1a94e", "#5cc86f", "#d95ccf", "#c9b22a", "#3bb8c8", "#e85a5a", "#9a8cf1")
MARKERS = {
    # outcome: (symbol, colour, legend label)
    "timeout": ("t", "#e8912d", "timeout"),
    "memory": ("s", "#c74fc0", "memory limit"),
    "rejected": ("d", "#8c8c8c", "rejected"),
    "error": ("x", "#e0453f", "error"),
    "recycle": ("o", "#2ba7b8", "recycled"),
}
"""How each event is drawn on the latency chart, and named in its legend."""
_MARKERS = MARKERS
LIMIT_ZOOM = 6
"""The heap chart includes the memory limit line when the largest heap is within this factor of it."""
CHARTS = ("heap", "latency", "throughput", "queue", "pool")
CHART_TITLES = {"heap": "Heap", "latency": "Latency", "throughput": "Throughput", "queue": "Queue wait",
                "pool": "Pool"}


def _set(item: pg.PlotDataItem, series: Series, origin: float = 0.0) -> None:
    item.setData(series.x + origin if len(series.x) else series.x, series.y)


def _format_value(value: float, unit: str) -> str:
    if unit == "B":
        return f"{value / 1e6:.1f} MB"
    return f"{value:.2f} {unit}" if unit == "ms" else f"{value:.0f} {unit}".rstrip()


class WallClockAxis(pg.DateAxisItem):
    """pyqtgraph's date axis (tick placement by calendar units), labelled as a clock: ``14:03:25``, with
    tenths only when ticks are less than a second apart (the stock labels read ``32.000`` there)."""

    def tickStrings(self, values: list[float], scale: float, spacing: float) -> list[str]:  # noqa: N802
        """Local wall-clock time of each tick."""
        if spacing >= 3600 * 24:
            return super().tickStrings(values, scale, spacing)
        tenths = spacing < 1 and any(round(v % 1 * 10) % 10 for v in values)
        return [time.strftime("%H:%M:%S", time.localtime(v)) + (f".{int(round(v % 1 * 10)) % 10}" if tenths else "")
                for v in values]


class Crosshair:
    """A vertical and horizontal line following the mouse over one plot, with the time and every named
    curve's value at that time (the nearest point before it) in a box beside the cursor."""

    def __init__(self, plot: pg.PlotItem, unit: str) -> None:
        self.plot = plot
        self.unit = unit
        pen = pg.mkPen((128, 128, 128), width=1, style=Qt.PenStyle.DashLine)
        self.vline = pg.InfiniteLine(angle=90, movable=False, pen=pen)
        self.hline = pg.InfiniteLine(angle=0, movable=False, pen=pen)
        self.label = pg.TextItem("", anchor=(0, 1), border=pg.mkPen((128, 128, 128)), fill=pg.mkBrush(255, 255, 255, 220),
                                 color=(20, 20, 20))
        for item in (self.vline, self.hline, self.label):
            item.setZValue(100)
            plot.addItem(item, ignoreBounds=True)
            item.hide()

    def text_at(self, x: float) -> str:
        """Time and values at ``x`` (epoch seconds)."""
        lines = [time.strftime("%H:%M:%S", time.localtime(x)) + f".{int((x % 1) * 10)}"]
        for item in self.plot.listDataItems():
            name = item.name()
            xs, ys = item.getData()
            if not name or xs is None or not len(xs):
                continue
            index = int(np.searchsorted(xs, x, side="right")) - 1
            if 0 <= index < len(xs) and x - xs[index] <= 5.0:
                lines.append(f"{name}: {_format_value(float(ys[index]), self.unit)}")
        return "\n".join(lines)

    def move_to(self, scene_pos: QPointF) -> bool:
        """Follow the mouse at ``scene_pos``; hide when it is outside the plot. Returns whether shown."""
        box = self.plot.vb.sceneBoundingRect()
        if not box.contains(scene_pos):
            self.hide()
            return False
        point = self.plot.vb.mapSceneToView(scene_pos)
        self.vline.setPos(point.x())
        self.hline.setPos(point.y())
        self.label.setText(self.text_at(point.x()))
        (x0, x1), (y0, y1) = self.plot.vb.viewRange()
        right = point.x() > (x0 + x1) / 2
        top = point.y() > (y0 + y1) / 2
        self.label.setAnchor((1 if right else 0, 0 if top else 1))
        self.label.setPos(point.x(), point.y())
        for item in (self.vline, self.hline, self.label):
            item.show()
        return True

    def hide(self) -> None:
        """Hide the lines and the values."""
        for item in (self.vline, self.hline, self.label):
            item.hide()


class ProfilerWidget(QWidget):
    """Heap per isolate (limit line, isolate legend), latency p50/p95/p99 with labelled event markers
    (timeouts, memory-limit hits, rejections, errors, recycles), throughput, queue wait and pool occupancy:
    one chart per tab, so each gets the dock's whole height. Wall-clock time axes (x-linked), colours from
    the application palette (light or dark), and a crosshair with the values under the mouse."""

    sig_window_changed = Signal(str)
    """str: the time window chosen ("30 s", "5 min" or "all")."""
    sig_pause_toggled = Signal(bool)
    """bool: True when the user paused the charts, False on resume."""
    sig_clear_requested = Signal()
    """The user asked to clear the charts."""
    sig_export_requested = Signal(Path)
    """Path: the CSV file the user chose for exporting the records."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(2, 2, 2, 2)
        layout.setSpacing(2)
        layout.addLayout(self._create_toolbar())
        self.tabs = QTabWidget(self)
        self.tabs.setDocumentMode(True)
        layout.addWidget(self.tabs, 1)
        self.views: dict[str, pg.GraphicsLayoutWidget] = {}
        self.plots: dict[str, pg.PlotItem] = {}
        self.crosshairs: dict[str, Crosshair] = {}
        self._origin = 0.0
        self._create_plots()
        self.apply_palette()

    def _create_toolbar(self) -> QHBoxLayout:
        bar = QHBoxLayout()
        self.window_box = QComboBox(self)
        self.window_box.addItems(list(WINDOWS))
        self.window_box.currentTextChanged.connect(self.sig_window_changed)
        self.pause_button = QPushButton("Pause", self)
        self.pause_button.setCheckable(True)
        self.pause_button.toggled.connect(self.on_pause_button_toggled)
        clear = QPushButton("Clear", self)
        clear.clicked.connect(self.sig_clear_requested)
        export = QPushButton("Export CSV…", self)
        export.clicked.connect(self.on_export_clicked)
        self.status = ElidingLabel("", self)
        for w in (QLabel("Window:", self), self.window_box, self.pause_button, clear, export):
            bar.addWidget(w)
        bar.addWidget(self.status, 1)
        return bar

    def _plot(self, key: str, title: str, unit: str) -> pg.PlotItem:
        """A tab with a one-line legend above the chart (never over the lines) and the chart."""
        view = pg.GraphicsLayoutWidget(self)
        view.setMinimumHeight(60)
        view.ci.layout.setContentsMargins(2, 2, 6, 2)
        view.ci.layout.setSpacing(0)
        legend = pg.LegendItem(colCount=6, labelTextSize="8pt", verSpacing=-6, horSpacing=12)
        legend.layout.setContentsMargins(50, 0, 0, 0)
        view.addItem(legend, row=0, col=0)
        plot = view.addPlot(row=1, col=0, axisItems={"bottom": WallClockAxis(orientation="bottom")})
        plot.legend = legend  # (PlotItem adds every named curve to it: one row above the chart, never over it)
        plot.setTitle(None)
        view.setToolTip(title)
        view.ci.layout.setRowStretchFactor(1, 10)
        if unit == "B":
            plot.setLabel("left", units=unit)  # SI-prefixed: kB, MB
        elif unit:
            plot.setLabel("left", unit)
        plot.showGrid(x=True, y=True, alpha=0.25)
        plot.setMouseEnabled(x=False, y=False)
        plot.hideButtons()
        plot.getAxis("left").setWidth(54)
        plot.getAxis("bottom").setHeight(22)
        self.views[key] = view
        self.plots[key] = plot
        self.crosshairs[key] = Crosshair(plot, unit)
        view.scene().sigMouseMoved.connect(lambda pos, k=key: self.crosshairs[k].move_to(pos))
        self.tabs.addTab(view, CHART_TITLES[key])
        return plot

    def _create_plots(self) -> None:
        self.heap_plot = self._plot("heap", "Heap used per isolate", "B")
        limit_pen = pg.mkPen("#e0453f", width=1.5, style=Qt.PenStyle.DashLine)
        self.limit_line = pg.InfiniteLine(angle=0, pen=limit_pen, label="limit",
                                          labelOpts={"position": 0.97, "color": "#e0453f", "anchors": [(1, 1), (1, 1)]})
        self.heap_plot.addItem(self.limit_line)
        self.limit_key = pg.PlotDataItem(pen=limit_pen)
        """The limit's legend entry (the line itself may be above a chart zoomed on small heaps)."""
        self.limit_key_text = ""
        self.heap_curves: dict[int, pg.PlotDataItem] = {}
        self.latency_plot = self._plot("latency", "Latency per request, p50 / p95 / p99 per second", "ms")
        self.latency_points = self.latency_plot.plot(pen=None, symbol="o", symbolSize=3, symbolPen=None,
                                                     symbolBrush=(128, 128, 128, 90))
        self.p_curves = {name: self.latency_plot.plot(pen=pg.mkPen(color, width=2), name=name,
                                                      symbol="o", symbolSize=4, symbolBrush=color, symbolPen=None)
                         for name, color in (("p50", "#2e9e4f"), ("p95", "#e8912d"), ("p99", "#e0453f"))}
        self.event_items = {kind: self.latency_plot.plot(pen=None, symbol=symbol, symbolBrush=colour,
                                                         symbolPen=pg.mkPen(colour), symbolSize=10, name=label)
                            for kind, (symbol, colour, label) in MARKERS.items()}
        self.rate_plot = self._plot("throughput", "Throughput", "req/s")
        self.rate_curve = self.rate_plot.plot(pen=pg.mkPen("#4e9af1", width=2), symbol="o", symbolSize=4,
                                              symbolBrush="#4e9af1", symbolPen=None, name="requests/s")
        self.queue_plot = self._plot("queue", "Queue wait per request", "ms")
        self.queue_curve = self.queue_plot.plot(pen=None, symbol="o", symbolSize=4, symbolBrush="#c74fc0",
                                                symbolPen=None, name="queue wait")
        self.pool_plot = self._plot("pool", "Pool occupancy", "isolates")
        self.busy_curve = self.pool_plot.plot(pen=pg.mkPen("#c9b22a", width=2), name="busy", stepMode=None)
        self.idle_curve = self.pool_plot.plot(pen=pg.mkPen("#2ba7b8", width=2), name="idle")
        for plot in (self.latency_plot, self.rate_plot, self.queue_plot, self.pool_plot):
            plot.setXLink(self.heap_plot)


    # -- theme ------------------------------------------------------------------------
    def changeEvent(self, event: QEvent) -> None:  # noqa: N802 - Qt override
        """Follow the application's light/dark palette."""
        super().changeEvent(event)
        if event.type() == QEvent.Type.PaletteChange:
            self.apply_palette()

    def apply_palette(self) -> None:
        """Chart background, axes, titles and legends in the palette's colours."""
        palette = self.palette()
        background = palette.color(QPalette.ColorRole.Base)
        text = palette.color(QPalette.ColorRole.Text)
        self.background = background
        for key, view in self.views.items():
            view.setBackground(background)
            plot = self.plots[key]
            for name in ("left", "bottom"):
                axis = plot.getAxis(name)
                axis.setPen(pg.mkPen(text))
                axis.setTextPen(pg.mkPen(text))
            legend = plot.legend
            if legend is not None:
                legend.setLabelTextColor(text)
            dark = background.lightness() < 128
            crosshair = self.crosshairs[key]
            crosshair.label.fill = pg.mkBrush(40, 40, 40, 230) if dark else pg.mkBrush(255, 255, 255, 230)
            crosshair.label.setColor(text)
            crosshair.label.update()

    # -- rendering -----------------------------------------------------------------
    def render_frame(self, frame: ProfilerFrame) -> None:
        """Draw every chart from ``frame``."""
        origin = self._origin = frame.origin
        self._render_heap(frame)
        _set(self.latency_points, frame.latency, origin)
        for name, series in (("p50", frame.p50), ("p95", frame.p95), ("p99", frame.p99)):
            _set(self.p_curves[name], series, origin)
        for kind, item in self.event_items.items():
            _set(item, frame.marker_points.get(kind, Series(np.empty(0), np.empty(0))), origin)
        _set(self.rate_curve, frame.throughput, origin)
        _set(self.queue_curve, frame.queue_wait, origin)
        _set(self.busy_curve, frame.busy, origin)
        _set(self.idle_curve, frame.idle, origin)
        lo, hi = frame.x_range
        self.heap_plot.setXRange(lo + origin, hi + origin, padding=0.01)

    def _render_heap(self, frame: ProfilerFrame) -> None:
        for isolate_id, series in frame.heap_used.items():
            curve = self.heap_curves.get(isolate_id)
            if curve is None:
                pen = pg.mkPen(_COLORS[len(self.heap_curves) % len(_COLORS)], width=2)
                curve = self.heap_plot.plot(pen=pen, name=f"isolate {isolate_id}")
                self.heap_plot.legend.setLabelTextColor(self.palette().color(QPalette.ColorRole.Text))
                self.heap_curves[isolate_id] = curve
            _set(curve, series, frame.origin)
        for isolate_id in [i for i in self.heap_curves if i not in frame.heap_used]:  # recycled, or out of the window
            curve = self.heap_curves.pop(isolate_id)
            self.heap_plot.legend.removeItem(curve)
            self.heap_plot.removeItem(curve)
        limit = frame.heap_limit
        used = max([float(s.y.max()) for s in frame.heap_used.values() if len(s.y)] or [0.0])
        # the chart shows the limit when the heaps come within LIMIT_ZOOM of it; else it zooms on the heaps
        # and the legend says the limit is above
        shown = limit > 0 and (used == 0 or limit <= used * LIMIT_ZOOM)
        self.limit_line.setVisible(shown)
        text = f"limit: memory_mb = {limit / 1048576:.0f}" if limit > 0 else ""
        if limit > 0:
            self.limit_line.setValue(limit)
            self.limit_line.label.setFormat(text)
        self._set_limit_key(text if shown or not text else f"{text} (above)")
        top = limit * 1.08 if shown else used * 1.3
        if top > 0:
            self.heap_plot.setYRange(0, top, padding=0)

    def _set_limit_key(self, text: str) -> None:
        if text == self.limit_key_text:
            return
        legend = self.heap_plot.legend
        if self.limit_key_text:
            legend.removeItem(self.limit_key)
        if text:
            legend.addItem(self.limit_key, text)
            legend.setLabelTextColor(self.palette().color(QPalette.ColorRole.Text))
        self.limit_key_text = text

    def legend_names(self, key: str) -> list[str]:
        """The names the legend of chart ``key`` shows (for tests and screenshots)."""
        legend = self.plots[key].legend
        return [label.text for _sample, label in legend.items] if legend is not None else []

    def show_chart(self, key: str) -> None:
        """Bring chart ``key`` (one of ``CHARTS``) to the front."""
        self.tabs.setCurrentWidget(self.views[key])

    def show_status(self, text: str) -> None:
        """Show a one-line status."""
        self.status.setText(text)

    # -- slots ---------------------------------------------------------------------
    def on_pause_button_toggled(self, checked: bool) -> None:
        """Relabel the button and tell the controller."""
        self.pause_button.setText("Resume" if checked else "Pause")
        self.sig_pause_toggled.emit(checked)

    def on_export_clicked(self) -> None:
        """Ask where to write the CSV."""
        path, _ = QFileDialog.getSaveFileName(self, "Export profile", "profile.csv", "CSV (*.csv)")
        if path:
            self.sig_export_requested.emit(Path(path))


class LoadRunWidget(QWidget):
    """The load-run form: count or duration, concurrency, run/cancel, summary, histogram, past runs."""

    sig_run_requested = Signal(LoadSpec)
    """LoadSpec: the user asked for a run with this count/duration and concurrency."""
    sig_cancel_requested = Signal()
    """The user asked to stop the current run."""
    sig_run_selected = Signal(int)
    """int: index of the past run the user picked for the detail view."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        layout = QHBoxLayout(self)
        left = QVBoxLayout()
        left.addLayout(self._create_form())
        self.summary = QLabel("No runs yet.", self)
        self.summary.setWordWrap(True)
        left.addWidget(self.summary)
        self.runs_list = QListWidget(self)
        self.runs_list.currentRowChanged.connect(self.on_runs_list_row_changed)
        left.addWidget(QLabel("Past runs (pick one to compare):", self))
        left.addWidget(self.runs_list, 1)
        layout.addLayout(left, 1)
        self.histogram = pg.PlotWidget(self, title="Latency histogram (ms, bucket upper bound)")
        self.histogram.setLabel("left", "requests")
        self.bars: pg.BarGraphItem | None = None
        layout.addWidget(self.histogram, 2)

    def _create_form(self) -> QFormLayout:
        form = QFormLayout()
        self.request_edit = QLineEdit("GET /", self)
        self.request_edit.setReadOnly(True)
        self.count_box = QSpinBox(self)
        self.count_box.setRange(0, 10_000_000)
        self.count_box.setValue(1000)
        self.count_box.setSpecialValueText("no limit")
        self.duration_box = QDoubleSpinBox(self)
        self.duration_box.setRange(0, 3600)
        self.duration_box.setSpecialValueText("no limit")
        self.duration_box.setSuffix(" s")
        self.concurrency_box = QSpinBox(self)
        self.concurrency_box.setRange(1, 256)
        self.concurrency_box.setValue(8)
        self.run_button = QPushButton("Run load", self)
        self.run_button.clicked.connect(self.on_run_button_clicked)
        self.progress = QLabel(self)
        for label, w in (("Request", self.request_edit), ("Requests (N)", self.count_box),
                         ("Duration", self.duration_box), ("Concurrency", self.concurrency_box),
                         ("", self.run_button), ("", self.progress)):
            form.addRow(label, w)
        return form

    def requested_spec(self) -> LoadSpec | None:
        """The spec the form describes (None: neither a count nor a duration)."""
        count = self.count_box.value() or None
        duration = self.duration_box.value() or None
        if count is None and duration is None:
            return None
        return LoadSpec(count=count, duration_s=duration, concurrency=self.concurrency_box.value())

    def set_request_label(self, label: str) -> None:
        """Show which request a run fires."""
        self.request_edit.setText(label)

    # -- view API --------------------------------------------------------------------
    def show_running(self, started: LoadRunStarted | None) -> None:
        """Switch the button between Run and Cancel."""
        self.run_button.setText("Cancel" if started else "Run load")
        self.progress.setText(f"running {started.label}…" if started else "")

    def show_progress(self, done: int) -> None:
        """Invocations completed so far."""
        self.progress.setText(f"{done} done")

    def show_runs(self, runs: list[LoadSummary], current: LoadSummary | None) -> None:
        """List past runs and show ``current``'s summary and histogram."""
        self.runs_list.blockSignals(True)
        self.runs_list.clear()
        self.runs_list.addItems([_run_line(i, r) for i, r in enumerate(runs, 1)])
        if current is not None and current in runs:
            self.runs_list.setCurrentRow(runs.index(current))
        self.runs_list.blockSignals(False)
        if current is not None:
            self.summary.setText(_summary_text(current))
            self._draw_histogram(current)

    def _draw_histogram(self, summary: LoadSummary) -> None:
        if self.bars is not None:
            self.histogram.removeItem(self.bars)
        heights = [c for _b, c in summary.histogram]
        self.bars = pg.BarGraphItem(x=np.arange(len(heights)), height=heights, width=0.8, brush="#4e9af1")
        self.histogram.addItem(self.bars)
        ticks = [(i, "inf" if math.isinf(b) else f"{b:g}") for i, (b, _c) in enumerate(summary.histogram)]
        self.histogram.getAxis("bottom").setTicks([ticks])

    # -- slots ---------------------------------------------------------------------
    def on_run_button_clicked(self) -> None:
        """Run, or cancel the run in progress."""
        if self.run_button.text() == "Cancel":
            self.sig_cancel_requested.emit()
            return
        spec = self.requested_spec()
        if spec is None:
            self.progress.setText("set a request count or a duration")
            return
        self.sig_run_requested.emit(spec)

    def on_runs_list_row_changed(self, row: int) -> None:
        """Show the picked past run."""
        if row >= 0:
            self.sig_run_selected.emit(row)


def _run_line(index: int, s: LoadSummary) -> str:
    return (f"#{index} {s.label}  n={s.count} c={s.concurrency}  {s.rps:.0f} req/s  p50 {s.p50_ms:.2f}  "
            f"p99 {s.p99_ms:.2f} ms  errors {s.error_count}  heap {s.heap_growth_bytes / 1e6:+.2f} MB")


def _summary_text(s: LoadSummary) -> str:
    errors = ", ".join(f"{k} {v}" for k, v in s.errors.items()) or "none"
    return (f"<b>{s.label}</b>: {s.count} requests in {s.duration_s:.2f} s, {s.rps:.1f} req/s"
            f"{' (cancelled)' if s.cancelled else ''}<br>errors: {s.error_count} ({errors})<br>"
            f"p50 {s.p50_ms:.2f} · p95 {s.p95_ms:.2f} · p99 {s.p99_ms:.2f} · max {s.max_ms:.2f} ms<br>"
            f"heap growth {s.heap_growth_bytes:+,} bytes")
