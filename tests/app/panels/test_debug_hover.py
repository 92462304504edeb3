"""Debugger hovers: while paused, the mouse resting on a name in the editor shows its value in the selected frame.

Real sessions (a real debuggee and isolate) drive the real editor and panels; a fake driver and a fake
language client pin down the ordering rules (only while paused, the value before the type, stale answers dropped).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import test_debug
from PySide6.QtCore import QObject, Signal
from test_debug import STACK, FakeDriver, Ide

from app.panels.debug.driver import Evaluate, Started
from app.panels.debug.hover import DebugHoverAdapter, hover_expression
from app.panels.debug.types import DebugState
from debugger.protocol import Breakpoint, Paused, Resumed, Value
from editor.lsp.binding import EditorLspBinding
from editor.lsp.types import HoverResult
from editor.types import TextPosition
from editor.widget import CodeEditor
from runtime.invocation import HttpRequest

pytestmark = pytest.mark.timeout(120)

fake = test_debug.fake
"""A controller over a fake view and a fake driver (the fixture of test_debug.py)."""

WAIT = 15_000


@pytest.mark.parametrize(("line", "column", "expected"), [
    ("    return Response.json({ path: url.pathname });", 37, "url.pathname"),  # hovering `pathname`
    ("    return Response.json({ path: url.pathname });", 33, "url"),  # hovering `url`
    ("const n = url.pathname.length;", 16, "url.pathname"),  # the chain stops at the hovered name
    ("this.count += 1;", 7, "this.count"),
    ("this.count += 1;", 2, "this"),
    ("const v = a?.b;", 13, "a?.b"),
    ("const v = a!.b;", 13, "a.b"),  # TypeScript's non-null assertion is not JavaScript
    ("f(...args);", 6, "args"),  # a spread is not a member access
    ("obj.default", 6, "obj.default"),  # reserved words are fine as member names
    ("élan.x", 5, "élan.x"),
    ("load().x", 7, None),  # never a call
    ("items[0].x", 9, None),  # nor indexing
    ('"text".length', 8, None),  # nor a literal
    ("this.#secret", 8, None),  # a private field needs its class
    ("const x = 1;", 2, None),  # a reserved word
    ("super.x", 6, None),
    ("return true;", 8, None),
    ("a + b", 2, None),  # not on a name
    ("x", 5, None),
])
def test_hover_expression_is_the_name_and_the_member_chain_before_it(line: str, column: int,
                                                                     expected: str | None) -> None:
    assert hover_expression(line, column) == expected


# ---- a real session ------------------------------------------------------------------------------------
HOVER_SRC = """\
class Counter {
  count = 2;
  bump(by: number): number {
    // the total so far
    const label = "total";
    const result = this.count + by;
    return result;
  }
}

export default {
  async fetch(request: Request): Promise<Response> {
    const url = new URL(request.url);
    const total = new Counter().bump(url.pathname.length);
    return new Response(`${total}`);
  },
};
"""
RETURN_LINE = 7
"""1-based line of ``return result;`` in ``Counter.bump``."""


def position_of(editor: CodeEditor, needle: str, offset: int = 0, occurrence: int = 0) -> TextPosition:
    """The position ``offset`` characters into the ``occurrence``-th ``needle`` of the editor's text."""
    lines = editor.text().splitlines()
    found = [(n, line.index(needle)) for n, line in enumerate(lines) if needle in line]
    line, column = found[occurrence]
    return TextPosition(line, column + offset)


def rest_on(editor: CodeEditor, position: TextPosition) -> None:
    """The mouse leaves the previous place (Scintilla's dwell end) and rests on ``position``."""
    editor.view.dwellEnd.emit(0, 0)
    editor.request_hover(position)


def hover_adapter(editor: CodeEditor) -> DebugHoverAdapter:
    (adapter,) = editor.findChildren(DebugHoverAdapter)
    return adapter


def wait_for_console(qtbot: Any, one: Ide, marker: str) -> None:
    """Evaluate ``marker`` for the Debug Console and wait for it: every earlier request was answered by then."""
    one.controller.evaluate_console(f"'{marker}'")
    qtbot.waitUntil(lambda: marker in one.panel.console.text(), timeout=WAIT)


@pytest.fixture
def paused(make_project: Any, qtbot: Any) -> Any:
    """An IDE over HOVER_SRC paused at ``return result;`` inside ``Counter.bump`` (called from ``fetch``)."""
    one = Ide(make_project({"src/index.ts": HOVER_SRC}), qtbot)
    one.adapter.toggle_line(RETURN_LINE - 1)
    with qtbot.waitSignal(one.controller.sig_paused, timeout=30_000) as stopped:
        one.controller.start(HttpRequest("GET", "http://localhost/"))
    assert [(f.function, f.line) for f in stopped.args[0].stack][:2] == [("Counter.bump", RETURN_LINE), ("fetch", 14)]
    yield one
    one.controller.close()


def test_paused_hover_shows_names_member_chains_and_this_in_the_paused_frame(paused: Ide, qtbot: Any) -> None:
    editor = paused.editor
    rest_on(editor, position_of(editor, "return result", 8))
    qtbot.waitUntil(lambda: editor.calltip_text() == "result = 3  (number)", timeout=WAIT)
    rest_on(editor, position_of(editor, "this.count", 6))  # hovering `count`
    qtbot.waitUntil(lambda: editor.calltip_text() == "this.count = 2  (number)", timeout=WAIT)
    rest_on(editor, position_of(editor, "this.count", 1))  # hovering `this`
    qtbot.waitUntil(lambda: editor.calltip_text().startswith("this = Counter"), timeout=WAIT)
    assert editor.calltip_text().endswith("(object)")
    # a real mouse dwell over `by` (Scintilla's dwell signal with the word's coordinates)
    view = editor.view
    pos = view.to_byte_position(position_of(editor, "+ by", 3))
    view.dwellStart.emit(view.pointXFromPosition(pos) + 2, view.pointYFromPosition(pos) + 4)
    qtbot.waitUntil(lambda: editor.calltip_text() == "by = 1  (number)", timeout=WAIT)
    view.dwellEnd.emit(0, 0)
    assert editor.calltip_text() == ""


def test_no_debug_value_for_keywords_comments_strings_or_names_the_frame_cannot_see(paused: Ide, qtbot: Any) -> None:
    editor, adapter = paused.editor, hover_adapter(paused.editor)
    shown: list[object] = []
    paused.controller.sig_hover_evaluated.connect(shown.append)
    comment = position_of(editor, "the total so far", 5)
    string = position_of(editor, '"total"', 2)
    keyword = position_of(editor, "const result", 2)
    for position in (comment, string, keyword, position_of(editor, "this.count", 4)):  # (`.`: an operator)
        assert adapter.expression_at(position) is None
        rest_on(editor, position)
    # `url` is fetch's: in bump's frame it is a ReferenceError, which a hover does not show
    unknown = position_of(editor, "url = new", 1)
    assert adapter.expression_at(unknown) == "url"
    rest_on(editor, unknown)
    wait_for_console(qtbot, paused, "after-hover")
    assert shown == [] and editor.calltip_text() == ""
    assert "url is not defined" not in paused.panel.console.text()


def test_hover_evaluates_in_the_chosen_frame_and_only_in_its_file(paused: Ide, qtbot: Any) -> None:
    editor = paused.editor
    paused.controller.select_frame(1)  # fetch
    qtbot.waitUntil(lambda: paused.panel.variables.tree.find_row("Locals", "url") is not None, timeout=WAIT)
    rest_on(editor, position_of(editor, "url.pathname.length", 6))  # hovering `pathname`
    qtbot.waitUntil(lambda: editor.calltip_text() == 'url.pathname = "/"  (string)', timeout=WAIT)
    other = CodeEditor(paused.window)  # another file of the project, same text: not the frame's file
    other_path = paused.controller.root / "src" / "copy.ts"
    other_path.write_text(HOVER_SRC, encoding="utf-8")
    other.load_file(other_path)
    paused.binding.attach_editor(other)
    shown: list[object] = []
    paused.controller.sig_hover_evaluated.connect(shown.append)
    rest_on(other, position_of(other, "url.pathname.length", 6))
    wait_for_console(qtbot, paused, "after-other-file")
    assert shown == [] and other.calltip_text() == ""
    with qtbot.waitSignal(paused.controller.sig_exited, timeout=WAIT):
        paused.trigger("start_continue")
    rest_on(editor, position_of(editor, "return result", 8))  # ended: no debug value
    qtbot.wait(100)
    assert editor.calltip_text() == ""


# ---- the rules, with a fake driver and a fake language client ---------------------------------------------------
class FakeClient(QObject):
    """The parts of ``LanguageClient`` that ``EditorLspBinding`` uses; records hover requests."""

    sig_diagnostics_published = Signal(object)
    sig_completion_received = Signal(object)
    sig_hover_received = Signal(object)
    sig_signature_help_received = Signal(object)
    sig_definition_received = Signal(object)
    sig_symbols_received = Signal(object)

    def __init__(self) -> None:
        super().__init__()
        self.hovers: list[TextPosition] = []

    def open_document(self, path: Path, editor: object) -> None: ...

    def close_document(self, path: Path) -> None: ...

    def change_document(self, path: Path, version: int, changes: object) -> None: ...

    def request_hover(self, path: Path, version: int, position: TextPosition) -> None:
        self.hovers.append(position)


LIB_TS = "export function helper(total: number): number {\n  const doubled = total * 2;\n  return doubled;\n}\n"


def test_not_paused_only_the_language_server_answers_and_stale_values_are_dropped(fake: Any, qtbot: Any) -> None:
    from app.panels.debug.actions import DebugActions
    from app.panels.debug.widget import DebugPanel
    from app.panels.debug.wiring import DebugBinding

    controller, _view, drivers = fake
    root: Path = controller.root
    (root / "src").mkdir()
    (root / "src" / "lib.ts").write_text(LIB_TS, encoding="utf-8")
    editor = CodeEditor()
    qtbot.addWidget(editor)
    editor.load_file(root / "src" / "lib.ts")
    editor.show()
    panel = DebugPanel()
    qtbot.addWidget(panel)
    actions = DebugActions(panel)
    DebugBinding(controller, panel, actions, lambda: editor).attach_editor(editor)
    client = FakeClient()
    EditorLspBinding(editor, client, debounce_ms=0)  # type: ignore[arg-type]
    total = position_of(editor, "total * 2", 1)
    path = root.resolve() / "src" / "lib.ts"

    def lsp_answers(position: TextPosition, text: str = "(parameter) total: number") -> None:
        qtbot.waitUntil(lambda: bool(client.hovers) and client.hovers[-1] == position, timeout=WAIT)
        client.sig_hover_received.emit(HoverResult(path, editor.document_version, position, text))

    def hover_requests() -> list[Evaluate]:
        return [r for d in drivers for r, _ in d.requests if isinstance(r, Evaluate) and r.purpose == "hover"]

    rest_on(editor, total)  # idle: the language server's hover only
    lsp_answers(total)
    assert editor.calltip_text() == "(parameter) total: number" and hover_requests() == []
    rest_on(editor, total)
    editor.view.dwellEnd.emit(0, 0)  # the mouse left before the language server answered
    lsp_answers(total)
    assert editor.calltip_text() == ""
    controller.start(HttpRequest("GET", "http://localhost/"))
    driver: FakeDriver = drivers[0]
    driver.sig_started.emit(Started((Breakpoint(1, "src/lib.ts", 4, "verified", 4, 7),)))
    assert controller.state is DebugState.RUNNING
    rest_on(editor, total)  # running: still only the language server
    assert hover_requests() == []

    driver.sig_event_received.emit(Paused("breakpoint", STACK, (1,)))  # paused in src/lib.ts (frame 0)
    rest_on(editor, total)
    assert hover_requests() == [Evaluate("total", 0, "hover")]
    lsp_answers(total)  # the type arrives first ...
    driver.answer(Evaluate("total", 0, "hover"), Value("21", "number"))  # ... the value goes before it
    assert editor.calltip_text() == "total = 21  (number)\n\n(parameter) total: number"

    doubled = position_of(editor, "return doubled", 8)
    rest_on(editor, doubled)
    rest_on(editor, total)  # moved on before `doubled` was answered: its answer is stale
    driver.answer(Evaluate("doubled", 0, "hover"), Value("42", "number"))
    assert "doubled" not in editor.calltip_text()
    driver.answer(Evaluate("total", 0, "hover"), Value.failed("ReferenceError: total is not defined"))
    assert editor.calltip_text() == ""  # errors are not shown

    rest_on(editor, total)
    editor.view.dwellEnd.emit(0, 0)  # the mouse left: a late value is not shown
    driver.answer(Evaluate("total", 0, "hover"), Value("21", "number"))
    assert editor.calltip_text() == ""

    rest_on(editor, total)
    controller.select_frame(1)  # another frame chosen before the answer came: it is that frame's no longer
    driver.answer(Evaluate("total", 0, "hover"), Value("21", "number"))
    assert editor.calltip_text() == ""
    count = len(hover_requests())
    rest_on(editor, total)  # frame 1 is in src/index.ts: names in src/lib.ts are not evaluated there
    assert len(hover_requests()) == count
    controller.select_frame(0)

    rest_on(editor, total)
    driver.sig_event_received.emit(Resumed())  # resumed before the answer came
    driver.answer(Evaluate("total", 0, "hover"), Value("21", "number"))
    assert editor.calltip_text() == "" and controller.state is DebugState.RUNNING


# ---- the whole IDE: the debugger's value and the language server's type in one hover ---------------------------
def test_ide_hover_while_paused_shows_the_value_before_the_language_servers_type(
        qtbot: Any, ide_factory: Any, sample_project: Path, tmp_path: Path) -> None:
    from ide_testutil import WAIT_MS, language_ready

    from app.panels.simulator.forms import HttpForm

    ide = ide_factory(sample_project)
    editor = ide.controllers.editors.current_editor()
    controller = ide.debugger.controller
    controller.toggle_breakpoint("src/index.ts", 11)  # return Response.json({ ..., path: url.pathname })
    ide.panels.simulator.set_http_form(HttpForm("GET", "/debugged?x=1"))
    qtbot.waitUntil(lambda: language_ready(ide), timeout=WAIT_MS)
    with qtbot.waitSignal(controller.sig_paused, timeout=WAIT_MS):
        controller.start_or_continue()
    view = editor.view
    pos = view.to_byte_position(position_of(editor, "path: url.pathname", 12))  # the mouse rests on `pathname`
    view.scrollRange(pos, pos)  # (the line is wider than the editor beside the Run and Debug column)
    view.dwellStart.emit(view.pointXFromPosition(pos) + 2, view.pointYFromPosition(pos) + 4)
    qtbot.waitUntil(lambda: editor.calltip_text().startswith('url.pathname = "/debugged"  (string)\n\n')
                    and "pathname: string" in editor.calltip_text(), timeout=WAIT_MS)
    assert ide.window.grab().save(str(tmp_path / "ide-debug-hover.png"))
    view.dwellEnd.emit(0, 0)
    with qtbot.waitSignal(controller.sig_exited, timeout=WAIT_MS):
        controller.start_or_continue()
    view.dwellStart.emit(view.pointXFromPosition(pos) + 2, view.pointYFromPosition(pos) + 4)
    qtbot.waitUntil(lambda: "pathname: string" in editor.calltip_text(), timeout=WAIT_MS)
    assert "=" not in editor.calltip_text()  # not paused: the type only
