"""What a test run produces: cases, results per test and per file, and run events."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any, Literal

from runtime.invocation import LogEntry
from runtime.sourcemap import StackFrame

Status = Literal["pass", "fail", "skip", "todo"]
Mode = Literal["run", "skip", "todo"]


@dataclass(frozen=True)
class TestCase:
    """One ``it``/``test`` a file declared."""

    __test__ = False  # not a pytest test class

    file: str
    """Project-relative path of the test file (posix)."""
    id: int
    """Its index in the file, in declaration order."""
    name: str
    path: tuple[str, ...] = ()
    """The names of the enclosing ``describe`` blocks, outermost first."""
    mode: Mode = "run"
    """``run``, or ``skip`` / ``todo`` (also ``skip`` when another test in the file is ``.only``)."""
    timeout_ms: int = 5000
    line: int = 0
    """1-based TypeScript line of the declaration (0: unknown)."""
    column: int = 0
    filtered_out: bool = False
    """Skipped because of ``-t`` / a name pattern (or --bail), not because the file says so."""

    @property
    def full_name(self) -> str:
        """``describe > describe > test``."""
        return " > ".join((*self.path, self.name))

    @property
    def key(self) -> str:
        """A stable identity within a run: ``file::full name``."""
        return f"{self.file}::{self.full_name}"


@dataclass(frozen=True)
class TestError:
    """One error a test (or a hook, or the file) raised, with TypeScript positions."""

    __test__ = False  # not a pytest test class

    name: str
    message: str
    stack: str = ""
    """The source-mapped stack text (harness frames removed)."""
    frames: tuple[StackFrame, ...] = ()
    diff: str | None = None
    """expected/actual diff from @vitest/utils, with ANSI colours (green expected, red received)."""
    at: StackFrame | None = None
    """The first frame in the project's own sources: where the failure is."""
    source_line: str = ""
    """The TypeScript line at ``at``."""
    context: tuple[tuple[int, str], ...] = ()
    """(line number, text) of the lines around ``at`` (two before, one after)."""

    def summary(self) -> str:
        """``Name: message``."""
        return f"{self.name}: {self.message}" if self.message else self.name

    def to_json(self) -> dict[str, Any]:
        """Plain data (for ``--reporter json`` and the IDE)."""
        at = None if self.at is None else {"file": self.at.file, "line": self.at.line, "column": self.at.column}
        return {"name": self.name, "message": self.message, "stack": self.stack, "diff": strip_ansi(self.diff),
                "location": at}


@dataclass(frozen=True)
class TestResult:
    """How one test ended."""

    __test__ = False  # not a pytest test class

    case: TestCase
    status: Status
    duration_ms: float = 0.0
    errors: tuple[TestError, ...] = ()
    logs: tuple[LogEntry, ...] = ()
    limit: str | None = None
    """``timeout_ms`` or ``memory_mb`` when the test was stopped by that limit."""

    def to_json(self) -> dict[str, Any]:
        """Plain data."""
        return {"name": self.case.name, "fullName": self.case.full_name, "file": self.case.file,
                "line": self.case.line, "status": self.status, "duration_ms": round(self.duration_ms, 3),
                "limit": self.limit, "errors": [e.to_json() for e in self.errors],
                "logs": [{"level": log.level, "message": log.message} for log in self.logs]}


@dataclass(frozen=True)
class FileResult:
    """One test file's results, and errors that belong to no test (load, hooks, build)."""

    file: str
    tests: tuple[TestResult, ...] = ()
    errors: tuple[TestError, ...] = ()
    duration_ms: float = 0.0
    snapshots: Any = None
    """What the run did to the file's snapshots (runtime.testing.snapshots.SnapshotSummary), or None."""

    @property
    def ok(self) -> bool:
        """No failed test and no file-level error."""
        return not self.errors and all(t.status != "fail" for t in self.tests)

    def to_json(self) -> dict[str, Any]:
        """Plain data."""
        return {"file": self.file, "duration_ms": round(self.duration_ms, 3), "ok": self.ok,
                "errors": [e.to_json() for e in self.errors], "tests": [t.to_json() for t in self.tests]}


@dataclass(frozen=True)
class RunResult:
    """A whole run."""

    files: tuple[FileResult, ...] = ()
    duration_ms: float = 0.0
    errors: tuple[TestError, ...] = ()
    """Errors of the run itself (no test files found is not one: that is an empty run)."""

    def counts(self) -> Counter[str]:
        """Tests per status (``pass``, ``fail``, ``skip``, ``todo``)."""
        return Counter(t.status for f in self.files for t in f.tests)

    def snapshot_summary(self) -> Any:
        """All files' snapshot summaries folded into one (a SnapshotSummary)."""
        from runtime.testing.snapshots import SnapshotSummary

        total = SnapshotSummary()
        for f in self.files:
            if f.snapshots is not None:
                total.add(f.snapshots)
        return total

    @property
    def ok(self) -> bool:
        """Everything passed (skips and todos allowed)."""
        return not self.errors and all(f.ok for f in self.files)

    def to_json(self) -> dict[str, Any]:
        """Plain data (``--reporter json``)."""
        counts = self.counts()
        snaps = self.snapshot_summary()
        return {"ok": self.ok, "duration_ms": round(self.duration_ms, 3),
                "counts": {k: counts.get(k, 0) for k in ("pass", "fail", "skip", "todo")},
                "snapshots": {"written": snaps.written, "updated": snaps.updated, "failed": snaps.failed,
                              "obsolete": snaps.obsolete, "removed": snaps.removed},
                "errors": [e.to_json() for e in self.errors], "files": [f.to_json() for f in self.files]}


# ---- events (what reporters and the IDE follow while a run goes) ----------------------------

@dataclass(frozen=True)
class FileStarted:
    """A file's isolate is being prepared."""

    file: str


@dataclass(frozen=True)
class FileCollected:
    """A file declared these tests."""

    file: str
    cases: tuple[TestCase, ...] = field(default=())


@dataclass(frozen=True)
class TestFinished:
    """One test ended."""

    __test__ = False  # not a pytest test class

    result: TestResult


@dataclass(frozen=True)
class FileFinished:
    """One file ended."""

    result: FileResult


Event = FileStarted | FileCollected | TestFinished | FileFinished


def strip_ansi(text: str | None) -> str | None:
    """``text`` without ANSI colour codes."""
    if text is None:
        return None
    import re

    return re.sub(r"\x1b\[[0-9;]*m", "", text)
