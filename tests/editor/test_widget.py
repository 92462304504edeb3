"""The real Scintilla editor widget, driven with key events offscreen."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from editor_testutil import apply_change
from PySide6.QtCore import Qt

from editor.decorations import Indicator, Marker
from editor.lexer import TsStyle
from editor.types import Diagnostic, DirtyChanged, DocumentChanged, Severity, TextPosition, TextRange
from editor.widget import CodeEditor

Factory = Callable[..., CodeEditor]


def type_text(qtbot: Any, editor: CodeEditor, text: str) -> None:
    """Type `text` key by key into the Scintilla view."""
    qtbot.keyClicks(editor.view, text)


def test_auto_close_brackets_and_quotes(qtbot: Any, editor_factory: Factory) -> None:
    editor = editor_factory(text="")
    type_text(qtbot, editor, "f(")
    assert editor.text() == "f()"
    type_text(qtbot, editor, '"hi')
    assert editor.text() == 'f("hi")'
    type_text(qtbot, editor, '")')  # both skip over the auto-inserted closers
    assert editor.text() == 'f("hi")'
    assert editor.caret_position() == TextPosition(0, 7)


def test_backspace_removes_empty_pair_and_undo_redo(qtbot: Any, editor_factory: Factory) -> None:
    editor = editor_factory(text="x = ")
    editor.view.gotoPos(4)
    type_text(qtbot, editor, "[")
    assert editor.text() == "x = []"
    qtbot.keyClick(editor.view, Qt.Key.Key_Backspace)
    assert editor.text() == "x = "
    editor.undo()
    assert editor.text() == "x = []"
    editor.redo()
    assert editor.text() == "x = "


def test_enter_auto_indents_between_braces(qtbot: Any, editor_factory: Factory) -> None:
    editor = editor_factory(text="")
    type_text(qtbot, editor, "  if (a) {")
    qtbot.keyClick(editor.view, Qt.Key.Key_Return)
    type_text(qtbot, editor, "b;")
    assert editor.text() == "  if (a) {\n      b;\n  }"


def test_comment_toggle_with_ctrl_slash(qtbot: Any, editor_factory: Factory) -> None:
    editor = editor_factory(text="const a = 1;\n  call();\nlast();\n")
    editor.view.setSel(0, editor.view.positionFromLine(2))  # lines 0-1 selected
    qtbot.keyClick(editor.view, Qt.Key.Key_Slash, Qt.KeyboardModifier.ControlModifier)
    assert editor.text() == "// const a = 1;\n//   call();\nlast();\n"
    qtbot.keyClick(editor.view, Qt.Key.Key_Slash, Qt.KeyboardModifier.ControlModifier)
    assert editor.text() == "const a = 1;\n  call();\nlast();\n"


def test_dirty_flag_signal_and_save(qtbot: Any, editor_factory: Factory, tmp_path: Path) -> None:
    path = tmp_path / "a.ts"
    path.write_text("let a = 1;\n", encoding="utf-8")
    editor = editor_factory(path)
    assert not editor.is_dirty()
    with qtbot.waitSignal(editor.sig_dirty_changed, timeout=1000) as blocker:
        type_text(qtbot, editor, "x")
    assert blocker.args == [DirtyChanged(path.resolve(), True)]
    with qtbot.waitSignal(editor.sig_dirty_changed, timeout=1000) as blocker:
        editor.save_file()
    assert blocker.args == [DirtyChanged(path.resolve(), False)]
    assert path.read_text(encoding="utf-8") == "xlet a = 1;\n"


def test_incremental_changes_rebuild_the_text(qtbot: Any, editor_factory: Factory) -> None:
    """Replaying sig_text_edited changes (UTF-16 columns) on a copy gives the editor's text."""
    original = "const s = 'héllo 🙂 wörld';\nlet b = 2;\n"
    editor = editor_factory(text=original)
    mirror = [original]
    versions: list[int] = []

    def on_edit(event: DocumentChanged) -> None:
        mirror[0] = apply_change(mirror[0], event.change)
        versions.append(event.version)

    editor.sig_text_edited.connect(on_edit)
    editor.view.gotoPos(editor.view.to_byte_position(TextPosition(0, 18)))  # after the emoji
    type_text(qtbot, editor, "ab(")
    editor.view.setSel(editor.view.to_byte_position(TextPosition(0, 11)), editor.view.to_byte_position(TextPosition(0, 16)))
    qtbot.keyClick(editor.view, Qt.Key.Key_Delete)
    editor.undo()
    editor.view.gotoPos(editor.view.textLength())
    qtbot.keyClick(editor.view, Qt.Key.Key_Return)
    assert mirror[0] == editor.text()
    assert versions == sorted(set(versions)) and versions[-1] == editor.document_version


def test_diagnostics_draw_squiggles_with_messages(editor_factory: Factory) -> None:
    editor = editor_factory(text="let a: number = 'x';\nlet b = a;\n")
    error = Diagnostic(TextRange(TextPosition(0, 4), TextPosition(0, 5)), "Type 'string' is not assignable", Severity.ERROR)
    warning = Diagnostic(TextRange(TextPosition(1, 4), TextPosition(1, 5)), "unused", Severity.WARNING)
    editor.set_diagnostics([error, warning])
    assert editor.view.indicatorValueAt(Indicator.ERROR, 4) == 1
    assert editor.view.indicatorValueAt(Indicator.ERROR, 0) == 0
    assert editor.diagnostics_at(TextPosition(1, 4)) == (warning,)
    editor.show_hover(TextPosition(0, 4), "let a: number")
    assert editor.is_calltip_active()
    editor.set_diagnostics([])
    assert editor.view.indicatorValueAt(Indicator.ERROR, 4) == 0


def test_breakpoints_current_line_and_margin_click(qtbot: Any, editor_factory: Factory) -> None:
    editor = editor_factory(text="a();\nb();\nc();\nd();\n")
    editor.set_breakpoint(1)
    editor.set_breakpoint(3, enabled=False)
    assert editor.breakpoints() == {1: True, 3: False}
    editor.view.gotoPos(0)
    qtbot.keyClick(editor.view, Qt.Key.Key_Return)  # markers follow the text
    assert editor.breakpoints() == {2: True, 4: False}
    editor.set_current_line(2)
    assert editor.current_line() == 2
    assert editor.view.markerGet(2) & (1 << Marker.CURRENT_LINE_BACKGROUND)
    editor.set_current_line(None)
    assert editor.current_line() is None
    with qtbot.waitSignal(editor.sig_margin_clicked, timeout=1000) as blocker:
        editor.view.marginClicked.emit(editor.view.positionFromLine(3), 0, 1)
    assert blocker.args[0].line == 3


def test_typescript_highlighting_and_themes(editor_factory: Factory) -> None:
    source = "const re = /a+b/g; // note\nlet t = `x ${y}`; let n: number = 0x1f;\n"
    editor = editor_factory(text=source)
    editor.view.colourise(0, -1)

    def style_at(needle: str) -> int:
        return int(editor.view.styleAt(source.encode().index(needle.encode())))

    assert style_at("const") == TsStyle.KEYWORD
    assert style_at("/a+b/") == TsStyle.REGEX
    assert style_at("// note") == TsStyle.COMMENT_LINE
    assert style_at("`x") == TsStyle.TEMPLATE
    assert style_at("number") == TsStyle.TYPE
    assert style_at("0x1f") == TsStyle.NUMBER
    light_back = editor.view.styleBack(0)
    editor.set_theme("dark")
    assert editor.theme == "dark" and editor.view.styleBack(0) != light_back


JSON_SOURCE = """{
  // tsconfig.json may have comments
  "compilerOptions": { "strict": true, "target": "es2022", "maxNodeModuleJsDepth": 2, "types": null }
}
"""
TOML_SOURCE = """# the manifest
name = "hello"
version = "0.1.0"

[limits]
timeout_ms = 1000
debug = true
"""


def styles_in(editor: CodeEditor, source: str) -> Callable[[str], int]:
    """``style_at(needle)``: the lexer style at the first occurrence of ``needle`` in ``source``."""
    editor.view.colourise(0, -1)
    return lambda needle: int(editor.view.styleAt(source.encode().index(needle.encode())))


def fore(editor: CodeEditor, style: int) -> str:
    """The foreground colour of ``style`` as ``#RRGGBB``."""
    bgr = int(editor.view.styleFore(style))
    return f"#{bgr & 0xFF:02X}{(bgr >> 8) & 0xFF:02X}{(bgr >> 16) & 0xFF:02X}"


def test_json_and_toml_files_get_their_own_lexers_and_theme_colours(editor_factory: Factory, tmp_path: Path) -> None:
    from editor.lexer import EditorLanguage, JsonStyle, TomlStyle
    from editor.theme import DARK, LIGHT

    (tmp_path / "tsconfig.json").write_text(JSON_SOURCE, encoding="utf-8")
    (tmp_path / "isoplay.toml").write_text(TOML_SOURCE, encoding="utf-8")
    json_editor = editor_factory(tmp_path / "tsconfig.json")
    assert json_editor.language is EditorLanguage.JSON
    style_at = styles_in(json_editor, JSON_SOURCE)
    assert style_at('"compilerOptions"') == JsonStyle.PROPERTY_NAME
    assert style_at('"es2022"') == JsonStyle.STRING
    assert style_at("true") == style_at("null") == JsonStyle.KEYWORD
    assert style_at("2,") == JsonStyle.NUMBER
    assert style_at("// tsconfig") == JsonStyle.LINE_COMMENT  # allowed, not an error
    assert style_at("{") == JsonStyle.OPERATOR
    assert JsonStyle.ERROR not in {int(json_editor.view.styleAt(i)) for i in range(len(JSON_SOURCE.encode()))}
    for theme in (LIGHT, DARK):
        json_editor.set_theme(theme.name)
        for style in (JsonStyle.PROPERTY_NAME, JsonStyle.STRING, JsonStyle.KEYWORD, JsonStyle.NUMBER,
                      JsonStyle.LINE_COMMENT):
            assert fore(json_editor, style) == theme.json_tokens[style].fore, (theme.name, style)
    assert fore(json_editor, JsonStyle.PROPERTY_NAME) != fore(json_editor, JsonStyle.STRING)

    toml_editor = editor_factory(tmp_path / "isoplay.toml")
    assert toml_editor.language is EditorLanguage.TOML
    style_at = styles_in(toml_editor, TOML_SOURCE)
    assert style_at("# the manifest") == TomlStyle.COMMENT
    assert style_at("name") == TomlStyle.KEY
    assert style_at('"hello"') == TomlStyle.STRING_DQ
    assert style_at("[limits]") == TomlStyle.TABLE
    assert style_at("1000") == TomlStyle.NUMBER
    assert style_at("true") == TomlStyle.KEYWORD
    for theme in (DARK, LIGHT):
        toml_editor.set_theme(theme.name)
        for style in (TomlStyle.COMMENT, TomlStyle.KEY, TomlStyle.STRING_DQ, TomlStyle.TABLE, TomlStyle.NUMBER):
            assert fore(toml_editor, style) == theme.toml_tokens[style].fore, (theme.name, style)
    toml_editor.set_caret(TextPosition(1, 0))
    toml_editor.toggle_comment()  # TOML comments are '#'
    assert toml_editor.text().splitlines()[1] == '# name = "hello"'


def test_a_renamed_buffer_is_relexed_and_other_files_are_plain_text(editor_factory: Factory, tmp_path: Path) -> None:
    from editor.lexer import EditorLanguage, TomlStyle

    source = 'const title = "x"; // note\n'
    editor = editor_factory(text=source)
    assert editor.language is EditorLanguage.TYPESCRIPT
    assert styles_in(editor, source)("const") == TsStyle.KEYWORD
    editor.set_path(tmp_path / "notes.md")
    assert editor.language is EditorLanguage.PLAIN
    style_at = styles_in(editor, source)
    assert {style_at("const"), style_at('"x"'), style_at("// note")} == {0}
    editor.toggle_comment()
    assert editor.text() == source  # no comment syntax to use
    editor.set_path(tmp_path / "settings.toml")
    assert editor.language is EditorLanguage.TOML
    assert styles_in(editor, source)("const") == TomlStyle.KEY
    editor.set_path(tmp_path / "index.ts")
    assert styles_in(editor, source)("// note") == TsStyle.COMMENT_LINE
    assert fore(editor, TsStyle.KEYWORD) != fore(editor, 0)


def test_go_to_line_bar(qtbot: Any, editor_factory: Factory) -> None:
    editor = editor_factory(text="\n".join(f"line{i}" for i in range(50)))
    qtbot.keyClick(editor.view, Qt.Key.Key_G, Qt.KeyboardModifier.ControlModifier)
    assert editor.goto_bar.isVisible()
    qtbot.keyClicks(editor.goto_bar.line_edit, "42")
    qtbot.keyClick(editor.goto_bar.line_edit, Qt.Key.Key_Return)
    assert editor.caret_position() == TextPosition(41, 0)
    assert not editor.goto_bar.isVisible()
