"""What Tab and Enter insert in a file: from ``.editorconfig`` (the ``editorconfig`` package, the reference
parser), else detected from the file's own lines, else the default (2 spaces, as the templates and prettier).

``resolve`` reads files (the .editorconfig chain up to the root): call it off the GUI thread.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import editorconfig

DEFAULT_SIZE = 2
MAX_SIZE = 8


@dataclass(frozen=True)
class Indentation:
    """How one file is indented."""

    use_tabs: bool
    """Tabs (True) or spaces."""
    size: int
    """Columns per level (the tab width when ``use_tabs``)."""
    source: str = "default"
    """``editorconfig``, ``detected``, ``default`` or ``chosen`` (picked by the user)."""

    @property
    def unit(self) -> str:
        """What one level inserts."""
        return "\t" if self.use_tabs else " " * self.size

    def label(self) -> str:
        """``Spaces: 2`` or ``Tab Size: 4`` (as VS Code's status bar)."""
        return f"Tab Size: {self.size}" if self.use_tabs else f"Spaces: {self.size}"


DEFAULT = Indentation(False, DEFAULT_SIZE, "default")


def from_editorconfig(path: Path) -> Indentation | None:
    """The indentation ``.editorconfig`` files give ``path`` (None if they say nothing about it).

    An unreadable or malformed .editorconfig counts as saying nothing (the file is still edited).
    """
    try:
        props = editorconfig.get_properties(str(path.resolve()))
    except (editorconfig.EditorConfigError, OSError, ValueError):
        return None
    style = props.get("indent_style")
    use_tabs = style == "tab"
    indent_size = None if props.get("indent_size") == "tab" else _size(props.get("indent_size"))
    tab_width = _size(props.get("tab_width"))
    # one level is one tab (shown tab_width wide) with tabs, indent_size spaces with spaces
    size = (tab_width or indent_size) if use_tabs else (indent_size or tab_width)
    if style not in ("tab", "space") and size is None:
        return None
    return Indentation(use_tabs, size or (4 if use_tabs else DEFAULT_SIZE), "editorconfig")


def _size(text: str | None) -> int | None:
    try:
        value = int(text) if text is not None else 0
    except ValueError:
        return None
    return value if 1 <= value <= MAX_SIZE else None


def detect(text: str) -> Indentation | None:
    """The indentation the file itself uses, as VS Code guesses it; None if it has no indented lines.

    Tabs win if more lines start with a tab than with spaces. The size is the most common positive change of
    leading spaces between consecutive non-blank lines (2, 4 ...), ignoring changes of 1 (the `` * `` of a
    block comment).
    """
    tabs = spaces = 0
    deltas: Counter[int] = Counter()
    previous = 0
    for line in text.splitlines():
        if not line.strip():
            continue
        if line.startswith("\t"):
            tabs += 1
            continue
        width = len(line) - len(line.lstrip(" "))
        if width:
            spaces += 1
        if line.lstrip().startswith("*"):
            continue
        delta = width - previous
        if 2 <= delta <= MAX_SIZE:
            deltas[delta] += 1
        previous = width
    if tabs == 0 and spaces == 0:
        return None
    if tabs > spaces:
        return Indentation(True, 4, "detected")
    if not deltas:
        return None
    best = max(deltas.items(), key=lambda item: (item[1], -item[0]))[0]
    return Indentation(False, best, "detected")


def resolve(path: Path | None, text: str) -> Indentation:
    """.editorconfig for ``path``, else what ``text`` uses, else ``DEFAULT``."""
    if path is not None:
        configured = from_editorconfig(path)
        if configured is not None:
            return configured
    return detect(text) or DEFAULT
