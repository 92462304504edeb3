"""Where keys sit in a TOML file, so a validation error can name ``file:line``.

``tomllib`` returns plain data without positions. This scanner reads the same
text line by line and records, for every table header and every ``key =``
assignment, the path it defines (``("env", "staging", "vars", "A")``; array
tables get their index: ``("kv_namespaces", 1, "binding")``) and its line and
column. It only locates; tomllib remains the parser, so a file this scanner
misreads still parses (and validates) correctly, the error just points at the
nearest key found. Keys of inline tables are recorded at the line of the
inline table, and elements of arrays at the line of their first value.
"""

from __future__ import annotations

import re

Path_ = tuple[str | int, ...]

_BARE = re.compile(r"[A-Za-z0-9_-]+")


def _split_key(text: str) -> tuple[list[str], int]:
    """Parse a dotted key at the start of ``text``: (parts, chars consumed)."""
    parts: list[str] = []
    i = 0
    n = len(text)
    while i < n:
        while i < n and text[i] in " \t":
            i += 1
        if i < n and text[i] in "\"'":
            quote = text[i]
            j = i + 1
            while j < n and text[j] != quote:
                j += 2 if (quote == '"' and text[j] == "\\") else 1
            parts.append(text[i + 1:j])
            i = j + 1
        else:
            m = _BARE.match(text, i)
            if not m:
                break
            parts.append(m.group(0))
            i = m.end()
        while i < n and text[i] in " \t":
            i += 1
        if i < n and text[i] == ".":
            i += 1
            continue
        break
    return parts, i


def key_positions(text: str) -> dict[Path_, tuple[int, int]]:
    """Path -> (line, column) for table headers and assignments in ``text``."""
    positions: dict[Path_, tuple[int, int]] = {}
    table: Path_ = ()
    array_counts: dict[Path_, int] = {}
    in_multiline: str | None = None
    for lineno, raw in enumerate(text.splitlines(), start=1):
        if in_multiline:
            if in_multiline in raw:
                in_multiline = None
            continue
        stripped = raw.lstrip()
        indent = len(raw) - len(stripped)
        if not stripped or stripped.startswith("#"):
            continue
        if stripped.startswith("[["):
            parts, _ = _split_key(stripped[2:])
            key = tuple(parts)
            resolved = _resolve(key, array_counts)
            index = array_counts.get(resolved, -1) + 1
            array_counts[resolved] = index
            table = (*resolved, index)
            positions.setdefault(resolved, (lineno, indent + 1))
            positions[table] = (lineno, indent + 1)
            continue
        if stripped.startswith("["):
            parts, _ = _split_key(stripped[1:])
            table = _resolve(tuple(parts), array_counts)
            positions.setdefault(table, (lineno, indent + 1))
            continue
        parts, used = _split_key(stripped)
        rest = stripped[used:]
        if not parts or not rest.startswith("="):
            continue
        for depth in range(1, len(parts) + 1):
            positions.setdefault((*table, *parts[:depth]), (lineno, indent + 1))
        path = (*table, *parts)
        value = rest[1:].lstrip()
        value_col = indent + 1 + used + 1 + (len(rest) - 1 - len(value))
        for quote in ('"""', "'''"):
            if value.startswith(quote) and value.count(quote) == 1:
                in_multiline = quote
        if value.startswith("[") and not value.startswith("[["):
            _array_elements(value, path, lineno, value_col, positions)
        elif value.startswith("{"):
            _inline_keys(value[1:], path, lineno, value_col + 1, positions)
    return positions


def _resolve(key: Path_, array_counts: dict[Path_, int]) -> Path_:
    """Insert the current index after every prefix that is an array of tables."""
    out: list[str | int] = []
    for part in key:
        out.append(part)
        current = tuple(out)
        if current in array_counts and current != key:
            out.append(array_counts[current])
    return tuple(out)


def _array_elements(value: str, path: Path_, lineno: int, col: int, positions: dict[Path_, tuple[int, int]]) -> None:
    """Positions of the elements of a one-line array (strings, numbers, inline tables)."""
    depth = 0
    index = 0
    expecting = True
    i = 1
    while i < len(value):
        c = value[i]
        if c in " \t":
            i += 1
            continue
        if c == "#":
            break
        if depth == 0 and c == "]":
            break
        if expecting and depth == 0:
            positions[(*path, index)] = (lineno, col + i)
            if c == "{":
                _inline_keys(value[i + 1:], (*path, index), lineno, col + i + 1, positions)
            expecting = False
        if c in "\"'":
            end = value.find(c, i + 1)
            i = (end if end > 0 else len(value)) + 1
            continue
        if c in "[{":
            depth += 1
        elif c in "]}":
            depth -= 1
        elif c == "," and depth == 0:
            index += 1
            expecting = True
        i += 1


def _inline_keys(body: str, path: Path_, lineno: int, col: int, positions: dict[Path_, tuple[int, int]]) -> None:
    i = 0
    while i < len(body):
        while i < len(body) and body[i] in " \t,":
            i += 1
        if i >= len(body) or body[i] == "}":
            return
        parts, used = _split_key(body[i:])
        if not parts:
            return
        positions.setdefault((*path, *parts), (lineno, col + i))
        j = i + used
        # skip the value up to the next comma at this depth
        depth = 0
        while j < len(body):
            c = body[j]
            if c in "\"'":
                end = body.find(c, j + 1)
                j = (end if end > 0 else len(body)) + 1
                continue
            if c in "[{":
                depth += 1
            elif c in "]}":
                if depth == 0:
                    return
                depth -= 1
            elif c == "," and depth == 0:
                break
            j += 1
        i = j + 1
