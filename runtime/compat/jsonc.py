"""JSON with comments (wrangler.json / wrangler.jsonc), parsed with positions.

wrangler reads its JSON config with Microsoft's ``jsonc-parser``: ``//`` and
``/* */`` comments and trailing commas are allowed, nothing else of JSON5
(no single quotes, unquoted keys or hex numbers). This module blanks comments
and trailing commas out of the text *in place* (same length, newlines kept),
so the standard library's ``json`` parses the result and its error positions
are the file's real line and column. ``key_positions`` walks the same blanked
text once and records where every object key sits, so a validation error can
point at ``wrangler.jsonc:12:5``.

Written here rather than taken from a JSON5 library because JSON5 accepts
more than wrangler does (a config that works here would fail under wrangler),
and none of the Python JSONC packages report positions.
"""

from __future__ import annotations

import json
from typing import Any

Path_ = tuple[str | int, ...]
"""A path into the document: object keys and array indexes."""


class JsoncError(ValueError):
    """The text is not JSONC; ``line`` and ``column`` are 1-based."""

    def __init__(self, message: str, line: int, column: int) -> None:
        super().__init__(f"{message} (line {line}, column {column})")
        self.message = message
        self.line = line
        self.column = column


def blank(text: str) -> str:
    """``text`` with comments and trailing commas replaced by spaces (newlines kept)."""
    out = list(text)
    i, n = 0, len(text)
    last_comma: int | None = None  # index of a comma not yet followed by a value
    while i < n:
        c = text[i]
        if c == '"':
            last_comma = None
            i += 1
            while i < n and text[i] != '"':
                i += 2 if text[i] == "\\" else 1
            i += 1
            continue
        if c == "/" and i + 1 < n and text[i + 1] == "/":
            while i < n and text[i] != "\n":
                out[i] = " "
                i += 1
            continue
        if c == "/" and i + 1 < n and text[i + 1] == "*":
            end = text.find("*/", i + 2)
            if end < 0:
                line, col = _line_col(text, i)
                raise JsoncError("unterminated /* comment", line, col)
            for j in range(i, end + 2):
                if out[j] != "\n":
                    out[j] = " "
            i = end + 2
            continue
        if c == ",":
            # a comma right after another is an error json reports at its own position
            last_comma = None if last_comma is not None else i
        elif c in "}]":
            if last_comma is not None:
                out[last_comma] = " "
            last_comma = None
        elif not c.isspace():
            last_comma = None
        i += 1
    return "".join(out)


def _line_col(text: str, offset: int) -> tuple[int, int]:
    line = text.count("\n", 0, offset) + 1
    return line, offset - (text.rfind("\n", 0, offset) + 1) + 1


def loads(text: str) -> Any:
    """Parse JSONC text.

    Raises:
        JsoncError: with the real line and column of the problem.
    """
    if text.startswith("\ufeff"):
        text = " " + text[1:]
    clean = blank(text)
    try:
        return json.loads(clean)
    except json.JSONDecodeError as exc:  # (RecursionError and digit limits pass through to the caller)
        raise JsoncError(exc.msg, exc.lineno, exc.colno) from None


def key_positions(text: str) -> dict[Path_, tuple[int, int]]:
    """Where each object key (and each array element) starts: path -> (line, column)."""
    clean = blank(text.replace("\ufeff", " ", 1) if text.startswith("\ufeff") else text)
    positions: dict[Path_, tuple[int, int]] = {}
    decoder = json.JSONDecoder()
    i = 0
    n = len(clean)

    def skip(k: int) -> int:
        while k < n and clean[k] in " \t\r\n":
            k += 1
        return k

    def value(k: int, path: Path_) -> int:
        k = skip(k)
        if k >= n:
            return k
        c = clean[k]
        if c == "{":
            k = skip(k + 1)
            while k < n and clean[k] != "}":
                key, end = decoder.raw_decode(clean, k)  # a string key
                positions[(*path, str(key))] = _line_col(clean, k)
                k = skip(end)
                k = skip(k + 1)  # the colon
                k = skip(value(k, (*path, str(key))))
                if k < n and clean[k] == ",":
                    k = skip(k + 1)
            return k + 1
        if c == "[":
            k = skip(k + 1)
            index = 0
            while k < n and clean[k] != "]":
                positions[(*path, index)] = _line_col(clean, k)
                k = skip(value(k, (*path, index)))
                index += 1
                if k < n and clean[k] == ",":
                    k = skip(k + 1)
            return k + 1
        _obj, end = decoder.raw_decode(clean, k)
        return end

    try:
        value(i, ())
    except (ValueError, IndexError):
        pass  # loads() reports syntax errors; positions found so far stay
    return positions
