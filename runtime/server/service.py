"""The deploy service: every change to deployments goes through here, under one lock.

The HTTP API (``runtime.server.api``) parses and authenticates requests and
calls this; this validates names and versions, writes through the storage
(slow file work in a thread) and tells the running side
(:class:`~runtime.server.apps.AppRuntimes`) what changed.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass

from runtime.bundler import Bundle
from runtime.errors import RuntimeDisposed
from runtime.server.apps import AppRuntimes
from runtime.server.config import ServerConfig
from runtime.server.errors import BadRequest, Conflict, NotFound
from runtime.server.storage import AppRecord, DeploymentStorage, DeployResult, VersionRecord
from runtime.server.upload import check_server_limits
from runtime.server.versions import InvalidName, InvalidVersion, check_app_name, check_version


def valid_app_name(name: str) -> str:
    """``name`` if valid, else ``BadRequest`` (code ``bad_name``)."""
    try:
        return check_app_name(name)
    except InvalidName as exc:
        raise BadRequest(str(exc), code="bad_name") from None


def valid_version(version: str) -> str:
    """``version`` if semver, else ``BadRequest`` (code ``bad_version``)."""
    try:
        check_version(version)
    except InvalidVersion as exc:
        raise BadRequest(str(exc), code="bad_version") from None
    return version


@dataclass(frozen=True)
class PublishPlan:
    """What a publish would do (the answer of a dry run)."""

    app: str
    version: str
    content_hash: str
    action: str
    """``create`` (new version) or ``unchanged`` (same content already stored)."""


class DeployService:
    """Publish, roll back and delete, serialised by one lock."""

    def __init__(self, storage: DeploymentStorage, runtimes: AppRuntimes, config: ServerConfig, *,
                 clock: Callable[[], float] = time.time) -> None:
        self.storage = storage
        self.runtimes = runtimes
        self.config = config
        self.clock = clock
        self._lock = asyncio.Lock()
        self._stopped = False

    def stop(self) -> None:
        """Refuse further changes."""
        self._stopped = True

    def _check_open(self) -> None:
        if self._stopped:
            raise RuntimeDisposed("the server is stopping")

    # ---- reading -------------------------------------------------------------
    def app(self, name: str) -> tuple[AppRecord, list[VersionRecord]]:
        """An app and its versions (highest first).

        Raises:
            NotFound: no such app.
        """
        record = self.storage.get_app(valid_app_name(name))
        if record is None:
            raise NotFound(f"no app named {name!r}", code="app_not_found")
        return record, self.storage.list_versions(name)

    # ---- changing ------------------------------------------------------------
    def plan(self, app: str, bundle: Bundle) -> PublishPlan:
        """Validate a publish without storing anything.

        Raises:
            BadRequest: bad name, bad version, a name mismatch or a limit too high.
            Conflict: the version exists with different content.
        """
        valid_app_name(app)
        manifest = bundle.manifest
        valid_version(manifest.version)
        if manifest.name != app:
            raise BadRequest(f"the bundle's manifest names the app {manifest.name!r}, but it was uploaded to "
                             f"{app!r}", code="name_mismatch")
        check_server_limits(manifest, self.config)
        existing = self.storage.get_version(app, manifest.version)
        if existing is not None and existing.content_hash != bundle.content_hash:
            raise Conflict(f"version {manifest.version} of {app} is already published with different content; "
                           "publish a new version", code="version_exists")
        return PublishPlan(app, manifest.version, bundle.content_hash, "unchanged" if existing else "create")

    async def publish(self, app: str, bundle: Bundle, *, promote: bool = True) -> DeployResult:
        """Store a bundle as a new version (atomically) and make it live unless ``promote`` is False."""
        async with self._lock:
            self._check_open()
            self.plan(app, bundle)
            result = await asyncio.to_thread(self.storage.deploy, app, bundle, promote=promote, now=self.clock())
            self.runtimes.forget_resolved()  # a new version can match a range (/app@1) even when not live
            if result.live and result.previous_live != result.version.version:
                await self.runtimes.live_changed(app, result.previous_live)
            return result

    async def rollback(self, app: str, version: str) -> str | None:
        """Make an existing version live; return the previously live one."""
        async with self._lock:
            self._check_open()
            valid_app_name(app)
            valid_version(version)
            previous = await asyncio.to_thread(self.storage.set_live, app, version, now=self.clock())
            self.runtimes.forget_resolved()
            await self.runtimes.live_changed(app, previous)
            return previous

    async def delete_version(self, app: str, version: str) -> None:
        """Delete a version that is not live."""
        async with self._lock:
            self._check_open()
            valid_app_name(app)
            valid_version(version)
            await asyncio.to_thread(self.storage.delete_version, app, version)
            await self.runtimes.version_deleted(app, version)

    async def delete_app(self, app: str) -> list[VersionRecord]:
        """Delete an app, its versions and its KV data."""
        async with self._lock:
            self._check_open()
            valid_app_name(app)
            deleted = await asyncio.to_thread(self.storage.delete_app, app)
            await self.runtimes.app_deleted(app)
            return deleted
