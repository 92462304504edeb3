"""Light and dark colour themes for the editor (TypeScript, JSON and TOML token colours from one palette)."""

from __future__ import annotations

from dataclasses import dataclass, field

from pyside6_scintilla import Scintilla, ScintillaEdit

from editor.lexer import EditorLanguage, JsonStyle, TomlStyle, TsStyle
from editor.types import ThemeName

STYLE_DEFAULT = int(Scintilla.StylesCommon.Default)
STYLE_LINE_NUMBER = int(Scintilla.StylesCommon.LineNumber)
STYLE_BRACE_LIGHT = int(Scintilla.StylesCommon.BraceLight)
STYLE_BRACE_BAD = int(Scintilla.StylesCommon.BraceBad)
STYLE_CALLTIP = int(Scintilla.StylesCommon.CallTip)
STYLE_INDENT_GUIDE = int(Scintilla.StylesCommon.IndentGuide)


def bgr(hex_colour: str) -> int:
    """Convert ``#RRGGBB`` into Scintilla's 0xBBGGRR colour integer."""
    value = int(hex_colour.lstrip("#"), 16)
    red, green, blue = value >> 16, (value >> 8) & 0xFF, value & 0xFF
    return (blue << 16) | (green << 8) | red


@dataclass(frozen=True)
class TokenStyle:
    """Foreground colour and font flags of one token kind."""

    fore: str
    """Colour as ``#RRGGBB``."""
    bold: bool = False
    """Bold font."""
    italic: bool = False
    """Italic font."""


@dataclass(frozen=True)
class Theme:
    """All colours of one editor theme."""

    name: ThemeName
    """``"light"`` or ``"dark"``."""
    background: str
    foreground: str
    margin_background: str
    margin_foreground: str
    caret: str
    caret_line: str
    selection: str
    brace_match: str
    brace_bad: str
    current_line: str
    """Background of the debugger's current line."""
    find_highlight: str
    error: str
    warning: str
    info: str
    tokens: dict[int, TokenStyle] = field(default_factory=dict)
    """TypeScript lexer style number -> token style."""
    json_tokens: dict[int, TokenStyle] = field(default_factory=dict)
    """JSON lexer style number -> token style."""
    toml_tokens: dict[int, TokenStyle] = field(default_factory=dict)
    """TOML lexer style number -> token style."""

    def tokens_for(self, language: EditorLanguage) -> dict[int, TokenStyle]:
        """The token styles of ``language``'s lexer (none for plain text)."""
        return {EditorLanguage.TYPESCRIPT: self.tokens, EditorLanguage.JSON: self.json_tokens,
                EditorLanguage.TOML: self.toml_tokens}.get(language, {})


def _tokens(palette: dict[str, str]) -> dict[int, TokenStyle]:
    comment = TokenStyle(palette["comment"], italic=True)
    string = TokenStyle(palette["string"])
    return {
        TsStyle.COMMENT: comment,
        TsStyle.COMMENT_LINE: comment,
        TsStyle.COMMENT_DOC: comment,
        TsStyle.COMMENT_LINE_DOC: comment,
        TsStyle.COMMENT_DOC_KEYWORD: TokenStyle(palette["comment"], bold=True, italic=True),
        TsStyle.COMMENT_DOC_KEYWORD_ERROR: TokenStyle(palette["comment"], italic=True),
        TsStyle.TASK_MARKER: TokenStyle(palette["keyword"], bold=True, italic=True),
        TsStyle.NUMBER: TokenStyle(palette["number"]),
        TsStyle.KEYWORD: TokenStyle(palette["keyword"], bold=True),
        TsStyle.STRING: string,
        TsStyle.CHARACTER: string,
        TsStyle.STRING_EOL: TokenStyle(palette["error"]),
        TsStyle.TEMPLATE: TokenStyle(palette["template"]),
        TsStyle.ESCAPE: TokenStyle(palette["number"]),
        TsStyle.REGEX: TokenStyle(palette["regex"]),
        TsStyle.OPERATOR: TokenStyle(palette["operator"]),
        TsStyle.TYPE: TokenStyle(palette["type"]),
        TsStyle.GLOBAL: TokenStyle(palette["global"]),
    }


def _json_tokens(palette: dict[str, str]) -> dict[int, TokenStyle]:
    comment = TokenStyle(palette["comment"], italic=True)
    string = TokenStyle(palette["string"])
    return {
        JsonStyle.PROPERTY_NAME: TokenStyle(palette["type"]),
        JsonStyle.STRING: string,
        JsonStyle.URI: string,
        JsonStyle.COMPACT_IRI: string,
        JsonStyle.ESCAPE: TokenStyle(palette["number"]),
        JsonStyle.NUMBER: TokenStyle(palette["number"]),
        JsonStyle.KEYWORD: TokenStyle(palette["keyword"], bold=True),
        JsonStyle.LD_KEYWORD: TokenStyle(palette["keyword"]),
        JsonStyle.OPERATOR: TokenStyle(palette["operator"]),
        JsonStyle.LINE_COMMENT: comment,
        JsonStyle.BLOCK_COMMENT: comment,
        JsonStyle.STRING_EOL: TokenStyle(palette["error"]),
        JsonStyle.ERROR: TokenStyle(palette["error"]),
    }


def _toml_tokens(palette: dict[str, str]) -> dict[int, TokenStyle]:
    string = TokenStyle(palette["string"])
    return {
        TomlStyle.COMMENT: TokenStyle(palette["comment"], italic=True),
        TomlStyle.TABLE: TokenStyle(palette["global"], bold=True),
        TomlStyle.KEY: TokenStyle(palette["type"]),
        TomlStyle.STRING_SQ: string,
        TomlStyle.STRING_DQ: string,
        TomlStyle.TRIPLE_STRING_SQ: string,
        TomlStyle.TRIPLE_STRING_DQ: string,
        TomlStyle.ESCAPE: TokenStyle(palette["number"]),
        TomlStyle.NUMBER: TokenStyle(palette["number"]),
        TomlStyle.DATETIME: TokenStyle(palette["number"]),
        TomlStyle.KEYWORD: TokenStyle(palette["keyword"], bold=True),
        TomlStyle.OPERATOR: TokenStyle(palette["operator"]),
        TomlStyle.STRING_EOL: TokenStyle(palette["error"]),
        TomlStyle.ERROR: TokenStyle(palette["error"]),
    }


LIGHT_PALETTE = {
    "comment": "#6A737D", "string": "#0A7A33", "template": "#0B6E4F", "number": "#B35900",
    "keyword": "#A0217D", "regex": "#C2185B", "operator": "#444C56", "type": "#005CC5",
    "global": "#6F42C1", "error": "#D32F2F",
}
DARK_PALETTE = {
    "comment": "#6A9955", "string": "#CE9178", "template": "#D7BA7D", "number": "#B5CEA8",
    "keyword": "#C586C0", "regex": "#D16969", "operator": "#D4D4D4", "type": "#4EC9B0",
    "global": "#9CDCFE", "error": "#F14C4C",
}

LIGHT = Theme(
    name="light", background="#FFFFFF", foreground="#1F2328", margin_background="#F3F4F6",
    margin_foreground="#8C959F", caret="#1F2328", caret_line="#F6F8FA", selection="#B6D7FF",
    brace_match="#C8E6C9", brace_bad="#FFCDD2", current_line="#FFF3B0", find_highlight="#FFE08A",
    error="#D32F2F", warning="#C77700", info="#1E88E5",
    tokens=_tokens(LIGHT_PALETTE), json_tokens=_json_tokens(LIGHT_PALETTE), toml_tokens=_toml_tokens(LIGHT_PALETTE),
)
"""The light theme."""

DARK = Theme(
    name="dark", background="#1E1F22", foreground="#D4D4D4", margin_background="#25262A",
    margin_foreground="#6E7681", caret="#E8E8E8", caret_line="#2A2C30", selection="#264F78",
    brace_match="#3B5E3B", brace_bad="#7A2E2E", current_line="#4B4318", find_highlight="#6B5A1E",
    error="#F14C4C", warning="#CCA700", info="#3794FF",
    tokens=_tokens(DARK_PALETTE), json_tokens=_json_tokens(DARK_PALETTE), toml_tokens=_toml_tokens(DARK_PALETTE),
)
"""The dark theme."""

THEMES: dict[str, Theme] = {"light": LIGHT, "dark": DARK}


def theme_named(name: str) -> Theme:
    """Return the theme called `name`.

    Raises:
        ValueError: for an unknown theme name.
    """
    try:
        return THEMES[name]
    except KeyError:
        raise ValueError(f"unknown theme {name!r}; use one of {sorted(THEMES)}") from None


def apply_theme(sci: ScintillaEdit, theme: Theme, font: str, size: int,
                language: EditorLanguage = EditorLanguage.TYPESCRIPT) -> None:
    """Colour every style, margin and caret of `sci` with `theme`, tokens as ``language``'s lexer numbers them."""
    _apply_base_style(sci, theme, font, size)
    for style, token in theme.tokens_for(language).items():
        sci.styleSetFore(int(style), bgr(token.fore))
        sci.styleSetBold(int(style), token.bold)
        sci.styleSetItalic(int(style), token.italic)
    _apply_chrome(sci, theme)


def _apply_base_style(sci: ScintillaEdit, theme: Theme, font: str, size: int) -> None:
    sci.styleSetFont(STYLE_DEFAULT, font)
    sci.styleSetSize(STYLE_DEFAULT, size)
    sci.styleSetFore(STYLE_DEFAULT, bgr(theme.foreground))
    sci.styleSetBack(STYLE_DEFAULT, bgr(theme.background))
    sci.styleClearAll()
    sci.styleSetFore(STYLE_LINE_NUMBER, bgr(theme.margin_foreground))
    sci.styleSetBack(STYLE_LINE_NUMBER, bgr(theme.margin_background))
    sci.styleSetBack(STYLE_BRACE_LIGHT, bgr(theme.brace_match))
    sci.styleSetBold(STYLE_BRACE_LIGHT, True)
    sci.styleSetBack(STYLE_BRACE_BAD, bgr(theme.brace_bad))
    sci.styleSetFore(STYLE_INDENT_GUIDE, bgr(theme.margin_foreground))
    sci.styleSetFore(STYLE_CALLTIP, bgr(theme.foreground))
    sci.styleSetBack(STYLE_CALLTIP, bgr(theme.margin_background))


def _apply_chrome(sci: ScintillaEdit, theme: Theme) -> None:
    sci.setCaretFore(bgr(theme.caret))
    sci.setCaretLineBack(bgr(theme.caret_line))
    sci.setSelBack(True, bgr(theme.selection))
    sci.setFoldMarginColour(True, bgr(theme.margin_background))
    sci.setFoldMarginHiColour(True, bgr(theme.margin_background))
    sci.callTipSetBack(bgr(theme.margin_background))
    sci.callTipSetFore(bgr(theme.foreground))
    sci.callTipSetForeHlt(bgr(theme.info))
    for margin in range(Scintilla.MaxMargin + 1):
        sci.setMarginBackN(margin, bgr(theme.margin_background))
