"""TypeScript highlighting with Lexilla's "cpp" lexer and TypeScript word lists.

Lexilla has no TypeScript lexer; its "cpp" lexer styles JavaScript-family
code well once given TS keyword lists: ``lexer.cpp.backquoted.strings=2``
styles template literals, regex literals are recognized after operators, and
``$`` is allowed in identifiers.
"""

from __future__ import annotations

import enum

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


def apply_typescript_lexer(sci: ScintillaEdit) -> None:
    """Install the cpp lexer configured for TypeScript on `sci`."""
    lexer = lexilla.create_lexer(lexilla.Language.CPP)
    if lexer is None:
        raise RuntimeError("lexilla has no 'cpp' lexer")
    for key, value in LEXER_PROPERTIES.items():
        lexer.property_set(key, value)
    set_lexer(sci, lexer)
    for index, words in ((0, KEYWORDS), (1, TYPES), (2, DOC_KEYWORDS), (3, GLOBALS), (5, TASK_MARKERS)):
        sci.setKeyWords(index, words)
    sci.colourise(0, -1)
