"""``TestingController``: runs ``isoplay test`` on the runtime thread and keeps the test tree.

A run (all tests, one file or one test) is a ``runtime.testing.TestRun`` on the
runtime loop; its events come back through a queued signal, so the view updates
as each test ends. Failures become Problems (one per error, at its TypeScript
position). Opening a project lists its tests without running them (a
collect-only run: each file is loaded in an isolate, no test body runs).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from PySide6.QtCore import QObject, Qt, Signal

from app.bridge import FutureBridge
from app.panels.problems.controller import Problem
from app.services.types import Failure, SourceLocation
from runtime.loop import RuntimeThread
from runtime.testing.models import (
    Event, FileCollected, FileFinished, FileResult, FileStarted, RunResult, TestCase, TestError, TestFinished,
    TestResult,
)
from runtime.testing.runner import TestRun


@dataclass(frozen=True)
class TestTarget:
    """What a Run button or a row stands for: a file, one test of it, or (file None) everything."""

    __test__ = False  # not a pytest test class

    file: str | None = None
    """Project-relative test file."""
    test: str | None = None
    """Full name (``describe > name``) of one test, or None for the whole file."""


@dataclass(frozen=True)
class TestRow:
    """One test as the tree shows it."""

    __test__ = False  # not a pytest test class

    file: str
    name: str
    """Full name."""
    line: int
    status: str
    """``idle``, ``queued``, ``pass``, ``fail``, ``skip`` or ``todo``."""
    duration_ms: float | None = None
    message: str = ""
    """The first error's summary when it failed."""


class TestingView(Protocol):
    """What the controller needs from the Testing widget."""

    def show_files(self, files: dict[str, list[TestRow]]) -> None:
        """Replace the tree."""

    def update_test(self, row: TestRow) -> None:
        """Update (or add) one test row."""

    def update_file(self, file: str, status: str, duration_ms: float | None) -> None:
        """Update a file row's status."""

    def show_status(self, text: str) -> None:
        """The line under the tree (counts, time, what runs)."""

    def set_running(self, running: bool) -> None:
        """Enable or disable the Run buttons."""


def test_problems(result: TestResult, root: Path) -> tuple[Problem, ...]:
    """Problems for one failed test: one per error, at its TypeScript position."""
    if result.status != "fail":
        return ()
    return tuple(Problem(_where(err, root, result.case), "error", f"{result.case.full_name}: {err.summary()}", "test")
                 for err in result.errors)


def file_problems(file: FileResult, root: Path) -> tuple[Problem, ...]:
    """Problems for a file's own errors (it did not build or load, a hook failed)."""
    return tuple(Problem(_where(err, root, None) or SourceLocation(root / file.file, 1, 1), "error",
                         f"{file.file}: {err.summary()}", "test") for err in file.errors)


def _where(err: TestError, root: Path, case: TestCase | None) -> SourceLocation | None:
    if err.at is not None:
        return SourceLocation(root / err.at.file, err.at.line, max(err.at.column, 1))
    if case is not None and case.line:
        return SourceLocation(root / case.file, case.line, max(case.column, 1))
    return None


def _summary(err: dict[str, Any]) -> str:
    name, message = str(err.get("name") or "Error"), str(err.get("message") or "")
    return f"{name}: {message}" if message else name


def _first_error(result: dict[str, Any]) -> str:
    errors = result.get("errors") or []
    return _summary(errors[0]) if errors else ""


def _json_where(err: dict[str, Any], root: Path, file: str, line: int) -> SourceLocation:
    at = err.get("location")
    if isinstance(at, dict) and at.get("file"):
        return SourceLocation(root / str(at["file"]), int(at.get("line") or 1), max(int(at.get("column") or 1), 1))
    return SourceLocation(root / file, max(line, 1), 1)


class TestingController(QObject):
    """Owns the test tree state and runs tests off the GUI thread."""

    __test__ = False  # not a pytest test class

    sig_problems_changed = Signal(object)
    """tuple[Problem, ...]: every current test failure (replace the Problems panel's ``test`` group)."""
    sig_location_requested = Signal(object)
    """SourceLocation: open the editor at a test or a failure."""
    sig_run_finished = Signal(object)
    """RunResult: a run (or a listing) ended."""
    sig_rows_changed = Signal(object)
    """str: the tests (or their statuses) of this project-relative file changed (gutter markers follow)."""
    sig_debug_requested = Signal(object)
    """TestTarget: debug this test (the composition root hands it to the debugger)."""
    _sig_event = Signal(object)
    """(internal) a run event, emitted on the runtime thread and delivered queued on the GUI thread."""

    def __init__(self, view: TestingView, thread: RuntimeThread, bridge: FutureBridge,
                 on_failure: Callable[[Failure], None], parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.view = view
        self._thread = thread
        self._bridge = bridge
        self._on_failure = on_failure
        self.root: Path | None = None
        self.rows: dict[str, dict[str, TestRow]] = {}
        """file -> full name -> row."""
        self._problems: dict[tuple[str, str | None], tuple[Problem, ...]] = {}
        """(file, test full name or None for the file itself) -> its problems."""
        self.running = False
        self._sig_event.connect(self._on_event, Qt.ConnectionType.QueuedConnection)

    # ---- intents ------------------------------------------------------------------------------
    def set_root(self, root: Path | None) -> None:
        """Follow the project at ``root`` (None: closed) and list its tests."""
        self.root = root
        self.rows = {}
        self._problems = {}
        self.sig_problems_changed.emit(())
        self.view.show_files({})
        if root is not None:
            self.refresh()

    def refresh(self) -> None:
        """List the tests again (no test runs)."""
        if self.root is not None and not self.running:
            self._start(TestRun(self.root, emit=self._sig_event.emit, collect_only=True), "listing tests…")

    def run(self, target: TestTarget | None = None) -> None:
        """Run everything, one file, or one test (ignored while a run is going)."""
        if self.root is None or self.running:
            return
        target = target or TestTarget()
        files = [self.root / target.file] if target.file else None
        pattern = f"^{re.escape(target.test)}$" if target.test else None
        what = target.test or target.file or "all tests"
        self._start(TestRun(self.root, files=files, name_pattern=pattern, emit=self._sig_event.emit), f"running {what}…")

    def on_view_run_requested(self, target: TestTarget | None) -> None:
        """Slot: a Run button."""
        self.run(target)

    def on_view_debug_requested(self, target: TestTarget) -> None:
        """Slot: a Debug button; passed on unless a run is going (a session builds from disk, as a run does)."""
        if self.root is None or self.running or target.file is None or target.test is None:
            return
        self.view.show_status(f"debugging {target.test}…")
        self.sig_debug_requested.emit(target)

    def debug_finished(self, file: str, result: dict[str, Any] | None, error: str | None) -> None:
        """A debug session of one test ended: its row and Problems show how (``TestResult.to_json()``)."""
        if result is None:
            self.view.show_status(f"debugging ended: {error}" if error else "debugging ended")
            return
        row = TestRow(file, str(result.get("fullName", "")), int(result.get("line") or 0),
                      str(result.get("status", "fail")), float(result.get("duration_ms") or 0.0),
                      _first_error(result))
        self.rows.setdefault(file, {})[row.name] = row
        self.view.update_test(row)
        self.sig_rows_changed.emit(file)
        root = self.root or Path(".")
        self._problems[(file, row.name)] = tuple(
            Problem(_json_where(err, root, file, row.line), "error", f"{row.name}: {_summary(err)}", "test")
            for err in result.get("errors", [])) if row.status == "fail" else ()
        self.sig_problems_changed.emit(self.problems())
        self.view.show_status(f"debugged {row.name}: {'passed' if row.status == 'pass' else row.status}")

    def test_at(self, file: str, line: int) -> TestTarget | None:
        """The test declared on 1-based ``line`` of ``file`` (the first one, if several share it)."""
        for row in self.rows.get(file, {}).values():
            if row.line == line:
                return TestTarget(file, row.name)
        return None

    def markers(self, file: str) -> dict[int, str]:
        """0-based line -> status for the ▶ markers of ``file`` (skipped and to-do tests get none)."""
        out: dict[int, str] = {}
        for row in self.rows.get(file, {}).values():
            if row.line and row.status not in ("skip", "todo"):
                worst = "fail" if "fail" in (row.status, out.get(row.line - 1)) else row.status
                out[row.line - 1] = worst if worst in ("pass", "fail") else "idle"
        return out

    def on_view_location_activated(self, target: TestTarget) -> None:
        """Slot: a row was double-clicked; open its file at the test (or the file's top)."""
        if self.root is None or target.file is None:
            return
        row = self.rows.get(target.file, {}).get(target.test or "")
        line = row.line if row and row.line else 1
        self.sig_location_requested.emit(SourceLocation(self.root / target.file, line, 1))

    # ---- a run ----------------------------------------------------------------------------------
    def _start(self, test_run: TestRun, status: str) -> None:
        self.running = True
        self.view.set_running(True)
        self.view.show_status(status)
        future = self._thread.submit(test_run.run())
        self._bridge.watch(future, self._on_finished, self._on_run_failed, "running tests")

    def _on_event(self, event: Event) -> None:
        if isinstance(event, FileStarted):
            self.view.update_file(event.file, "queued", None)
        elif isinstance(event, FileCollected):
            self._collected(event)
        elif isinstance(event, TestFinished):
            r = event.result
            if r.case.filtered_out:
                return  # not part of this run: keep what the row showed
            row = TestRow(r.case.file, r.case.full_name, r.case.line, r.status, r.duration_ms,
                          r.errors[0].summary() if r.errors else "")
            self.rows.setdefault(row.file, {})[row.name] = row
            self.view.update_test(row)
            self.sig_rows_changed.emit(row.file)
        elif isinstance(event, FileFinished):
            self._file_finished(event.result)

    def _collected(self, event: FileCollected) -> None:
        old = self.rows.get(event.file, {})
        rows: dict[str, TestRow] = {}
        for case in event.cases:
            prev = old.get(case.full_name)
            status = "idle" if case.filtered_out else "skip" if case.mode == "skip" else "todo" if case.mode == "todo" else "idle"
            if prev is not None and status == "idle":
                rows[case.full_name] = TestRow(case.file, case.full_name, case.line, prev.status, prev.duration_ms,
                                               prev.message)
            else:
                rows[case.full_name] = TestRow(case.file, case.full_name, case.line, status)
        self.rows[event.file] = rows
        self.view.show_files({f: list(r.values()) for f, r in sorted(self.rows.items())})
        self.sig_rows_changed.emit(event.file)

    def _file_finished(self, result: FileResult) -> None:
        for row in self.rows.get(result.file, {}).values():
            self.view.update_test(row)  # rows this run did not touch lose their "queued" mark
        root = self.root or Path(".")
        ran = [t for t in result.tests if t.status in ("pass", "fail")]
        if not ran and not result.errors:
            self.view.update_file(result.file, "idle", None)
            return
        self.view.update_file(result.file, "pass" if result.ok else "fail", result.duration_ms)
        for t in ran:
            self._problems[(result.file, t.case.full_name)] = test_problems(t, root)
        self._problems[(result.file, None)] = file_problems(result, root)
        self.sig_problems_changed.emit(self.problems())

    def problems(self) -> tuple[Problem, ...]:
        """Every current test failure, in file order."""
        return tuple(p for _key, group in sorted(self._problems.items(), key=lambda kv: (kv[0][0], kv[0][1] or ""))
                     for p in group)

    def _on_finished(self, result: RunResult) -> None:
        self.running = False
        self.view.set_running(False)
        counts = result.counts()
        if counts.get("pass", 0) + counts.get("fail", 0) == 0 and not any(f.errors for f in result.files):
            n = sum(len(r) for r in self.rows.values())
            self.view.show_status(f"{n} test{'s' if n != 1 else ''} in {len(self.rows)} file{'s' if len(self.rows) != 1 else ''}")
        else:
            parts = [f"{counts[k]} {w}" for k, w in (("fail", "failed"), ("pass", "passed"), ("skip", "skipped"),
                                                       ("todo", "todo")) if counts.get(k)]
            self.view.show_status(f"{' · '.join(parts)} in {result.duration_ms / 1000:.2f} s")
        self.sig_run_finished.emit(result)

    def _on_run_failed(self, failure: Failure) -> None:
        self.running = False
        self.view.set_running(False)
        self.view.show_status(f"tests could not run: {failure.message}")
        self._on_failure(failure)
