"""``AppSettings``: typed access to the IDE's persisted settings (a QSettings passed in).

Tests pass a ``QSettings`` on a temporary INI file; the app passes the
per-user default. Stored: recent projects, the last project, the theme, the
main window's geometry and dock layout, and per project the open files with
their caret positions and the current file.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path

from PySide6.QtCore import QByteArray, QSettings

MAX_RECENT = 10


@dataclass(frozen=True)
class SessionFile:
    """An open file in a saved session."""

    path: str
    """Path relative to the project root (forward slashes)."""
    line: int
    """0-based caret line."""
    character: int
    """0-based caret column."""


@dataclass(frozen=True)
class ProjectSession:
    """What was open in a project when the IDE last closed it."""

    files: tuple[SessionFile, ...] = ()
    """Open files in tab order."""
    current: str | None = None
    """The current file, relative to the root."""


class AppSettings:
    """Typed wrapper over a ``QSettings``."""

    def __init__(self, store: QSettings) -> None:
        self.store = store

    # -- projects --------------------------------------------------------------------

    def recent_projects(self) -> list[Path]:
        """Recently opened project folders, newest first."""
        raw = self.store.value("projects/recent", [])
        items = [raw] if isinstance(raw, str) else list(raw or [])
        return [Path(p) for p in items if p]

    def add_recent_project(self, root: Path) -> None:
        """Put ``root`` at the top of the recent list and remember it as the last project."""
        items = [str(root)] + [str(p) for p in self.recent_projects() if p != root]
        self.store.setValue("projects/recent", items[:MAX_RECENT])
        self.store.setValue("projects/last", str(root))

    def remove_recent_project(self, root: Path) -> None:
        """Forget ``root`` (it no longer opens)."""
        self.store.setValue("projects/recent", [str(p) for p in self.recent_projects() if p != root])

    def last_project(self) -> Path | None:
        """The project open when the IDE last closed."""
        value = self.store.value("projects/last", "")
        return Path(str(value)) if value else None

    def session(self, root: Path) -> ProjectSession:
        """The saved session of ``root`` (empty if none)."""
        raw = self.store.value(f"sessions/{_key(root)}", "")
        try:
            data = json.loads(str(raw)) if raw else {}
            files = tuple(SessionFile(str(f["path"]), int(f["line"]), int(f["character"])) for f in data.get("files", []))
            return ProjectSession(files, data.get("current"))
        except (ValueError, KeyError, TypeError, AttributeError):
            return ProjectSession()

    def set_session(self, root: Path, session: ProjectSession) -> None:
        """Remember what is open in ``root``."""
        data = {"root": str(root), "current": session.current,
                "files": [{"path": f.path, "line": f.line, "character": f.character} for f in session.files]}
        self.store.setValue(f"sessions/{_key(root)}", json.dumps(data))

    # -- appearance ------------------------------------------------------------------

    def theme(self) -> str:
        """``light`` or ``dark``."""
        value = str(self.store.value("ui/theme", "light"))
        return value if value in ("light", "dark") else "light"

    def set_theme(self, name: str) -> None:
        """Remember the theme."""
        self.store.setValue("ui/theme", name)

    def window_geometry(self) -> QByteArray | None:
        """Saved main-window geometry."""
        value = self.store.value("ui/geometry")
        return value if isinstance(value, QByteArray) and not value.isEmpty() else None

    def window_state(self) -> QByteArray | None:
        """Saved dock/toolbar layout."""
        value = self.store.value("ui/state")
        return value if isinstance(value, QByteArray) and not value.isEmpty() else None

    def set_window_layout(self, geometry: QByteArray, state: QByteArray) -> None:
        """Remember the main window's geometry and dock layout."""
        self.store.setValue("ui/geometry", geometry)
        self.store.setValue("ui/state", state)

    def panel_state(self, name: str) -> QByteArray | None:
        """A panel's saved inner layout (e.g. splitter sizes), or None."""
        value = self.store.value(f"ui/panels/{name}")
        return value if isinstance(value, QByteArray) and not value.isEmpty() else None

    def set_panel_state(self, name: str, state: QByteArray) -> None:
        """Remember a panel's inner layout."""
        self.store.setValue(f"ui/panels/{name}", state)

    def sync(self) -> None:
        """Write pending changes (at exit)."""
        self.store.sync()


def _key(root: Path) -> str:
    return hashlib.sha1(str(root).encode("utf-8")).hexdigest()[:16]
