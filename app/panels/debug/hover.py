"""Debugger hovers: while paused, the mouse resting on a variable shows its value in the selected frame.

``hover_expression`` finds what to evaluate under the mouse: the identifier
there plus the member chain before it (``url.pathname``, ``this.count``,
``a?.b``), never a call, an index or anything else that could run code other
than property reads. ``DebugHoverAdapter`` (one per editor, attached by
``DebugBinding.attach_editor``) turns the editor's hover requests into
``DebugController.evaluate_hover`` calls and shows the answers with
``CodeEditor.show_hover_value``, before the language server's hover text.
"""

from __future__ import annotations

from PySide6.QtCore import QObject

from app.panels.debug.controller import DebugController
from app.panels.debug.tree import value_text
from app.panels.debug.types import DebugState, HoverRequest, HoverValue
from editor.lexer import EditorLanguage, TsStyle
from editor.types import TextPosition
from editor.widget import CodeEditor

RESERVED = frozenset({
    "await", "break", "case", "catch", "class", "const", "continue", "debugger", "default", "delete", "do", "else",
    "enum", "export", "extends", "false", "finally", "for", "function", "if", "implements", "import", "in",
    "instanceof", "interface", "let", "new", "null", "package", "private", "protected", "public", "return", "static",
    "super", "switch", "throw", "true", "try", "typeof", "var", "void", "while", "with", "yield",
})
"""JavaScript's reserved words and literals: never evaluated (``this`` is allowed, it has a value)."""

NOT_CODE = frozenset({
    TsStyle.COMMENT, TsStyle.COMMENT_LINE, TsStyle.COMMENT_DOC, TsStyle.COMMENT_LINE_DOC, TsStyle.COMMENT_DOC_KEYWORD,
    TsStyle.COMMENT_DOC_KEYWORD_ERROR, TsStyle.TASK_MARKER, TsStyle.NUMBER, TsStyle.STRING, TsStyle.CHARACTER,
    TsStyle.STRING_EOL, TsStyle.TEMPLATE, TsStyle.REGEX, TsStyle.ESCAPE, TsStyle.OPERATOR,
})
"""Lexer styles where a word is not a name in code (comments, literals, operators)."""


def _name_char(char: str) -> bool:
    return char.isalnum() or char in "_$"


def hover_expression(line: str, column: int) -> str | None:
    """The expression to evaluate for a hover at code point ``column`` of ``line``, or None.

    The identifier there, with the ``.name`` / ``?.name`` chain before it (a TypeScript ``!`` before a
    dot is dropped): ``url.pathname`` when hovering ``pathname`` in ``url.pathname.length``. None when
    there is no identifier there, when the chain starts at something other than a name (a call, an
    index, a literal, a private ``#field``) and for reserved words other than ``this``.
    """
    if not 0 <= column < len(line) or not _name_char(line[column]):
        return None
    start = end = column
    while start > 0 and _name_char(line[start - 1]):
        start -= 1
    while end < len(line) and _name_char(line[end]):
        end += 1
    parts = [line[start:end]]
    while line[start - 1 : start] == "." and line[start - 3 : start] != "...":  # (a spread is not a member)
        dot = start - 1
        accessor = "."
        if line[dot - 1 : dot] == "?":
            dot, accessor = dot - 1, "?."
        elif line[dot - 1 : dot] == "!":
            dot -= 1
        start = dot
        while start > 0 and _name_char(line[start - 1]):
            start -= 1
        if start == dot:
            return None  # `f().x`, `a[0].x`, `"s".length`: the object is not a plain name
        parts[:0] = [line[start:dot], accessor]
    root = parts[0]
    if line[start - 1 : start] == "#" or root[0].isdigit() or (root in RESERVED and root != "this"):
        return None  # (member names may be reserved words: `obj.default`)
    return "".join(parts)


def _code_points(line: str, utf16_column: int) -> int:
    """The code point index of a UTF-16 column in ``line``."""
    units = 0
    for index, char in enumerate(line):
        if units >= utf16_column:
            return index
        units += 2 if ord(char) > 0xFFFF else 1
    return len(line)


def hover_text(value: HoverValue) -> str:
    """What the hover shows: ``expr = value  (type)``."""
    return f"{value.expression} = {value_text(value.value)}  ({value.value.type})"


class DebugHoverAdapter(QObject):
    """Asks the controller for the value under the mouse in one editor and shows it there (a child of the editor)."""

    def __init__(self, editor: CodeEditor, controller: DebugController) -> None:
        super().__init__(editor)
        self.editor = editor
        self.controller = controller
        self._links = [(editor.sig_hover_requested, self.on_editor_hover_requested),
                       (controller.sig_hover_evaluated, self.on_controller_hover_evaluated)]
        for signal, slot in self._links:
            signal.connect(slot)

    def detach(self) -> None:
        """Disconnect from the editor and the controller and go away (project closed)."""
        for signal, slot in self._links:
            signal.disconnect(slot)
        self._links = []
        self.setParent(None)
        self.deleteLater()

    def expression_at(self, position: TextPosition) -> str | None:
        """The expression a hover at ``position`` evaluates (None in comments, literals, keywords, non-code files)."""
        if self.editor.language is not EditorLanguage.TYPESCRIPT or self.editor.style_at(position) in NOT_CODE:
            return None
        line = self.editor.view.line_text(position.line)
        return hover_expression(line, _code_points(line, position.character))

    def on_editor_hover_requested(self, position: TextPosition) -> None:
        """The mouse rests in the editor: while paused, ask for the value of the expression there."""
        path = self.editor.path
        if self.controller.state is not DebugState.PAUSED or path is None:
            return
        expression = self.expression_at(position)
        if expression is not None:
            self.controller.evaluate_hover(HoverRequest(path, position, expression))

    def on_controller_hover_evaluated(self, value: HoverValue) -> None:
        """A hovered expression's value arrived: show it if it is this editor's (the editor drops ended hovers)."""
        path = self.editor.path
        if path is not None and path.resolve() == value.path.resolve():
            self.editor.show_hover_value(value.position, hover_text(value))
