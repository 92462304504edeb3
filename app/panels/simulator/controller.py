"""``SimulatorController``: validates the simulator's forms, keeps history and saved requests."""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from PySide6.QtCore import QObject, Signal

from app.bridge import FutureBridge
from app.panels.simulator.curl import DEFAULT_ORIGIN, parse_curl, to_curl
from app.panels.simulator.forms import (HttpForm, SavedRequests, SimulatorForm, SimulatorInputError, body_note, renamed,
                                       to_trigger)
from app.services.files import FileService
from app.services.types import Failure
from runtime.invocation import Trigger

MAX_HISTORY = 50
REQUESTS_FILE = Path(".isoplay") / "requests.json"


@dataclass(frozen=True)
class RunRequested:
    """Payload of ``SimulatorController.sig_run_requested``."""

    trigger: Trigger
    """The validated trigger to run."""


@dataclass(frozen=True)
class FormSubmitted:
    """Payload of the simulator widget's intents that carry a form."""

    form: SimulatorForm
    """The form of the tab the action came from."""


@dataclass(frozen=True)
class TextSubmitted:
    """Payload of intents that carry text typed by the user (a curl command, a name)."""

    text: str
    """What was typed or pasted."""


class SimulatorView(Protocol):
    """What the controller needs from the simulator widget."""

    def current_form(self) -> SimulatorForm | None:
        """The form of the visible tab (None: a tab that runs its own action)."""
        ...

    def set_http_form(self, form: HttpForm) -> None:
        """Fill the HTTP tab."""
        ...

    def set_history(self, titles: list[str]) -> None:
        """History entries, newest first."""
        ...

    def set_saved(self, names: list[str]) -> None:
        """Saved request names."""
        ...

    def set_cron_schedules(self, crons: tuple[str, ...]) -> None:
        """The manifest's schedules."""
        ...

    def show_input_error(self, message: str) -> None:
        """Show why the form cannot be sent ('' clears it)."""
        ...

    def copy_to_clipboard(self, text: str) -> None:
        """Put ``text`` on the clipboard."""
        ...

    def ask_request_name(self, default: str) -> str | None:
        """Ask a name to save the request under."""
        ...


class SimulatorController(QObject):
    """Turns forms into triggers; history, saved requests (``.isoplay/requests.json``) and curl."""

    sig_run_requested = Signal(object)
    """RunRequested: a valid trigger should run now."""

    def __init__(self, view: SimulatorView, files: FileService, bridge: FutureBridge, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.view = view
        self._files = files
        self._bridge = bridge
        self.root: Path | None = None
        self.history: deque[HttpForm] = deque(maxlen=MAX_HISTORY)
        self.saved = SavedRequests()
        self.origin = DEFAULT_ORIGIN
        """Where Copy as curl points: the IDE's local endpoint while it listens."""

    # -- project -----------------------------------------------------------------------

    def set_project(self, root: Path, crons: tuple[str, ...]) -> None:
        """Load the project's saved requests and show its cron schedules."""
        self.root = root
        self.history.clear()
        self.view.set_history([])
        self.view.set_cron_schedules(crons)
        self._bridge.watch(self._files.read_json(root / REQUESTS_FILE, {}), self._on_saved_loaded,
                           self._on_failed, "reading saved requests")

    def _on_saved_loaded(self, data: object) -> None:
        self.saved = SavedRequests.from_json(data)
        self.view.set_saved([r.name for r in self.saved.requests])

    # -- run ----------------------------------------------------------------------------

    def run_current(self) -> bool:
        """Validate the visible tab and ask for it to run (Ctrl+R); False if it is invalid."""
        form = self.view.current_form()
        return False if form is None else self.send(form)

    def send(self, form: SimulatorForm) -> bool:
        """Validate ``form`` and emit ``sig_run_requested``; False (and a message) if invalid."""
        try:
            trigger = to_trigger(form)
        except SimulatorInputError as exc:
            self.view.show_input_error(str(exc))
            return False
        self.view.show_input_error(body_note(form))
        if isinstance(form, HttpForm):
            self._remember(form)
        self.sig_run_requested.emit(RunRequested(trigger))
        return True

    def _remember(self, form: HttpForm) -> None:
        if self.history and self.history[0] == form:
            return
        self.history.appendleft(form)
        self.view.set_history([f.title() for f in self.history])

    # -- saved requests and curl ---------------------------------------------------------

    def save_request(self, form: HttpForm) -> None:
        """Ask a name and store ``form`` in ``.isoplay/requests.json``."""
        name = self.view.ask_request_name(form.name or form.title())
        if not name or not name.strip() or self.root is None:
            return
        self.saved = self.saved.with_saved(renamed(form, name.strip()))
        self._store()

    def delete_saved(self, name: str) -> None:
        """Remove a saved request."""
        self.saved = self.saved.without(name)
        self._store()

    def _store(self) -> None:
        self.view.set_saved([r.name for r in self.saved.requests])
        if self.root is not None:
            future = self._files.write_json(self.root / REQUESTS_FILE, self.saved.to_json())
            self._bridge.watch(future, lambda _p: None, self._on_failed, "saving requests")

    def load_saved(self, name: str) -> None:
        """Put a saved request into the HTTP tab."""
        form = next((r for r in self.saved.requests if r.name == name), None)
        if form is not None:
            self.view.set_http_form(form)

    def load_history(self, index: int) -> None:
        """Put a history entry into the HTTP tab."""
        if 0 <= index < len(self.history):
            self.view.set_http_form(self.history[index])

    def copy_as_curl(self, form: HttpForm) -> str:
        """Put the curl command for ``form`` on the clipboard and return it."""
        command = to_curl(form, self.origin)
        self.view.copy_to_clipboard(command)
        return command

    def import_curl(self, text: str) -> bool:
        """Fill the HTTP tab from a pasted curl command; False (and a message) if it does not parse."""
        try:
            form = parse_curl(text)
        except SimulatorInputError as exc:
            self.view.show_input_error(str(exc))
            return False
        self.view.show_input_error(body_note(form))
        self.view.set_http_form(form)
        return True

    def _on_failed(self, failure: Failure) -> None:
        self.view.show_input_error(failure.message)

    # -- slots -------------------------------------------------------------------------

    def on_view_send_requested(self, submitted: FormSubmitted) -> None:
        """Slot: Send / Fire / Run was clicked."""
        self.send(submitted.form)

    def on_view_save_requested(self, submitted: FormSubmitted) -> None:
        """Slot: Save was clicked on the HTTP tab."""
        if isinstance(submitted.form, HttpForm):
            self.save_request(submitted.form)

    def on_view_curl_copy_requested(self, submitted: FormSubmitted) -> None:
        """Slot: Copy as curl."""
        if isinstance(submitted.form, HttpForm):
            self.copy_as_curl(submitted.form)

    def on_view_curl_imported(self, submitted: TextSubmitted) -> None:
        """Slot: a curl command was pasted into Import from curl."""
        self.import_curl(submitted.text)

    def on_view_saved_chosen(self, submitted: TextSubmitted) -> None:
        """Slot: a saved request was picked."""
        self.load_saved(submitted.text)

    def on_view_saved_deleted(self, submitted: TextSubmitted) -> None:
        """Slot: Delete saved request."""
        self.delete_saved(submitted.text)

    def on_view_history_chosen(self, index: int) -> None:
        """Slot: a history entry was picked."""
        self.load_history(index)
