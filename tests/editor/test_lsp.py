"""The language client against a real ``tsc --lsp --stdio`` on a temp project."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from conftest import SERVER_TIMEOUT_MS, is_ready
from editor_testutil import position_of
from PySide6.QtCore import Qt

from editor.decorations import Indicator
from editor.lsp import EditorLspBinding, LanguageClient, ServerStatus, SymbolListModel
from editor.types import FileDiagnostics
from editor.widget import CodeEditor

Setup = tuple[CodeEditor, LanguageClient, EditorLspBinding]
WAIT_MS = 15_000


def has_type_error(editor: CodeEditor) -> bool:
    """True when the 'string is not assignable to number' error on line 2 is shown."""
    return any(d.code == "2322" and d.range.start.line == 2 for d in editor.diagnostics())


def test_type_error_becomes_squiggle_and_published_diagnostic(qtbot: Any, lsp_setup: Setup, ts_project: Path) -> None:
    editor, client, _binding = lsp_setup
    published: list[FileDiagnostics] = []
    client.sig_diagnostics_published.connect(published.append)
    qtbot.waitUntil(lambda: has_type_error(editor), timeout=WAIT_MS)
    error = next(d for d in editor.diagnostics() if d.code == "2322")
    assert "not assignable" in error.message
    pos = editor.view.to_byte_position(error.range.start)
    assert editor.view.indicatorValueAt(Indicator.ERROR, pos) > 0
    assert any(p.path == (ts_project / "main.ts").resolve() and p.diagnostics for p in published)
    # fix it with an incremental edit: the squiggle goes away
    fix = position_of(editor.text(), '"oops"')
    start = editor.view.to_byte_position(fix)
    editor.view.setTargetRange(start, start + len('"oops"'))
    editor.view.replaceTarget(2, "42")
    qtbot.waitUntil(lambda: not has_type_error(editor), timeout=WAIT_MS)
    assert editor.view.indicatorValueAt(Indicator.ERROR, pos) == 0


def test_completion_after_env_dot_lists_kv_binding(qtbot: Any, lsp_setup: Setup) -> None:
    editor, client, _binding = lsp_setup
    anchor = position_of(editor.text(), "return helper(1);")
    editor.set_caret(anchor)
    with qtbot.waitSignal(client.sig_completion_received, timeout=WAIT_MS) as blocker:
        qtbot.keyClicks(editor.view, "env.")
    labels = [item.label for item in blocker.args[0].items]
    assert "KV" in labels and "API_TOKEN" in labels
    qtbot.waitUntil(editor.is_completion_active, timeout=2_000)
    editor.view.autoCSelect("KV")
    assert bytes(editor.view.autoCCurrentText()).decode() == "KV"


def test_ctrl_space_completion_is_filtered_by_prefix(qtbot: Any, lsp_setup: Setup) -> None:
    editor, client, _binding = lsp_setup
    editor.set_caret(position_of(editor.text(), "return helper(1);"))
    qtbot.keyClicks(editor.view, "env.AP")
    with qtbot.waitSignal(client.sig_completion_received, timeout=WAIT_MS):
        qtbot.keyClick(editor.view, Qt.Key.Key_Space, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(editor.is_completion_active, timeout=2_000)
    assert bytes(editor.view.autoCCurrentText()).decode() == "API_TOKEN"


def test_go_to_definition_across_files(qtbot: Any, lsp_setup: Setup, ts_project: Path) -> None:
    editor, _client, binding = lsp_setup
    editor.set_caret(position_of(editor.text(), "helper(1)", 2))
    with qtbot.waitSignal(binding.sig_definition_found, timeout=WAIT_MS) as blocker:
        qtbot.keyClick(editor.view, Qt.Key.Key_F12)
    target = blocker.args[0]
    assert target.path == (ts_project / "util.ts").resolve()
    assert (target.line, target.character) == (0, len("export function "))


def test_definition_of_env_member_is_in_the_declaration_file(qtbot: Any, lsp_setup: Setup, ts_project: Path) -> None:
    editor, _client, binding = lsp_setup
    with qtbot.waitSignal(binding.sig_definition_found, timeout=WAIT_MS) as blocker:
        binding.request_definition(position_of(editor.text(), "KV.put", 1))
    assert blocker.args[0].path == (ts_project / "env.d.ts").resolve()
    assert blocker.args[0].line == 5


def test_signature_help_hover_and_symbols(qtbot: Any, lsp_setup: Setup) -> None:
    editor, client, binding = lsp_setup
    editor.set_caret(position_of(editor.text(), "return helper(1);"))
    with qtbot.waitSignal(client.sig_signature_help_received, timeout=WAIT_MS) as blocker:
        qtbot.keyClicks(editor.view, "helper(")
    assert blocker.args[0].label == "helper(x: number): string"
    assert editor.is_calltip_active()
    hover_at = position_of(editor.text(), "n: number", 0)
    with qtbot.waitSignal(client.sig_hover_received, timeout=WAIT_MS) as blocker:
        editor.sig_hover_requested.emit(hover_at)
    assert "const n: number" in blocker.args[0].text
    with qtbot.waitSignal(binding.sig_symbols_updated, timeout=WAIT_MS) as blocker:
        binding.request_document_symbols()
    model = SymbolListModel()
    model.set_symbols(blocker.args[0])
    names = [model.symbol(row).name for row in range(model.rowCount())]
    assert "fetch" in names and "n" in names


def test_server_restarts_after_crash_and_resyncs(qtbot: Any, lsp_setup: Setup) -> None:
    editor, client, _binding = lsp_setup
    qtbot.waitUntil(lambda: has_type_error(editor), timeout=WAIT_MS)
    old_pid = client.statistics().pid
    statuses: list[ServerStatus] = []
    client.sig_status_changed.connect(lambda change: statuses.append(change.status))
    with qtbot.waitSignal(client.sig_status_changed, timeout=SERVER_TIMEOUT_MS, check_params_cb=is_ready):
        client.kill_server()
    assert statuses == [ServerStatus.RESTARTING, ServerStatus.READY]
    stats = client.statistics()
    assert stats.restarts == 1 and stats.pid not in (None, old_pid)
    fix = position_of(editor.text(), '"oops"')
    start = editor.view.to_byte_position(fix)
    editor.view.setTargetRange(start, start + len('"oops"'))
    editor.view.replaceTarget(2, "42")
    qtbot.waitUntil(lambda: not has_type_error(editor), timeout=WAIT_MS)


def test_responses_for_outdated_versions_are_dropped(qtbot: Any, lsp_setup: Setup) -> None:
    editor, client, binding = lsp_setup
    path = editor.path
    assert path is not None
    old_version = editor.document_version
    editor.set_caret(position_of(editor.text(), "return helper(1);"))
    qtbot.keyClicks(editor.view, "x")
    binding.flush()
    hovers: list[object] = []
    client.sig_hover_received.connect(hovers.append)
    client.request_hover(path, old_version, position_of(editor.text(), "helper(n)"))
    qtbot.waitUntil(lambda: client.statistics().dropped_responses >= 1, timeout=WAIT_MS)
    assert hovers == []
    client.request_hover(path, editor.document_version, position_of(editor.text(), "helper(n)"))
    qtbot.waitUntil(lambda: len(hovers) == 1, timeout=WAIT_MS)
