"""Problems controller: LSP and build diagnostics merged per source and file; activation jumps."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from app.panels.problems.controller import Problem, ProblemCounts, ProblemsController
from app.services.runtime_service import BuildFinished
from app.services.types import SourceLocation
from editor.types import Diagnostic, FileDiagnostics, Severity, TextPosition, TextRange
from runtime.errors import BundleError, Location
from runtime.errors import Diagnostic as BuildDiagnostic
from runtime.service import BuildReport

ROOT = Path("/p")


class FakeProblemsView:
    def __init__(self) -> None:
        self.rows: list[Problem] = []

    def show_problems(self, problems: list[Problem]) -> None:
        self.rows = problems


def lsp(path: str, *lines: int, severity: Severity = Severity.ERROR) -> FileDiagnostics:
    diags = tuple(Diagnostic(TextRange(TextPosition(n, 2), TextPosition(n, 5)), f"msg {n}", severity, "2322", "ts")
                  for n in lines)
    return FileDiagnostics(ROOT / path, 1, diags)


def test_lsp_diagnostics_become_one_based_rows_sorted_errors_first(qtbot: Any) -> None:
    view = FakeProblemsView()
    problems = ProblemsController(view)
    counts: list[ProblemCounts] = []
    problems.sig_counts_changed.connect(counts.append)
    problems.set_file_diagnostics(lsp("src/b.ts", 4, severity=Severity.WARNING))
    problems.set_file_diagnostics(lsp("src/a.ts", 9, 2))
    assert [(r.location.path.name, r.location.line, r.location.column, r.severity) for r in view.rows] == [
        ("a.ts", 3, 3, "error"), ("a.ts", 10, 3, "error"), ("b.ts", 5, 3, "warning")]
    assert view.rows[0].message == "msg 2 (TS2322)"
    assert counts[-1] == ProblemCounts(2, 1)
    problems.set_file_diagnostics(lsp("src/a.ts"))
    assert [r.location.path.name for r in view.rows] == ["b.ts"]


def test_build_errors_replace_each_other_and_clear_on_success() -> None:
    view = FakeProblemsView()
    problems = ProblemsController(view)
    error = BundleError("failed", diagnostics=[BuildDiagnostic("Expected ';'", Location("src/a.ts", 3, 7))])
    problems.set_build_result(BuildFinished(ROOT, BuildReport(False, "", 1, error)))
    assert [(r.source, r.location, r.message) for r in view.rows] == [
        ("build", SourceLocation(ROOT / "src/a.ts", 3, 7), "Expected ';'")]
    problems.set_build_result(BuildFinished(ROOT, BuildReport(True, "abc", 1)))
    assert view.rows == []


def test_activating_a_problem_requests_its_location(qtbot: Any) -> None:
    problems = ProblemsController(FakeProblemsView())
    located = Problem(SourceLocation(ROOT / "a.ts", 2, 1), "error", "x", "ts")
    with qtbot.waitSignal(problems.sig_location_requested, timeout=1000) as blocker:
        problems.on_view_problem_activated(located)
    assert blocker.args[0] == located.location
    with qtbot.assertNotEmitted(problems.sig_location_requested):
        problems.on_view_problem_activated(Problem(None, "error", "manifest", "build"))
