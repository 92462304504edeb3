"""R2 browser panel: the project's R2 buckets, their objects, a preview, uploads and deletes.

Wiring (composition root)::

    panel = create_r2_panel(parent, thread, bridge, on_failure)
    dock.setWidget(panel.widget)
    panel.attach(runtime)   # on project open (ProjectRuntime) / close (None)
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from PySide6.QtWidgets import QWidget

from app.bridge import FutureBridge
from app.panels.r2.controller import R2BrowserController
from app.panels.r2.widget import R2BrowserWidget
from app.services.types import Failure
from runtime.loop import RuntimeThread
from runtime.service import ProjectRuntime


@dataclass(frozen=True)
class R2Panel:
    """The R2 browser widget and its controller, connected."""

    widget: R2BrowserWidget
    controller: R2BrowserController

    def attach(self, runtime: ProjectRuntime | None) -> None:
        """Follow ``runtime`` (None when the project closes)."""
        self.controller.attach(runtime)


def create_r2_panel(parent: QWidget, thread: RuntimeThread, bridge: FutureBridge,
                    on_failure: Callable[[Failure], None]) -> R2Panel:
    """Build the R2 browser and connect its signals to its controller."""
    widget = R2BrowserWidget(parent)
    c = R2BrowserController(widget, thread, bridge, on_failure, parent=widget)
    widget.sig_bucket_selected.connect(c.set_bucket)
    widget.sig_prefix_changed.connect(c.set_prefix)
    widget.sig_key_selected.connect(c.select)
    widget.sig_upload_requested.connect(c.upload)
    widget.sig_download_requested.connect(c.download)
    widget.sig_delete_requested.connect(c.delete)
    widget.sig_refresh_requested.connect(c.refresh)
    return R2Panel(widget, c)


__all__ = ["R2BrowserController", "R2BrowserWidget", "R2Panel", "create_r2_panel"]
