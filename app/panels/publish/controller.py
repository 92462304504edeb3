"""``PublishController``: type check, build a release bundle, upload it with progress, report the live URL.

Blocking work (tsc, esbuild, HTTP) runs on an injected executor; results come
back on the GUI thread through ``app.bridge.FutureBridge``, and upload progress
through a queued signal. The view is passive (``PublishView``).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from concurrent.futures import Executor
from pathlib import Path
from typing import Protocol

from PySide6.QtCore import QObject, Signal

from app.bridge import FutureBridge
from app.panels.publish.model import PublishRequest, ServerProfiles, bump
from app.services.types import Failure
from runtime.errors import Diagnostic, UserError
from runtime.manifest import load_manifest
from runtime.manifest_version import can_write_version, write_version
from runtime.publish_client import PublishClient, PublishResult, build_release, normalize_server, resolve_token, store_token


class PublishView(Protocol):
    """What the controller needs from the Publish dialog."""

    def set_version(self, version: str) -> None:
        """Show a version in the version field."""

    def set_servers(self, urls: list[str]) -> None:
        """Offer these server URLs."""

    def set_busy(self, busy: bool) -> None:
        """Disable inputs while publishing."""

    def show_status(self, text: str) -> None:
        """One line of progress text."""

    def show_progress(self, sent: int, total: int) -> None:
        """Upload progress in bytes."""

    def show_published(self, result: PublishResult) -> None:
        """The live URL as a link."""

    def show_error(self, message: str) -> None:
        """A one-line error."""

    def show_type_errors(self, errors: list[Diagnostic]) -> None:
        """List type errors and offer "Publish anyway" (which calls ``publish_anyway``)."""

    def set_server(self, url: str) -> None:
        """Preselect a server."""

    def show_last_publish(self, server: str, version: str) -> None:
        """What the project was last published as, and where."""

    def offer_write_version(self, version: str, manifest_version: str) -> None:
        """Offer to write the published version into isoplay.toml."""

    def version_written(self, version: str) -> None:
        """isoplay.toml now holds ``version``."""


def run_type_check(root: Path) -> list[Diagnostic]:
    """``tsc --noEmit`` on the project (blocking; call on a worker)."""
    from runtime.typecheck import check

    return asyncio.run(check(root))


class PublishController(QObject):
    """Drives one Publish dialog."""

    sig_published = Signal(object)
    """PublishResult: a version was published (or was already there with the same content)."""
    sig_failure_details = Signal(str)
    """Technical details of an unexpected failure (for the Console, never the dialog)."""
    sig_version_written = Signal(str)
    """The version now in isoplay.toml (after the user accepted the offer)."""

    _sig_progress = Signal(int, int)

    def __init__(self, view: PublishView, *, bridge: FutureBridge, executor: Executor, profiles: ServerProfiles,
                 type_check: Callable[[Path], list[Diagnostic]] = run_type_check,
                 parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.view = view
        self.bridge = bridge
        self.executor = executor
        self.profiles = profiles
        self.type_check = type_check
        self._sig_progress.connect(view.show_progress)
        self._busy = False
        self._held: PublishRequest | None = None
        self.root: Path | None = None
        self.manifest_version: str | None = None
        """The version isoplay.toml says."""

    def load_project(self, root: Path) -> None:
        """Show the project's manifest version, the saved servers (the one it was last published to first) and
        what it was last published as."""
        self.root = root
        self.view.set_servers(self.profiles.urls())
        last = self.profiles.last_publish(root)
        if last is not None:
            self.view.set_server(last[0])
            self.view.show_last_publish(*last)
        try:
            self.manifest_version = load_manifest(root).version
            self.view.set_version(self.manifest_version)
        except UserError as exc:
            self.view.show_error(str(exc))

    def write_version(self, version: str) -> None:
        """Write ``version`` into the project's isoplay.toml (off the GUI thread)."""
        if self.root is None:
            return
        root = self.root
        future = self.executor.submit(write_version, root, version)
        self.bridge.watch(future, lambda _path: self._version_written(version), self._failed,
                          "writing the version into isoplay.toml")

    def _version_written(self, version: str) -> None:
        self.manifest_version = version
        self.view.version_written(version)
        self.sig_version_written.emit(version)

    def bump(self, current: str, part: str) -> None:
        """Raise the patch, minor or major part of the version field."""
        self.view.set_version(bump(current, part))

    def publish(self, request: PublishRequest) -> None:
        """Type check (if asked), then build and upload; results arrive on the GUI thread."""
        if self._busy:
            return
        self._held = None
        self._set_busy(True)
        self.view.show_status("type checking…" if request.type_check else "building…")
        if request.type_check:
            future = self.executor.submit(self.type_check, request.root)
            self.bridge.watch(future, lambda diags: self._after_check(request, diags), self._failed, "type check")
        else:
            self._upload(request)

    def _after_check(self, request: PublishRequest, diagnostics: list[Diagnostic]) -> None:
        errors = [d for d in diagnostics if d.severity == "error"]
        if errors:
            self._held = request
            self._set_busy(False)
            self.view.show_status(f"not published yet: {len(errors)} type error(s)")
            self.view.show_type_errors(errors)
            return
        self._upload(request)

    def publish_anyway(self) -> None:
        """Publish the request held back by type errors."""
        request, self._held = self._held, None
        if request is not None and not self._busy:
            self._set_busy(True)
            self._upload(request)

    def _upload(self, request: PublishRequest) -> None:
        self.view.show_status("building and uploading…")
        future = self.executor.submit(self._build_and_upload, request)
        self.bridge.watch(future, lambda result: self._published(request, result), self._failed, "publishing")

    def _build_and_upload(self, request: PublishRequest) -> PublishResult:
        """Worker side: resolve/save the token, build the release, upload it."""
        server = normalize_server(request.server)
        token = request.token or resolve_token(server)
        if request.token:
            store_token(server, request.token)  # remembered per server (keyring, else the user's token file)
        bundle = build_release(request.root, version=request.version)
        with PublishClient(server, token) as client:
            return client.publish(bundle, promote=request.promote, on_progress=self._sig_progress.emit)

    def _published(self, request: PublishRequest, result: PublishResult) -> None:
        server = normalize_server(request.server)
        self.profiles.remember_publish(request.root, server, result.version)
        self.view.show_published(result)
        self.view.show_last_publish(server, result.version)
        if result.version != self.manifest_version and can_write_version(request.root):
            self.view.offer_write_version(result.version, self.manifest_version or "no version")
        self._set_busy(False)
        self.sig_published.emit(result)

    def _failed(self, failure: Failure) -> None:
        error = failure.error
        if not isinstance(error, UserError):
            self.sig_failure_details.emit(f"Publish: {failure.message}")
        self.view.show_error(str(error) if isinstance(error, UserError)
                             else f"{failure.context} failed unexpectedly (details in the Console)")
        self._set_busy(False)

    def _set_busy(self, busy: bool) -> None:
        self._busy = busy
        self.view.set_busy(busy)
