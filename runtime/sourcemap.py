"""Source map v3 decoding: bundle positions back to TypeScript positions.

Written here rather than taken from PyPI: the one Python decoder there
(``sourcemap`` 0.2.1) has been unmaintained since 2017, and a VLQ decoder plus
a bisect lookup is about fifty lines.
"""

from __future__ import annotations

import bisect
import json
import re
from dataclasses import dataclass
from pathlib import PurePosixPath
from typing import Any

_B64 = {c: i for i, c in enumerate("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/")}


@dataclass(frozen=True)
class Position:
    """An original position: source path, 1-based line and column, optional name."""

    source: str
    line: int
    column: int
    name: str | None = None


def _decode_vlq(segment: str) -> list[int]:
    values: list[int] = []
    shift = value = 0
    for ch in segment:
        digit = _B64[ch]
        value += (digit & 31) << shift
        if digit & 32:
            shift += 5
            continue
        values.append(-(value >> 1) if value & 1 else value >> 1)
        shift = value = 0
    return values


class SourceMap:
    """A decoded source map that answers ``lookup(line, column)``."""

    def __init__(self, data: dict[str, Any], *, source_root: str = "") -> None:
        self.sources: list[str] = [self._clean(s, source_root) for s in data.get("sources", [])]
        self.names: list[str] = list(data.get("names", []))
        self.sources_content: list[str | None] = list(data.get("sourcesContent") or [])
        self._lines: list[tuple[list[int], list[tuple[int, int, int, int | None]]]] = []
        self._decode(data.get("mappings", ""))

    @classmethod
    def from_json(cls, text: str, *, source_root: str = "") -> SourceMap:
        """Parse a source map from its JSON text."""
        return cls(json.loads(text), source_root=source_root)

    @staticmethod
    def _clean(source: str, root: str) -> str:
        path = PurePosixPath(root) / source if root else PurePosixPath(source)
        parts: list[str] = []
        for part in path.parts:
            if part == "..":
                if parts and parts[-1] != "..":
                    parts.pop()
                    continue
            if part != ".":
                parts.append(part)
        return "/".join(parts)

    def _decode(self, mappings: str) -> None:
        src = line = col = name = 0
        for text in mappings.split(";"):
            gen_col = 0
            cols: list[int] = []
            entries: list[tuple[int, int, int, int | None]] = []
            for segment in text.split(","):
                if not segment:
                    continue
                fields = _decode_vlq(segment)
                gen_col += fields[0]
                if len(fields) < 4:
                    continue
                src += fields[1]
                line += fields[2]
                col += fields[3]
                this_name: int | None = None
                if len(fields) > 4:
                    name += fields[4]
                    this_name = name
                cols.append(gen_col)
                entries.append((gen_col, src, line * 1_000_000 + col, this_name))
            self._lines.append((cols, entries))

    def lookup(self, line: int, column: int) -> Position | None:
        """Map a generated 1-based ``line``/``column`` to its original position."""
        if line < 1 or line > len(self._lines):
            return None
        cols, entries = self._lines[line - 1]
        if not cols:
            return None
        index = bisect.bisect_right(cols, column - 1) - 1
        if index < 0:
            index = 0
        _gen, src, packed, name = entries[index]
        orig_line, orig_col = divmod(packed, 1_000_000)
        return Position(
            source=self.sources[src] if src < len(self.sources) else "?",
            line=orig_line + 1,
            column=orig_col + 1,
            name=self.names[name] if name is not None and name < len(self.names) else None,
        )


_FRAME_RE = re.compile(r"^(?P<indent>\s*at )(?P<func>.*?)(?: \()?(?P<file>[^()\s]+?):(?P<line>\d+):(?P<col>\d+)\)?$")


@dataclass(frozen=True)
class StackFrame:
    """One frame of a mapped stack trace."""

    function: str
    file: str
    line: int
    column: int


def map_stack(stack: str, script_url: str, smap: SourceMap | None) -> tuple[str, list[StackFrame]]:
    """Rewrite V8 stack lines of ``script_url`` into TypeScript positions.

    Frames from other scripts (the prelude) are dropped; the first line (the
    error message) is kept. Returns the rewritten text and the mapped frames.
    """
    out: list[str] = []
    frames: list[StackFrame] = []
    for raw in stack.splitlines():
        match = _FRAME_RE.match(raw)
        if match is None:
            if not raw.lstrip().startswith("at "):
                out.append(raw)
            continue
        if match["file"] != script_url:
            continue
        func = match["func"].strip() or "<anonymous>"
        line, col = int(match["line"]), int(match["col"])
        pos = smap.lookup(line, col) if smap else None
        if pos is None:
            frame = StackFrame(func, script_url, line, col)
        else:
            frame = StackFrame(func, pos.source, pos.line, pos.column)
        frames.append(frame)
        where = f"{frame.file}:{frame.line}:{frame.column}"
        out.append(f"    at {func} ({where})" if func != "<anonymous>" else f"    at {where}")
    return "\n".join(out), frames
