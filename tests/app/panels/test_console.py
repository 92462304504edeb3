"""Console controller with a fake view, and the real widget's filter intents."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from app.panels.console.controller import ConsoleController, ConsoleEntry, ConsoleFilter, matches
from app.panels.console.widget import ConsoleWidget
from app.services.runtime_service import BuildFinished, InvocationFinished
from runtime.errors import BundleError
from runtime.invocation import HttpRequest, InvocationResult, LogEntry
from runtime.service import BuildReport


class FakeConsoleView:
    def __init__(self) -> None:
        self.rows: list[ConsoleEntry] = []

    def show_entries(self, entries: list[ConsoleEntry]) -> None:
        self.rows = list(entries)

    def append_entries(self, entries: list[ConsoleEntry]) -> None:
        self.rows.extend(entries)


def finished(*logs: LogEntry) -> InvocationFinished:
    result = InvocationResult("fetch", "ok", 200, "OK", logs=logs, duration_ms=1.5)
    return InvocationFinished(Path("/p"), HttpRequest("GET", "http://localhost/x"), result, 1)


def test_invocation_logs_then_summary() -> None:
    view = FakeConsoleView()
    console = ConsoleController(view)
    console.add_invocation(finished(LogEntry("log", "hello", 1.0), LogEntry("warn", "careful", 2.0)))
    assert [(r.level, r.message) for r in view.rows] == [("log", "hello"), ("warn", "careful"),
                                                         ("info", "GET /x → 200 in 1.5 ms")]


def test_filter_by_text_and_level_and_clear() -> None:
    view = FakeConsoleView()
    console = ConsoleController(view)
    console.add_invocation(finished(LogEntry("log", "Hello", 1.0), LogEntry("error", "bad hello", 2.0)))
    console.on_view_filter_changed(ConsoleFilter("hello", "error"))
    assert [r.message for r in view.rows] == ["bad hello"]
    console.add_message("error", "unrelated")
    assert [r.message for r in view.rows] == ["bad hello"]
    console.on_view_cleared()
    assert view.rows == [] and not console.entries
    assert matches(ConsoleEntry("log", 0, "x"), ConsoleFilter())


def test_builds_report_failures_and_recovery_only() -> None:
    view = FakeConsoleView()
    console = ConsoleController(view)
    root = Path("/p")
    console.add_build(BuildFinished(root, BuildReport(True, "aaaa", 5)))
    console.add_build(BuildFinished(root, BuildReport(True, "aaaa", 5)))
    console.add_build(BuildFinished(root, BuildReport(False, "aaaa", 5, BundleError("src/a.ts:1:1: bad"))))
    console.add_build(BuildFinished(root, BuildReport(True, "bbbb", 5)))
    assert [r.message.split(" in ")[0] for r in view.rows] == ["build aaaa ok", "build failed: src/a.ts:1:1: bad", "build bbbb ok"]


def test_widget_emits_filter_and_shows_rows(qtbot: Any) -> None:
    widget = ConsoleWidget()
    qtbot.addWidget(widget)
    with qtbot.waitSignal(widget.sig_filter_changed, timeout=1000) as blocker:
        qtbot.keyClicks(widget.filter_edit, "k")
    assert blocker.args[0] == ConsoleFilter("k", "")
    widget.show_entries([ConsoleEntry("error", 0.0, "boom")])
    assert widget.row_texts() == ["boom"]
