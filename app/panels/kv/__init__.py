"""KV browser panel: namespaces, keys, values, edits and import/export of the project's KV.

Wiring (composition root)::

    panel = create_kv_panel(parent, thread, bridge, on_failure)
    dock.setWidget(panel.widget)
    panel.controller.attach(runtime)   # on project open (ProjectRuntime) / close (None)
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from PySide6.QtWidgets import QWidget

from app.bridge import FutureBridge
from app.panels.kv.controller import KVBrowserController, render_value
from app.panels.kv.widget import KVBrowserWidget
from app.services.types import Failure
from runtime.loop import RuntimeThread
from runtime.service import ProjectRuntime


@dataclass(frozen=True)
class KVPanel:
    """The KV browser widget and its controller, connected."""

    widget: KVBrowserWidget
    controller: KVBrowserController

    def attach(self, runtime: ProjectRuntime | None) -> None:
        """Follow ``runtime`` (None when the project closes)."""
        self.controller.attach(runtime)


def create_kv_panel(parent: QWidget, thread: RuntimeThread, bridge: FutureBridge,
                    on_failure: Callable[[Failure], None]) -> KVPanel:
    """Build the KV browser and connect its signals to its controller."""
    widget = KVBrowserWidget(parent)
    c = KVBrowserController(widget, thread, bridge, on_failure, parent=widget)
    widget.sig_namespace_selected.connect(c.set_namespace)
    widget.sig_prefix_changed.connect(c.set_prefix)
    widget.sig_page_requested.connect(lambda step: c.next_page() if step > 0 else c.previous_page())
    widget.sig_key_selected.connect(c.select)
    widget.sig_mode_changed.connect(c.set_mode)
    widget.sig_put_requested.connect(c.put)
    widget.sig_delete_requested.connect(c.delete)
    widget.sig_export_requested.connect(c.export_to)
    widget.sig_import_requested.connect(c.import_from)
    return KVPanel(widget, c)


__all__ = ["KVBrowserController", "KVBrowserWidget", "KVPanel", "create_kv_panel", "render_value"]
