"""``LanguageService``: owns the project's TypeScript ``LanguageClient`` (one per open project)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QObject, Signal

from editor.lsp import LanguageClient, ServerStatus

ClientFactory = Callable[[Path, Path], LanguageClient]


class LanguageService(QObject):
    """Starts a language client for the open project once the toolchain is known; relays its signals."""

    sig_client_changed = Signal(object)
    """LanguageClient | None: the client serving the editors changed (bind them to it)."""
    sig_status_changed = Signal(object)
    """StatusChanged: the server's lifecycle state (status bar)."""
    sig_diagnostics_published = Signal(object)
    """FileDiagnostics: a file's current diagnostics (Problems)."""

    def __init__(self, client_factory: ClientFactory = LanguageClient, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._factory = client_factory
        self._tsc: Path | None = None
        self._root: Path | None = None
        self.client: LanguageClient | None = None
        """The running client, if any."""
        self._stopping: list[LanguageClient] = []

    def set_tsc(self, tsc: Path) -> None:
        """The toolchain is ready: start serving the open project, if any."""
        self._tsc = tsc
        self._restart()

    def set_root(self, root: Path) -> None:
        """Another project was opened: serve it."""
        self._root = root
        self._restart()

    def _restart(self) -> None:
        self.stop()
        if self._tsc is None or self._root is None:
            return
        client = self._factory(self._tsc, self._root)
        client.sig_status_changed.connect(self.sig_status_changed)
        client.sig_diagnostics_published.connect(self.sig_diagnostics_published)
        self.client = client
        client.start()
        self.sig_client_changed.emit(client)

    def stop(self) -> None:
        """Stop the client (returns at once; the server shuts down in the background)."""
        client, self.client = self.client, None
        if client is None:
            return
        self.sig_client_changed.emit(None)
        client.sig_diagnostics_published.disconnect(self.sig_diagnostics_published)
        client.sig_status_changed.disconnect(self.sig_status_changed)
        client.stop()
        self._stopping.append(client)

    def wait_all_stopped(self, then: Callable[[], None]) -> bool:
        """Call ``then`` once every stopped client reports STOPPED; False if none is still stopping."""
        pending = [c for c in self._stopping if c.status is not ServerStatus.STOPPED]
        if not pending:
            return False

        def check(_change: object) -> None:
            if all(c.status is ServerStatus.STOPPED for c in pending):
                then()

        for client in pending:
            client.sig_status_changed.connect(check)
        return True
