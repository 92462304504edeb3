"""Snapshot files for ``toMatchSnapshot`` and ``toMatchFileSnapshot``, in vitest's format.

A test file ``src/a.test.ts`` keeps its snapshots in ``src/__snapshots__/a.test.ts.snap``,
written exactly as vitest writes it (a header line, then ``exports[`key`] = `value`;``
entries sorted by key), so a project can move between ``vitest`` and ``isoplay test``
without re-recording. A key is the test's full name (``describe > test``, a hint appended
as `` > hint``) and a counter.

The modes follow vitest:
- ``new`` (the default on a developer's machine): a missing snapshot is written, a
  mismatching one fails.
- ``all`` (``isoplay test -u``): mismatching snapshots are rewritten, obsolete ones removed.
- ``none`` (when the ``CI`` environment variable is set, as vitest does): nothing is
  written; a missing snapshot fails the test.

The isolate compares ``toMatchSnapshot`` values itself (the test stops at a mismatch as
under vitest); this module reads the expected entries before each test, collects what the
isolate wrote, and writes the file when the file's run ends. ``toMatchFileSnapshot`` is
compared here, after the test, because the isolate has no file access.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

Mode = Literal["new", "all", "none"]
HEADER = "// Vitest Snapshot v1, https://vitest.dev/guide/snapshot.html"
_ENTRY = re.compile(r"exports\[`((?:[^`\\]|\\.)*)`\] = `((?:[^`\\]|\\.)*)`;", re.S)
_UNESCAPE = re.compile(r"\\([\\`$])")
_ESCAPE = re.compile(r"[\\`]|\$\{")


class SnapshotFileError(ValueError):
    """A ``.snap`` file that cannot be read as one."""


def default_mode(update: bool = False) -> Mode:
    """``all`` with ``-u``; ``none`` on CI (the ``CI`` variable set and not ``0``/``false``); else ``new``."""
    if update:
        return "all"
    ci = os.environ.get("CI", "").strip().lower()
    return "none" if ci not in ("", "0", "false") else "new"


def escape(text: str) -> str:
    """``text`` as a template literal's body, as vitest prints it (backslash, backtick and ``${`` escaped)."""
    return _ESCAPE.sub(lambda m: "\\" + m.group(0), text)


def unescape(text: str) -> str:
    """The inverse of :func:`escape`."""
    return _UNESCAPE.sub(r"\1", text)


def parse(text: str, where: str = "snapshot file") -> dict[str, str]:
    """The entries of a ``.snap`` file's text.

    Raises:
        SnapshotFileError: the text has content that is no entry (a hand edit went wrong).
    """
    entries: dict[str, str] = {}
    rest = _ENTRY.sub(lambda m: entries.__setitem__(unescape(m.group(1)), unescape(m.group(2))) or "", text)
    leftover = "\n".join(line for line in rest.splitlines() if line.strip() and not line.lstrip().startswith("//"))
    if leftover.strip():
        first = leftover.strip().splitlines()[0][:80]
        raise SnapshotFileError(f"{where}: not a vitest snapshot file (cannot read {first!r}); "
                                "fix it or delete it and run isoplay test -u")
    return entries


def _natural_key(key: str) -> list[Any]:
    return [int(part) if part.isdigit() else part for part in re.split(r"(\d+)", key)]


def render(entries: dict[str, str]) -> str:
    """A ``.snap`` file's text for ``entries`` (sorted naturally by key, as vitest does)."""
    body = "\n\n".join(f"exports[`{escape(k)}`] = `{escape(entries[k])}`;"
                       for k in sorted(entries, key=_natural_key))
    return f"{HEADER}\n\n{body}\n" if entries else f"{HEADER}\n"


def snap_path(root: Path, rel: str) -> Path:
    """Where the snapshots of test file ``rel`` (project-relative) live."""
    test = root / rel
    return test.parent / "__snapshots__" / f"{test.name}.snap"


@dataclass
class SnapshotSummary:
    """What one file's run did to its snapshots."""

    written: int = 0
    updated: int = 0
    failed: int = 0
    obsolete: list[str] = field(default_factory=list)
    removed: int = 0
    files_written: list[str] = field(default_factory=list)
    """Project-relative paths of ``.snap`` and ``toMatchFileSnapshot`` files this run wrote."""

    def add(self, other: SnapshotSummary) -> None:
        """Fold another file's summary into this one."""
        self.written += other.written
        self.updated += other.updated
        self.failed += other.failed
        self.obsolete.extend(other.obsolete)
        self.removed += other.removed
        self.files_written.extend(other.files_written)

    @property
    def empty(self) -> bool:
        """Nothing to report."""
        return not (self.written or self.updated or self.failed or self.obsolete or self.removed)


@dataclass(frozen=True)
class FileSnapshotMismatch:
    """A ``toMatchFileSnapshot`` that did not match (or was missing on CI)."""

    path: str
    expected: str | None
    received: str
    stack: str


class SnapshotStore:
    """One test file's snapshots during its run."""

    def __init__(self, root: Path, rel: str, mode: Mode) -> None:
        self.root = root
        self.rel = rel
        self.mode = mode
        self.path = snap_path(root, rel)
        self.summary = SnapshotSummary()
        self.load_error: str | None = None
        try:
            text = self.path.read_text(encoding="utf-8")
        except FileNotFoundError:
            text = ""
        except (OSError, UnicodeDecodeError) as exc:
            text, self.load_error = "", f"{self.display}: cannot be read ({exc})"
        try:
            self.entries = parse(text, self.display) if text else {}
        except SnapshotFileError as exc:
            self.entries, self.load_error = {}, str(exc)
        self.original = dict(self.entries)
        self.checked: set[str] = set()
        self.dirty = False

    @property
    def display(self) -> str:
        """The ``.snap`` file's project-relative path."""
        try:
            return self.path.relative_to(self.root).as_posix()
        except ValueError:
            return str(self.path)

    def for_test(self, full_name: str) -> dict[str, str]:
        """The entries a test named ``full_name`` may compare against (its keys, with any hint)."""
        return {k: v for k, v in self.entries.items() if k.startswith(full_name + " ")}

    def record(self, report: dict[str, Any]) -> None:
        """Take one test's snapshot report from the harness: ``{checked, written, updated, failed}``."""
        for key in report.get("checked", []):
            self.checked.add(str(key))
        for key, value in (report.get("written") or {}).items():
            self.entries[str(key)] = str(value)
            self.summary.written += 1
            self.dirty = True
        for key, value in (report.get("updated") or {}).items():
            self.entries[str(key)] = str(value)
            self.summary.updated += 1
            self.dirty = True
        self.summary.failed += int(report.get("failed") or 0)

    def compare_file(self, raw: dict[str, Any]) -> FileSnapshotMismatch | None:
        """A ``toMatchFileSnapshot(path)``: compare with (or write) the file; a mismatch, else None."""
        target = (self.root / self.rel).parent / str(raw.get("path", ""))
        received, stack = str(raw.get("content", "")), str(raw.get("stack", ""))
        try:
            shown = target.resolve().relative_to(self.root.resolve()).as_posix()
        except ValueError:
            return FileSnapshotMismatch(str(raw.get("path")), None, received, stack)  # outside the project
        try:
            expected: str | None = target.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError):
            expected = None
        if expected == received:
            return None
        if (expected is None and self.mode != "none") or (expected is not None and self.mode == "all"):
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(received, encoding="utf-8")
            self.summary.files_written.append(shown)
            if expected is None:
                self.summary.written += 1
            else:
                self.summary.updated += 1
            return None
        self.summary.failed += 1
        return FileSnapshotMismatch(shown, expected, received, stack)

    def finish(self, complete: bool) -> SnapshotSummary:
        """The file's run ended: write the ``.snap`` file if it changed; ``complete`` means every test
        of the file ran (no filter, no skip), so unchecked entries are obsolete."""
        if self.load_error is not None:
            return self.summary
        if complete:
            obsolete = sorted(set(self.original) - self.checked)
            if self.mode == "all" and obsolete:
                for key in obsolete:
                    self.entries.pop(key, None)
                self.summary.removed = len(obsolete)
                self.dirty = True
            else:
                self.summary.obsolete = [f"{self.display}: {k}" for k in obsolete]
        if self.dirty and self.mode != "none":
            self.path.parent.mkdir(parents=True, exist_ok=True)
            if self.entries:
                tmp = self.path.with_suffix(f".snap.{os.getpid()}.tmp")
                tmp.write_text(render(self.entries), encoding="utf-8")
                tmp.replace(self.path)
            elif self.path.exists():
                self.path.unlink()
            self.summary.files_written.append(self.display)
        return self.summary
