"""``ResponseController``: turns run results into the response view's model; resolves error links."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from PySide6.QtCore import QObject, Signal

from app.panels.response.render import ResponseModel, describe_trigger, model_for_refusal, model_for_result, parse_source_link
from app.services.runtime_service import BuildFinished, InvocationFinished, InvocationRefused
from runtime.invocation import Trigger


STALE_NOTE = "⚠ last good build: the sources don't build"
"""Shown above a response while the newest build failed."""


@dataclass(frozen=True)
class LinkActivated:
    """Payload of ``ResponseWidget.sig_link_activated``."""

    href: str
    """The link's target, e.g. ``source:src/index.ts:12:5``."""


class ResponseView(Protocol):
    """What the controller needs from the response widget."""

    def show_model(self, model: ResponseModel, title: str) -> None:
        """Show a finished run."""
        ...

    def show_running(self, title: str) -> None:
        """Show that ``title`` is running."""
        ...


class ResponseController(QObject):
    """Shows the newest run's outcome and turns error links into locations."""

    sig_location_requested = Signal(object)
    """SourceLocation: a ``file:line`` link was clicked; open the editor there."""

    def __init__(self, view: ResponseView, theme: str = "light", parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.view = view
        self.theme = theme
        self.root: Path | None = None
        self.model: ResponseModel | None = None
        """The model last shown."""
        self.broken_build: str | None = None
        """Set while the newest build failed (runs are answered by the last good build)."""

    def show_running(self, trigger: Trigger) -> None:
        """A run started."""
        self.view.show_running(describe_trigger(trigger))

    def on_build_finished(self, finished: BuildFinished) -> None:
        """Slot: a (re)build ended; while the sources do not build, runs answer from the last good build."""
        self.broken_build = None if finished.report.ok else finished.report.version or "the current sources"

    def show_finished(self, finished: InvocationFinished) -> None:
        """A run ended (said to come from the last good build while the current sources do not build)."""
        self.root = finished.root
        self.model = model_for_result(finished.result, finished.root, self.theme)
        if self.broken_build is not None and not finished.debugged:
            self.model = dataclasses.replace(
                self.model, meta=f"{STALE_NOTE} · {self.model.meta}" if self.model.meta else STALE_NOTE)
        self.view.show_model(self.model, describe_trigger(finished.trigger))

    def show_refused(self, refused: InvocationRefused) -> None:
        """A run could not start (build error)."""
        self.root = refused.root
        self.model = model_for_refusal(refused.error, refused.root)
        self.view.show_model(self.model, describe_trigger(refused.trigger))

    def on_view_link_activated(self, link: LinkActivated) -> None:
        """Slot: a link in the error view was clicked."""
        location = parse_source_link(link.href, self.root or Path.cwd())
        if location is not None:
            self.sig_location_requested.emit(location)
