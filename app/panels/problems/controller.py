"""``ProblemsController``: merges diagnostics by source and file, feeds the Problems view."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from PySide6.QtCore import QObject, Signal

from app.services.runtime_service import BuildFinished
from app.services.types import SourceLocation
from editor.types import FileDiagnostics, Severity
from runtime.errors import BundleError

SEVERITY_NAMES = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFORMATION: "info", Severity.HINT: "hint"}


@dataclass(frozen=True)
class Problem:
    """One row of the Problems panel."""

    location: SourceLocation | None
    """Where it is (None for project-wide problems)."""
    severity: str
    """error, warning, info or hint."""
    message: str
    """The message."""
    source: str
    """Who reported it: ``ts`` (language service), ``build`` (esbuild / manifest) or ``test`` (a failed test)."""


@dataclass(frozen=True)
class ProblemCounts:
    """Payload of ``ProblemsController.sig_counts_changed``."""

    errors: int
    """Number of errors."""
    warnings: int
    """Number of warnings."""


class ProblemsView(Protocol):
    """What the controller needs from the Problems widget."""

    def show_problems(self, problems: list[Problem]) -> None:
        """Replace the rows."""
        ...


def _sort_key(problem: Problem) -> tuple[int, str, int, int]:
    loc = problem.location
    order = ("error", "warning", "info", "hint").index(problem.severity) if problem.severity in ("error", "warning", "info", "hint") else 9
    return (order, str(loc.path) if loc else "", loc.line if loc else 0, loc.column if loc else 0)


def problems_from_lsp(published: FileDiagnostics) -> tuple[Problem, ...]:
    """Problems from one file's language-service diagnostics (LSP 0-based -> 1-based)."""
    return tuple(
        Problem(SourceLocation(published.path, d.range.start.line + 1, d.range.start.character + 1),
                SEVERITY_NAMES.get(d.severity, "error"), f"{d.message} (TS{d.code})" if d.code else d.message, "ts")
        for d in published.diagnostics
    )


def problems_from_build(finished: BuildFinished) -> tuple[Problem, ...]:
    """Problems from a failed build (esbuild diagnostics or a manifest error)."""
    error = finished.report.error
    if finished.report.ok or error is None:
        return ()
    diagnostics = error.diagnostics if isinstance(error, BundleError) and error.diagnostics else []
    if not diagnostics:
        loc = error.location
        where = SourceLocation(finished.root / loc.file, loc.line, loc.column) if loc else None
        return (Problem(where, "error", error.message, "build"),)
    return tuple(
        Problem(SourceLocation(finished.root / d.location.file, d.location.line, d.location.column) if d.location else None,
                d.severity if d.severity in ("error", "warning") else "error", d.message, "build")
        for d in diagnostics
    )


class ProblemsController(QObject):
    """Keeps the current problems per (source, file) and shows them sorted."""

    sig_counts_changed = Signal(object)
    """ProblemCounts: the number of errors or warnings changed."""
    sig_location_requested = Signal(object)
    """SourceLocation: the user activated a problem; open the editor there."""

    def __init__(self, view: ProblemsView, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.view = view
        self._problems: dict[tuple[str, Path | None], tuple[Problem, ...]] = {}

    def problems(self) -> list[Problem]:
        """Every current problem, errors first, then by file and line."""
        return sorted((p for group in self._problems.values() for p in group), key=_sort_key)

    def set_file_diagnostics(self, published: FileDiagnostics) -> None:
        """Replace the language service's problems of one file."""
        self._replace(("ts", published.path), problems_from_lsp(published))

    def set_build_result(self, finished: BuildFinished) -> None:
        """Replace the build problems (cleared by a good build)."""
        self._replace(("build", None), problems_from_build(finished))

    def set_test_problems(self, problems: tuple[Problem, ...]) -> None:
        """Replace the failures of ``isoplay test`` runs (the Testing panel's)."""
        self._replace(("test", None), tuple(problems))

    def clear(self) -> None:
        """Forget everything (another project was opened)."""
        self._problems.clear()
        self._refresh()

    def _replace(self, key: tuple[str, Path | None], problems: tuple[Problem, ...]) -> None:
        if self._problems.get(key, ()) == problems:
            return
        self._problems[key] = problems
        self._refresh()

    def _refresh(self) -> None:
        problems = self.problems()
        self.view.show_problems(problems)
        errors = sum(p.severity == "error" for p in problems)
        self.sig_counts_changed.emit(ProblemCounts(errors, sum(p.severity == "warning" for p in problems)))

    def on_view_problem_activated(self, problem: Problem) -> None:
        """Slot: a row was clicked; jump to it when it has a location."""
        if problem.location is not None:
            self.sig_location_requested.emit(problem.location)
