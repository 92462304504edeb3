"""``DeploymentsController``: list an app's versions on a server and roll back, off the GUI thread."""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import Executor
from typing import Protocol

from PySide6.QtCore import QObject, Signal

from app.bridge import FutureBridge
from app.services.types import Failure
from runtime.errors import UserError
from runtime.publish_client import AppInfo, PublishClient, resolve_token

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


def default_client(server: str) -> PublishClient:
    """A client with the token from ``$ISOPLAY_TOKEN`` or the keyring."""
    return PublishClient(server, resolve_token(server))


class DeploymentsController(QObject):
    """Keeps one app's version list current; rolls back on request."""

    sig_loaded = Signal(object)
    """AppInfo: the version list was (re)loaded."""
    sig_rolled_back = Signal(str)
    """The version that is live now."""

    def __init__(self, view: DeploymentsView, *, bridge: FutureBridge, executor: Executor,
                 client_factory: ClientFactory = default_client, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.view = view
        self.bridge = bridge
        self.executor = executor
        self.client_factory = client_factory
        self.server: str | None = None
        self.app: str | None = None

    def show(self, server: str, app: str) -> None:
        """Follow ``app`` on ``server`` and load its versions."""
        self.server, self.app = server, app
        self.refresh()

    def refresh(self) -> None:
        """Reload the version list."""
        if self.server is None or self.app is None:
            return
        self.view.set_busy(True)
        future = self.executor.submit(self._call, lambda c: c.app(self.app or ""))
        self.bridge.watch(future, self._loaded, self._failed, f"loading the versions of {self.app}")

    def rollback(self, version: str) -> None:
        """Make ``version`` live, then reload."""
        if self.server is None or self.app is None:
            return
        self.view.set_busy(True)
        future = self.executor.submit(self._call, lambda c: c.rollback(self.app or "", version))
        self.bridge.watch(future, lambda _previous: self._rolled_back(version), self._failed,
                          f"rolling {self.app} back to {version}")

    def _call(self, action: Callable[[PublishClient], object]) -> object:
        with self.client_factory(self.server or "") as client:
            return action(client)

    def _loaded(self, info: object) -> None:
        assert isinstance(info, AppInfo)
        self.view.show_app(info)
        self.view.set_busy(False)
        self.sig_loaded.emit(info)

    def _rolled_back(self, version: str) -> None:
        self.sig_rolled_back.emit(version)
        self.refresh()

    def _failed(self, failure: Failure) -> None:
        error = failure.error
        self.view.show_error(str(error) if isinstance(error, UserError) else failure.message)
        self.view.set_busy(False)
