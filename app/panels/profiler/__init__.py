"""Profiler panel: live charts of the runtime's metrics, and load runs.

Wiring (composition root)::

    panel = create_profiler_panel(parent, thread, bridge, on_failure)
    dock.setWidget(panel.charts)               # the Profiler dock
    other_dock.setWidget(panel.load_form)      # the Load run form (or a tab of the simulator)
    # when a project opens / closes:
    panel.attach(runtime)                      # ProjectRuntime | None
    # when the simulator's request changes:
    panel.load.set_trigger(trigger, "GET /x"); panel.load_form.set_request_label("GET /x")
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from PySide6.QtWidgets import QWidget

from app.bridge import FutureBridge
from app.panels.profiler.controller import LoadRunController, ProfilerController
from app.panels.profiler.widget import LoadRunWidget, ProfilerWidget
from app.services.types import Failure
from runtime.loop import RuntimeThread
from runtime.service import ProjectRuntime


@dataclass(frozen=True)
class ProfilerPanel:
    """The widgets and controllers of the profiler feature, already connected."""

    charts: ProfilerWidget
    profiler: ProfilerController
    load_form: LoadRunWidget
    load: LoadRunController

    def attach(self, runtime: ProjectRuntime | None) -> None:
        """Follow ``runtime`` (None when the project closes)."""
        self.profiler.attach(runtime)
        self.load.attach(runtime)

    def close(self) -> None:
        """Stop timers, subscriptions and any load run."""
        self.load.cancel()
        self.profiler.close()


def create_profiler_panel(parent: QWidget, thread: RuntimeThread, bridge: FutureBridge,
                          on_failure: Callable[[Failure], None]) -> ProfilerPanel:
    """Build the profiler charts and the load-run form with their controllers, and connect them."""
    charts = ProfilerWidget(parent)
    profiler = ProfilerController(charts, thread, bridge, on_failure, parent=charts)
    charts.sig_window_changed.connect(profiler.set_window)
    charts.sig_pause_toggled.connect(profiler.set_paused)
    charts.sig_clear_requested.connect(profiler.clear)
    charts.sig_export_requested.connect(profiler.export_csv)
    form = LoadRunWidget(parent)
    load = LoadRunController(form, thread, bridge, on_failure, parent=form)
    form.sig_run_requested.connect(load.start)
    form.sig_cancel_requested.connect(load.cancel)
    form.sig_run_selected.connect(load.show)
    return ProfilerPanel(charts, profiler, form, load)


__all__ = ["LoadRunController", "LoadRunWidget", "ProfilerController", "ProfilerPanel", "ProfilerWidget",
           "create_profiler_panel"]
