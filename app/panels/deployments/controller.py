"""``DeploymentsController``: list an app's versions on a server and roll back, off the GUI thread."""

from __future__ import annotations

import os
from collections.abc import Callable
from concurrent.futures import Executor
from typing import Protocol

from PySide6.QtCore import QObject, Signal

from app.bridge import FutureBridge
from app.services.types import Failure
from runtime.errors import UserError
from app.panels.deployments.widget import Selection
from runtime.publish_client import (
    TOKEN_ENV, AppInfo, PublishClient, PublishError, keyring_token, normalize_server, resolve_token, store_token,
)

ClientFactory = Callable[[str], PublishClient]
"""Server URL -> an authenticated client (the default resolves the token from env/keyring)."""


class DeploymentsView(Protocol):
    """What the controller needs from the Deployments panel."""

    def show_app(self, info: AppInfo) -> None:
        """Replace the rows with the app's versions."""

    def show_error(self, message: str) -> None:
        """A one-line error."""

    def set_busy(self, busy: bool) -> None:
        """Disable the buttons while a call runs."""

    def show_status(self, text: str) -> None:
        """Progress or result of the last call."""

    def selection(self) -> Selection:
        """The server, app and typed token."""

    def set_selection(self, server: str, app: str) -> None:
        """Point the view at ``app`` on ``server``."""

    def show_token_state(self, text: str) -> None:
        """Whether a token is saved for the chosen server."""

    def token_used(self) -> None:
        """The typed token was saved."""


def default_client(server: str) -> PublishClient:
    """A client with the token from ``$ISOPLAY_TOKEN`` or the keyring (else the user's token file)."""
    return PublishClient(server, resolve_token(server))


def token_state(server: str) -> str:
    """What the token field's placeholder says for ``server`` (reads the keyring or token file: off the GUI
    thread)."""
    if not server:
        return "saved token, or paste one"
    if os.environ.get(TOKEN_ENV):
        return f"using ${TOKEN_ENV} (or paste another)"
    return "using the saved token (or paste another)" if keyring_token(server) else \
        f"no token saved for {normalize_server(server)}: paste one"


def user_message(failure: Failure) -> str:
    """What the panel shows for a failed call: the error's own words for a user error, else a sentence
    without exception text (the details go to the Console through ``sig_failure_details``)."""
    error = failure.error
    if isinstance(error, UserError):
        return str(error)
    return f"{failure.context} failed unexpectedly (details in the Console)"


class DeploymentsController(QObject):
    """Keeps one app's version list current; rolls back on request."""

    sig_loaded = Signal(object)
    """AppInfo: the version list was (re)loaded."""
    sig_rolled_back = Signal(str)
    """The version that is live now."""
    sig_failure_details = Signal(str)
    """Technical details of an unexpected failure (for the Console, never the panel)."""

    def __init__(self, view: DeploymentsView, *, bridge: FutureBridge, executor: Executor,
                 client_factory: ClientFactory = default_client, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.view = view
        self.bridge = bridge
        self.executor = executor
        self.client_factory = client_factory
        self.server: str | None = None
        self.app: str | None = None
        self._token: str | None = None

    def show(self, server: str, app: str) -> None:
        """Follow ``app`` on ``server`` and load its versions."""
        set_selection = getattr(self.view, "set_selection", None)
        if set_selection is not None:
            set_selection(server, app)
        self.server, self.app = server, app
        self.refresh()

    def _take_selection(self) -> str | None:
        """Adopt the view's server, app and typed token; returns the typed token."""
        selection = getattr(self.view, "selection", None)
        if selection is None:
            return None
        chosen = selection()
        self.server, self.app = (chosen.server or None), (chosen.app or None)
        return chosen.token

    def refresh(self) -> None:
        """Reload the version list (always says what happened)."""
        token = self._take_selection()
        if not self.server or not self.app:
            self.view.show_error("choose a server and an app first")
            return
        self._token = token
        self.view.set_busy(True)
        self._status(f"loading the versions of {self.app} from {normalize_server(self.server)}…")
        future = self.executor.submit(self._call, lambda c: c.app(self.app or ""))
        self.bridge.watch(future, self._loaded, self._failed, f"loading the versions of {self.app}")

    def check_token(self, server: str) -> None:
        """Say in the view whether a token is saved for ``server`` (looked up off the GUI thread)."""
        if not hasattr(self.view, "show_token_state"):
            return
        future = self.executor.submit(token_state, server)
        self.bridge.watch(future, lambda text: self.view.show_token_state(text) if server == self._current_server()
                          else None, lambda _f: None, "looking up the token")

    def _current_server(self) -> str:
        selection = getattr(self.view, "selection", None)
        return selection().server if selection is not None else (self.server or "")

    def _status(self, text: str) -> None:
        show = getattr(self.view, "show_status", None)
        if show is not None:
            show(text)

    def rollback(self, version: str) -> None:
        """Make ``version`` live, then reload."""
        if self.server is None or self.app is None:
            return
        self.view.set_busy(True)
        self._status(f"making {version} live…")
        future = self.executor.submit(self._call, lambda c: c.rollback(self.app or "", version))
        self.bridge.watch(future, lambda _previous: self._rolled_back(version), self._failed,
                          f"rolling {self.app} back to {version}")

    def _call(self, action: Callable[[PublishClient], object]) -> object:
        """Worker side: a typed token is used and remembered for the server (keyring, else the token file)."""
        server, token = self.server or "", self._token
        client = PublishClient(normalize_server(server), token) if token else self.client_factory(server)
        try:
            with client:
                result = action(client)
        except PublishError as exc:
            if token and exc.status not in (None, 401, 403):  # the server took the token (e.g. 404: no such app)
                store_token(normalize_server(server), token)
            raise
        if token:  # a refused token is not saved
            store_token(normalize_server(server), token)
        return result

    def _loaded(self, info: object) -> None:
        assert isinstance(info, AppInfo)
        if self._token:
            self._token = None
            used = getattr(self.view, "token_used", None)
            if used is not None:
                used()
            self.check_token(self.server or "")
        self.view.show_app(info)
        self.view.set_busy(False)
        self.sig_loaded.emit(info)

    def _rolled_back(self, version: str) -> None:
        self.sig_rolled_back.emit(version)
        self.refresh()

    def _failed(self, failure: Failure) -> None:
        if not isinstance(failure.error, UserError):
            self.sig_failure_details.emit(f"Deployments: {failure.message}")
        self.view.show_error(user_message(failure))
        self.view.set_busy(False)
