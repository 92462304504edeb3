"""The deployment storage interface and its records.

The server talks to storage only through :class:`DeploymentStorage`, so a
shared database can back several server nodes later; :mod:`.sqlite_storage`
is the embedded default. Every method is synchronous (the SQLite
implementation is fast for reads; the server runs slow writes in a thread).

Guarantees every implementation must give:

- bundles are immutable and addressed by their content hash;
- ``deploy`` is atomic: after a crash at any moment either the version is fully
  stored and registered, or it is absent, and every earlier deploy is intact;
- re-deploying a stored version with the same content is a no-op (``created``
  is False); with other content it raises ``Conflict``;
- the live version of an app can never be deleted.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Protocol

from runtime.bundler import Bundle
from runtime.kv.store import KVStore


@dataclass(frozen=True)
class AppRecord:
    """One app in the registry."""

    name: str
    live_version: str | None
    """The version ``/{name}/`` serves (None when nothing is promoted)."""
    created_at: float
    """Epoch seconds of the first deploy."""
    updated_at: float
    """Epoch seconds of the last deploy, promotion or rollback."""


@dataclass(frozen=True)
class VersionRecord:
    """One stored version of an app."""

    app: str
    version: str
    content_hash: str
    """sha256 of the script and manifest (``Bundle.content_hash``)."""
    size_bytes: int
    """Script, source map and manifest together."""
    minified: bool
    deployed_at: float
    """Epoch seconds."""
    crons: tuple[str, ...] = ()
    """The manifest's cron schedules."""


@dataclass(frozen=True)
class DeployResult:
    """What ``deploy`` did."""

    version: VersionRecord
    created: bool
    """False when the same content was already stored (an idempotent repeat)."""
    live: bool
    """Whether the version is live after the deploy."""
    previous_live: str | None
    """The live version before the deploy."""


ALL_APPS = "*"
"""The app scope that covers every app (present and future)."""


@dataclass(frozen=True)
class TokenRecord:
    """An API token, without its secret: its name, role and app scope."""

    name: str
    created_at: float
    role: str = "admin"
    """``deploy`` (publish, roll back, read the apps in scope) or ``admin`` (also deletes and tokens)."""
    apps: tuple[str, ...] = (ALL_APPS,)
    """App names the token may act on, or ``("*",)`` for every app (always so for ``admin``)."""
    expires_at: float | None = None
    """Epoch seconds after which the token is refused (401 saying it expired); None: it never expires."""


def token_record(name: str, created_at: float, role: str, apps_json: str,
                 expires_at: float | None = None) -> TokenRecord:
    """A TokenRecord from stored columns (``apps`` as a JSON list); an unreadable scope covers no app."""
    try:
        scope = tuple(str(a) for a in json.loads(apps_json))
    except (ValueError, TypeError):
        scope = ()
    return TokenRecord(name, created_at, role, scope, None if expires_at is None else float(expires_at))


class DeploymentStorage(Protocol):
    """Apps, versions, bundles and API tokens, durably stored."""

    def close(self) -> None:
        """Release connections; later use raises RuntimeDisposed."""

    def check(self) -> None:
        """Raise unless the storage can serve reads and writes (readiness)."""

    def changes(self) -> int:
        """A number that differs from the previous call's when anything was committed meanwhile
        (by this process or another one sharing the store)."""
        ...

    # ---- apps and versions ---------------------------------------------------
    def list_apps(self) -> list[AppRecord]:
        """Every app, by name."""
        ...

    def get_app(self, name: str) -> AppRecord | None:
        """One app, or None."""
        ...

    def list_versions(self, app: str) -> list[VersionRecord]:
        """An app's versions, highest first (empty for an unknown app)."""
        ...

    def get_version(self, app: str, version: str) -> VersionRecord | None:
        """One stored version, or None."""
        ...

    def deploy(self, app: str, bundle: Bundle, *, promote: bool, now: float) -> DeployResult:
        """Store ``bundle`` as version ``bundle.manifest.version`` of ``app``, atomically.

        Raises:
            Conflict: the version exists with different content.
        """
        ...

    def set_live(self, app: str, version: str, *, now: float) -> str | None:
        """Make ``version`` live; return the previously live version.

        Raises:
            NotFound: no such app or version.
        """
        ...

    def delete_version(self, app: str, version: str) -> None:
        """Delete a version that is not live.

        Raises:
            NotFound: no such app or version.
            Conflict: it is the live version.
        """

    def delete_app(self, app: str) -> list[VersionRecord]:
        """Delete an app and all its versions; return what was deleted.

        Raises:
            NotFound: no such app.
        """
        ...

    def load_bundle(self, record: VersionRecord) -> Bundle:
        """Read a stored version's bundle back.

        Raises:
            StorageCorrupted: its files do not match the recorded hash.
        """
        ...

    def open_kv(self, app: str) -> KVStore:
        """The KV store of one app (its namespaces are reachable by no other app)."""
        ...

    # ---- tokens --------------------------------------------------------------
    # Only a hash of each token is stored. Tokens from before roles existed are
    # migrated to role ``admin`` on every app when the storage opens, and their
    # names are kept in ``migrated_tokens`` so the server can say so.
    migrated_tokens: tuple[str, ...]
    """Names of tokens this open migrated to ``admin`` on all apps (empty when nothing was migrated)."""

    def add_token(self, name: str, token_hash: str, *, now: float, role: str = "admin",
                  apps: tuple[str, ...] = (ALL_APPS,), expires_at: float | None = None) -> None:
        """Store a token's hash under ``name`` with its role, app scope and expiry (validated by the caller).

        Raises:
            Conflict: a token with that name exists.
        """

    def remove_token(self, name: str) -> None:
        """Delete a token.

        Raises:
            NotFound: no token has that name.
        """

    def token_entries(self) -> list[tuple[str, TokenRecord]]:
        """(hash, record) of every token (what authentication compares against, each in constant time)."""
        ...

    def list_tokens(self) -> list[TokenRecord]:
        """Every token's record, by name."""
        ...
