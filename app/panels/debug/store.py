"""``BreakpointStore``: the project's breakpoints, persisted in ``.isoplay/breakpoints.json`` (no Qt)."""

from __future__ import annotations

import dataclasses
import json
import logging
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from app.panels.debug.types import BreakpointSpec, ExceptionBreaks

STORE_PATH = Path(".isoplay") / "breakpoints.json"
"""Where breakpoints live, relative to the project root."""

_log = logging.getLogger(__name__)


def relative_file(root: Path, path: Path | str) -> str:
    """The project-relative POSIX path of ``path`` (kept as given when outside ``root``)."""
    p = Path(path)
    if p.is_absolute():
        try:
            p = p.resolve().relative_to(root.resolve())
        except ValueError:
            return p.as_posix()
    return p.as_posix().removeprefix("./")


def spec_from_json(raw: dict[str, Any]) -> BreakpointSpec:
    """Decode one stored breakpoint.

    Raises:
        KeyError, TypeError, ValueError: the record is malformed.
    """
    hit = raw.get("hit_count")
    return BreakpointSpec(str(raw["file"]), int(raw["line"]), bool(raw.get("enabled", True)),
                          raw.get("condition") or None, int(hit) if hit else None, raw.get("log_message") or None)


class BreakpointStore:
    """Breakpoints of one project keyed by (file, line); every change is saved at once."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self._items: dict[tuple[str, int], BreakpointSpec] = {}
        self.exception_breaks = ExceptionBreaks()
        """Which exceptions pause (saved in the same file)."""

    @property
    def path(self) -> Path:
        """The JSON file."""
        return self.root / STORE_PATH

    def __iter__(self) -> Iterator[BreakpointSpec]:
        return iter(sorted(self._items.values(), key=lambda s: s.key))

    def __len__(self) -> int:
        return len(self._items)

    def get(self, file: str, line: int) -> BreakpointSpec | None:
        """The breakpoint at ``file:line``, if any."""
        return self._items.get((file, line))

    def in_file(self, file: str) -> list[BreakpointSpec]:
        """The breakpoints of one file, by line."""
        return [s for s in self if s.file == file]

    def put(self, spec: BreakpointSpec) -> None:
        """Add or replace the breakpoint at ``spec.key`` and save."""
        self._items[spec.key] = spec
        self.save()

    def update(self, file: str, line: int, **changes: Any) -> BreakpointSpec:
        """Change fields of an existing breakpoint and save.

        Raises:
            KeyError: there is no breakpoint at ``file:line``.
        """
        spec = dataclasses.replace(self._items[(file, line)], **changes)
        self._items[spec.key] = spec
        self.save()
        return spec

    def set_exception_breaks(self, breaks: ExceptionBreaks) -> None:
        """Remember which exceptions pause and save."""
        self.exception_breaks = breaks
        self.save()

    def move(self, file: str, moves: dict[int, int]) -> dict[int, BreakpointSpec | None]:
        """Move breakpoints of ``file`` to other lines (old line -> new line, 1-based) and save.

        Lines keep their relative order, so two breakpoints only meet when the lines
        between them were deleted. The one whose text survived the deletion stays:
        the one that did not move (the deletion began inside its line), else the
        last one (the deletion took every line before it). The others are dropped.
        Returns old line -> its spec after the move (None when dropped).
        """
        specs = self.in_file(file)
        result: dict[int, BreakpointSpec | None] = {}
        kept: dict[int, BreakpointSpec] = {}
        def precedence(spec: BreakpointSpec) -> tuple[bool, int]:
            moved = moves.get(spec.line, spec.line) != spec.line
            return (moved, -spec.line if moved else spec.line)

        for spec in sorted(specs, key=precedence):
            target = moves.get(spec.line, spec.line)
            if target in kept or target < 1:
                result[spec.line] = None
                continue
            kept[target] = dataclasses.replace(spec, line=target)
            result[spec.line] = kept[target]
        for spec in specs:
            del self._items[spec.key]
        for spec in kept.values():
            self._items[spec.key] = spec
        self.save()
        return result

    def rename(self, old: str, new: str) -> int:
        """A file or folder was renamed: its breakpoints follow (project-relative paths); returns how many moved."""
        moved = [s for s in self._items.values() if s.file == old or s.file.startswith(old + "/")]
        for spec in moved:
            del self._items[spec.key]
        for spec in moved:
            renamed = dataclasses.replace(spec, file=new + spec.file[len(old):])
            self._items[renamed.key] = renamed
        if moved:
            self.save()
        return len(moved)

    def remove(self, file: str, line: int) -> BreakpointSpec | None:
        """Delete a breakpoint and save; returns it (None when there was none)."""
        spec = self._items.pop((file, line), None)
        if spec is not None:
            self.save()
        return spec

    def load(self) -> None:
        """Replace the contents with the saved file (missing file: empty; bad records are logged and skipped)."""
        self._items.clear()
        self.exception_breaks = ExceptionBreaks()
        if not self.path.is_file():
            return
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
            records = data.get("breakpoints", [])
            exceptions = data.get("exceptions") or {}
            self.exception_breaks = ExceptionBreaks(bool(exceptions.get("uncaught", True)),
                                                    bool(exceptions.get("caught", False)))
        except (OSError, ValueError, AttributeError) as exc:
            _log.warning("ignoring unreadable %s: %s", self.path, exc)
            return
        for raw in records:
            try:
                spec = spec_from_json(raw)
            except (KeyError, TypeError, ValueError) as exc:
                _log.warning("skipping a malformed breakpoint in %s: %r (%s)", self.path, raw, exc)
                continue
            self._items[spec.key] = spec

    def save(self) -> None:
        """Write every breakpoint to the JSON file."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        data = {"version": 1, "breakpoints": [dataclasses.asdict(s) for s in self],
                "exceptions": dataclasses.asdict(self.exception_breaks)}
        self.path.write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")
