"""Profiler dock widgets: live charts (pyqtgraph) and the load-run form. Layout and signals only."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pyqtgraph as pg  # type: ignore[import-untyped]
from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QComboBox, QDoubleSpinBox, QFileDialog, QFormLayout, QHBoxLayout, QLabel, QLineEdit, QListWidget,
    QPushButton, QSpinBox, QVBoxLayout, QWidget,
)

from app.panels.profiler.controller import LoadRunStarted
from app.panels.profiler.model import WINDOWS, ProfilerFrame, Series
from runtime.loadrun import LoadSpec, LoadSummary

_COLORS = ("#4e9af1", "#f1a94e", "#5cc86f", "#d95ccf", "#e8e15a", "#5ad8e8", "#e85a5a", "#9a8cf1")
_MARKERS = {"error": ("x", "#e85a5a"), "timeout": ("t", "#f1a94e"), "memory": ("s", "#d95ccf"),
            "rejected": ("d", "#aaaaaa"), "recycle": ("o", "#5ad8e8")}


def _set(item: pg.PlotDataItem, series: Series) -> None:
    item.setData(series.x, series.y)


class ProfilerWidget(QWidget):
    """Charts of heap, latency, throughput, queue wait, pool occupancy and events."""

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
        layout.addLayout(self._create_toolbar())
        self.charts = pg.GraphicsLayoutWidget(self)
        layout.addWidget(self.charts, 1)
        self._create_plots()

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
        self.status = QLabel(self)
        for w in (QLabel("Window:", self), self.window_box, self.pause_button, clear, export):
            bar.addWidget(w)
        bar.addWidget(self.status, 1)
        return bar

    def _plot(self, row: int, title: str, unit: str) -> pg.PlotItem:
        plot = self.charts.addPlot(row=row, col=0, title=title)
        if unit == "B":
            plot.setLabel("left", units=unit)  # SI-prefixed: kB, MB
        else:
            plot.setLabel("left", unit)
        plot.showGrid(x=True, y=True, alpha=0.2)
        plot.setMouseEnabled(x=False, y=False)
        return plot

    def _create_plots(self) -> None:
        self.heap_plot = self._plot(0, "Heap used per isolate", "B")
        self.heap_plot.addLegend(offset=(-5, 5))
        self.limit_line = pg.InfiniteLine(angle=0, pen=pg.mkPen("#e85a5a", style=pg.QtCore.Qt.PenStyle.DashLine),
                                          label="limit", labelOpts={"position": 0.05})
        self.heap_plot.addItem(self.limit_line)
        self.heap_curves: dict[int, pg.PlotDataItem] = {}
        self.latency_plot = self._plot(1, "Latency (p50 / p95 / p99)", "ms")
        self.latency_plot.addLegend(offset=(-5, 5))
        self.latency_points = self.latency_plot.plot(pen=None, symbol="o", symbolSize=3, symbolPen=None,
                                                     symbolBrush=(150, 150, 150, 90))
        self.p_curves = {name: self.latency_plot.plot(pen=pg.mkPen(color, width=2), name=name,
                                                         symbol="o", symbolSize=5, symbolBrush=color, symbolPen=None)
                         for name, color in (("p50", "#5cc86f"), ("p95", "#f1a94e"), ("p99", "#e85a5a"))}
        self.rate_plot = self._plot(2, "Throughput", "req/s")
        self.rate_curve = self.rate_plot.plot(pen=pg.mkPen("#4e9af1", width=2), symbol="o", symbolSize=5,
                                              symbolBrush="#4e9af1", symbolPen=None)
        self.queue_plot = self._plot(3, "Queue wait", "ms")
        self.queue_curve = self.queue_plot.plot(pen=None, symbol="o", symbolSize=3, symbolBrush="#d95ccf")
        self.pool_plot = self._plot(4, "Pool occupancy", "isolates")
        self.pool_plot.addLegend(offset=(-5, 5))
        self.busy_curve = self.pool_plot.plot(pen=pg.mkPen("#e8e15a", width=2), name="busy")
        self.idle_curve = self.pool_plot.plot(pen=pg.mkPen("#5ad8e8", width=2), name="idle")
        self.event_plot = self._plot(5, "Events", "")
        self.event_plot.getAxis("left").setTicks([[(i, k) for i, k in enumerate(_MARKERS, 1)], []])
        self.event_plot.getAxis("left").setStyle(textFillLimits=[(0, 1.0)])
        self.charts.ci.layout.setRowStretchFactor(5, 2)
        self.event_plot.setYRange(0.5, len(_MARKERS) + 0.5)
        self.event_items = {k: self.event_plot.plot(pen=None, symbol=s, symbolBrush=c, symbolPen=c, symbolSize=9)
                            for k, (s, c) in _MARKERS.items()}
        self.event_plot.enableAutoRange(axis="y", enable=False)
        self.event_plot.setYRange(0.5, len(_MARKERS) + 0.5, padding=0)
        for plot in (self.latency_plot, self.rate_plot, self.queue_plot, self.pool_plot, self.event_plot):
            plot.setXLink(self.heap_plot)
        self.event_plot.setLabel("bottom", "time", units="s")

    # -- rendering -----------------------------------------------------------------
    def render_frame(self, frame: ProfilerFrame) -> None:
        """Draw every chart from ``frame``."""
        self._render_heap(frame)
        _set(self.latency_points, frame.latency)
        for name, series in (("p50", frame.p50), ("p95", frame.p95), ("p99", frame.p99)):
            _set(self.p_curves[name], series)
        _set(self.rate_curve, frame.throughput)
        _set(self.queue_curve, frame.queue_wait)
        _set(self.busy_curve, frame.busy)
        _set(self.idle_curve, frame.idle)
        for index, (kind, item) in enumerate(self.event_items.items(), 1):
            xs = frame.markers.get(kind, np.empty(0))
            item.setData(xs, np.full(len(xs), float(index)))
        self.heap_plot.setXRange(*frame.x_range, padding=0.01)

    def _render_heap(self, frame: ProfilerFrame) -> None:
        for isolate_id, series in frame.heap_used.items():
            curve = self.heap_curves.get(isolate_id)
            if curve is None:
                pen = pg.mkPen(_COLORS[len(self.heap_curves) % len(_COLORS)], width=2)
                curve = self.heap_plot.plot(pen=pen, name=f"isolate {isolate_id}")
                self.heap_curves[isolate_id] = curve
            _set(curve, series)
        for isolate_id, curve in self.heap_curves.items():
            if isolate_id not in frame.heap_used:
                curve.setData([], [])
        self.limit_line.setVisible(frame.heap_limit > 0)
        if frame.heap_limit > 0:
            self.limit_line.setValue(frame.heap_limit)

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
