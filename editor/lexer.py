"""Syntax highlighting with Lexilla: TypeScript, JSON and TOML, chosen by file suffix.

Lexilla has no TypeScript lexer; its "cpp" lexer styles JavaScript-family
code well once given TS keyword lists: ``lexer.cpp.backquoted.strings=2``
styles template literals, regex literals are recognized after operators, and
``$`` is allowed in identifiers. JSON files (``tsconfig.json`` allows comments)
get Lexilla's "json" lexer and TOML files (``isoplay.toml``) its "toml" lexer;
any other file is plain text. The style numbers below are Lexilla's
``SCE_*`` constants of each lexer (SciLexer.h); its Python binding exposes no
style metadata for these lexers.
"""

from __future__ import annotations

import enum
from pathlib import Path

import lexilla
from lexilla.pyside6_scintilla import set_lexer
from pyside6_scintilla import ScintillaEdit

KEYWORDS = (
    "abstract as asserts async await break case catch class const constructor continue "
    "debugger declare default delete do else enum export extends false finally for from "
    "function if implements import in infer instanceof interface is keyof let module "
    "namespace new null of override private protected public readonly return satisfies "
    "static super switch this throw true try type typeof undefined unique using var "
    "void while with yield"
)
"""Keyword set 0: TypeScript keywords and literals."""

TYPES = (
    "any bigint boolean never number object string symbol unknown "
    "Array ArrayBuffer Awaited Date Error Exclude Extract InstanceType Map NonNullable "
    "Omit Parameters Partial Pick Promise Readonly ReadonlyArray Record RegExp Required "
    "ReturnType Set Uint8Array WeakMap WeakSet"
)
"""Keyword set 1: built-in and common utility types."""

GLOBALS = (
    "AbortController AbortSignal Blob Env ExecutionContext FormData Headers JSON KVNamespace "
    "Math Object Reflect Request Response ScheduledEvent TextDecoder TextEncoder URL "
    "URLSearchParams atob btoa console crypto fetch globalThis queueMicrotask setInterval "
    "setTimeout clearInterval clearTimeout structuredClone"
)
"""Keyword set 3: Web / Workers globals, styled as global classes."""

DOC_KEYWORDS = (
    "param returns return throws example deprecated see type typedef template link "
    "since default internal remarks"
)
"""Keyword set 2: JSDoc tags."""

TASK_MARKERS = "TODO FIXME XXX HACK NOTE"
"""Keyword set 5: task markers inside comments."""

LEXER_PROPERTIES = {
    "lexer.cpp.backquoted.strings": "2",
    "lexer.cpp.allow.dollars": "1",
    "lexer.cpp.escape.sequence": "1",
    "styling.within.preprocessor": "0",
    "lexer.cpp.track.preprocessor": "0",
    "fold": "1",
    "fold.comment": "1",
    "fold.compact": "0",
    "fold.cpp.syntax.based": "1",
}


class TsStyle(enum.IntEnum):
    """Style numbers of the "cpp" lexer, named for what they show in TypeScript."""

    DEFAULT = 0
    COMMENT = 1
    COMMENT_LINE = 2
    COMMENT_DOC = 3
    NUMBER = 4
    KEYWORD = 5
    STRING = 6
    CHARACTER = 7
    OPERATOR = 10
    IDENTIFIER = 11
    STRING_EOL = 12
    REGEX = 14
    COMMENT_LINE_DOC = 15
    TYPE = 16
    COMMENT_DOC_KEYWORD = 17
    COMMENT_DOC_KEYWORD_ERROR = 18
    GLOBAL = 19
    TEMPLATE = 20
    TASK_MARKER = 26
    ESCAPE = 27


class JsonStyle(enum.IntEnum):
    """Style numbers of Lexilla's "json" lexer (``SCE_JSON_*``)."""

    DEFAULT = 0
    NUMBER = 1
    STRING = 2
    STRING_EOL = 3
    PROPERTY_NAME = 4
    ESCAPE = 5
    LINE_COMMENT = 6
    BLOCK_COMMENT = 7
    OPERATOR = 8
    URI = 9
    COMPACT_IRI = 10
    KEYWORD = 11
    LD_KEYWORD = 12
    ERROR = 13


class TomlStyle(enum.IntEnum):
    """Style numbers of Lexilla's "toml" lexer (``SCE_TOML_*``)."""

    DEFAULT = 0
    COMMENT = 1
    IDENTIFIER = 2
    KEYWORD = 3
    NUMBER = 4
    TABLE = 5
    KEY = 6
    ERROR = 7
    OPERATOR = 8
    STRING_SQ = 9
    STRING_DQ = 10
    TRIPLE_STRING_SQ = 11
    TRIPLE_STRING_DQ = 12
    ESCAPE = 13
    DATETIME = 14
    STRING_EOL = 15


class EditorLanguage(enum.Enum):
    """Which highlighting a buffer gets."""

    TYPESCRIPT = "typescript"
    """TypeScript and JavaScript (the "cpp" lexer with TS word lists)."""
    JSON = "json"
    TOML = "toml"
    PLAIN = "plain"
    """No lexer: every character in the default style."""


SUFFIX_LANGUAGES = {
    **dict.fromkeys((".ts", ".mts", ".cts", ".tsx", ".js", ".mjs", ".cjs", ".jsx"), EditorLanguage.TYPESCRIPT),
    ".json": EditorLanguage.JSON, ".jsonc": EditorLanguage.JSON, ".toml": EditorLanguage.TOML,
}
LINE_COMMENTS = {EditorLanguage.TYPESCRIPT: "//", EditorLanguage.JSON: "//", EditorLanguage.TOML: "#"}
"""What Ctrl+/ puts before a line (JSON: the ``//`` comments tsconfig.json and JSONC allow)."""

JSON_PROPERTIES = {"lexer.json.allow.comments": "1", "lexer.json.escape.sequence": "1", "fold": "1",
                   "fold.compact": "0"}
JSON_KEYWORDS = "true false null"
TOML_KEYWORDS = "true false inf nan"


def language_for_path(path: Path | None) -> EditorLanguage:
    """The highlighting for a file, from its suffix (a buffer without a path is TypeScript)."""
    if path is None:
        return EditorLanguage.TYPESCRIPT
    return SUFFIX_LANGUAGES.get(path.suffix.lower(), EditorLanguage.PLAIN)


def _install(sci: ScintillaEdit, name: str, properties: dict[str, str], words: dict[int, str]) -> None:
    lexer = lexilla.create_lexer(name)
    if lexer is None:
        raise RuntimeError(f"lexilla has no {name!r} lexer")
    for key, value in properties.items():
        lexer.property_set(key, value)
    set_lexer(sci, lexer)
    for index, text in words.items():
        sci.setKeyWords(index, text)


def apply_lexer(sci: ScintillaEdit, language: EditorLanguage) -> None:
    """Install the lexer for ``language`` on `sci` and restyle the whole text."""
    if language is EditorLanguage.TYPESCRIPT:
        _install(sci, lexilla.Language.CPP.value, LEXER_PROPERTIES,
                 {0: KEYWORDS, 1: TYPES, 2: DOC_KEYWORDS, 3: GLOBALS, 5: TASK_MARKERS})
    elif language is EditorLanguage.JSON:
        _install(sci, lexilla.Language.JSON.value, JSON_PROPERTIES, {0: JSON_KEYWORDS})
    elif language is EditorLanguage.TOML:
        _install(sci, lexilla.Language.TOML.value, {"fold": "1"}, {0: TOML_KEYWORDS})
    else:
        _install(sci, lexilla.Language.NULL.value, {}, {})
    sci.clearDocumentStyle()  # (the null lexer styles nothing: drop what the previous lexer left)
    sci.colourise(0, -1)


def apply_typescript_lexer(sci: ScintillaEdit) -> None:
    """Install the cpp lexer configured for TypeScript on `sci`."""
    apply_lexer(sci, EditorLanguage.TYPESCRIPT)
