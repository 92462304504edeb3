"""Pure parts of publishing from the IDE: version bumps, server profiles, the request payload."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import semver
from PySide6.QtCore import QSettings

BUMP_PARTS = ("patch", "minor", "major")
PROFILES_KEY = "publish/servers"
LAST_PUBLISH_KEY = "publish/last"
"""Per project: the server and version it was last published to."""


def bump(version: str, part: str) -> str:
    """``version`` with its patch, minor or major part raised (an invalid version becomes 0.1.0).

    Raises:
        ValueError: ``part`` is not patch, minor or major.
    """
    if part not in BUMP_PARTS:
        raise ValueError(f"unknown version part {part!r}")
    if not semver.Version.is_valid(version):
        return "0.1.0"
    current = semver.Version.parse(version)
    return str({"patch": current.bump_patch, "minor": current.bump_minor, "major": current.bump_major}[part]())


@dataclass(frozen=True)
class PublishRequest:
    """Payload of ``PublishDialog.sig_publish_requested``."""

    root: Path
    """The project folder."""
    server: str
    """The server URL."""
    token: str | None
    """A token typed into the dialog (saved in the keyring), or None to use the stored one."""
    version: str
    promote: bool = True
    type_check: bool = True


class ServerProfiles:
    """Server URLs the user has published to, most recent first (tokens live in the keyring)."""

    def __init__(self, store: QSettings, limit: int = 10) -> None:
        self._store = store
        self._limit = limit

    def urls(self) -> list[str]:
        """Saved server URLs, most recent first."""
        value = self._store.value(PROFILES_KEY, [])
        if isinstance(value, str):
            return [value]
        return [str(v) for v in value] if isinstance(value, list) else []

    def remember(self, url: str) -> None:
        """Move ``url`` to the front."""
        urls = [url] + [u for u in self.urls() if u != url]
        self._store.setValue(PROFILES_KEY, urls[: self._limit])
        self._store.sync()

    def last_publish(self, root: Path) -> tuple[str, str] | None:
        """(server, version) of the project's last publish from this IDE, if any."""
        value = self._store.value(f"{LAST_PUBLISH_KEY}/{_project_key(root)}")
        if isinstance(value, list) and len(value) == 2:
            return str(value[0]), str(value[1])
        return None

    def remember_publish(self, root: Path, server: str, version: str) -> None:
        """Remember where and as what the project was published (and the server, first in ``urls``)."""
        self._store.setValue(f"{LAST_PUBLISH_KEY}/{_project_key(root)}", [server, version])
        self.remember(server)


def _project_key(root: Path) -> str:
    """A settings key for a project folder (QSettings keys cannot hold slashes as data)."""
    import hashlib

    return hashlib.sha256(str(root.resolve()).encode()).hexdigest()[:16]
