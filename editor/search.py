"""Find and replace in a Scintilla buffer (plain text or C++11/ECMAScript regex)."""

from __future__ import annotations

import re
from dataclasses import dataclass

from pyside6_scintilla import Scintilla, ScintillaEdit

from editor.decorations import Indicator

INVALID_REGEX = -2


@dataclass(frozen=True)
class SearchOptions:
    """What to look for."""

    pattern: str
    """Text or regular expression."""
    regex: bool = False
    """Treat `pattern` as an ECMAScript regular expression."""
    match_case: bool = False
    """Case-sensitive matching."""
    whole_word: bool = False
    """Match whole words only."""


class SearchError(ValueError):
    """The pattern is not a valid regular expression."""


def validate(options: SearchOptions) -> None:
    """Raise SearchError when a regex pattern does not compile.

    Python's ``re`` is close enough to ECMAScript to reject the same typos
    (Scintilla only reports 'invalid' without a reason).
    """
    if options.regex:
        try:
            re.compile(options.pattern)
        except re.error as exc:
            raise SearchError(f"invalid regular expression: {exc}") from exc


def search_flags(options: SearchOptions) -> int:
    """Return Scintilla search flags for `options`."""
    flags = 0
    if options.regex:
        flags |= int(Scintilla.FindOption.RegExp) | int(Scintilla.FindOption.Cxx11RegEx)
    if options.match_case:
        flags |= int(Scintilla.FindOption.MatchCase)
    if options.whole_word:
        flags |= int(Scintilla.FindOption.WholeWord)
    return flags


def _byte_length(text: str) -> int:
    return len(text.encode("utf-8"))


def find_in_range(sci: ScintillaEdit, options: SearchOptions, start: int, end: int) -> tuple[int, int] | None:
    """Return the first match between byte positions `start` and `end` (end < start searches backwards)."""
    pattern = options.pattern
    if not pattern:
        return None
    sci.setSearchFlags(search_flags(options))
    sci.setTargetRange(start, end)
    found = sci.searchInTarget(_byte_length(pattern), pattern)
    if found == INVALID_REGEX:
        raise SearchError("invalid regular expression")
    if found < 0:
        return None
    return sci.targetStart(), sci.targetEnd()


def find_next(sci: ScintillaEdit, options: SearchOptions, forward: bool = True) -> tuple[int, int] | None:
    """Select the next (or previous) match, wrapping around; return its byte span."""
    validate(options)
    length = sci.textLength()
    if forward:
        origin = sci.selectionEnd()
        match = find_in_range(sci, options, origin, length) or find_in_range(sci, options, 0, origin)
    else:
        origin = sci.selectionStart()
        match = find_in_range(sci, options, origin, 0) or find_in_range(sci, options, length, origin)
    if match is not None:
        sci.setSel(match[0], match[1])
        sci.scrollRange(match[1], match[0])
    return match


def _replace_target(sci: ScintillaEdit, options: SearchOptions, replacement: str) -> int:
    length = _byte_length(replacement)
    if options.regex:
        return sci.replaceTargetRE(length, replacement)
    return sci.replaceTarget(length, replacement)


def replace_selection_match(sci: ScintillaEdit, options: SearchOptions, replacement: str) -> bool:
    """If the selection is a match, replace it and select the next one; return True if replaced."""
    validate(options)
    start, end = sci.selectionStart(), sci.selectionEnd()
    match = find_in_range(sci, options, start, end)
    replaced = match is not None and match == (start, end)
    if replaced:
        sci.setTargetRange(start, end)
        _replace_target(sci, options, replacement)
        sci.setSel(sci.targetEnd(), sci.targetEnd())
    find_next(sci, options)
    return replaced


def replace_all(sci: ScintillaEdit, options: SearchOptions, replacement: str) -> int:
    """Replace every match as one undo step; return how many were replaced."""
    validate(options)
    count, position = 0, 0
    sci.beginUndoAction()
    try:
        while (match := find_in_range(sci, options, position, sci.textLength())) is not None:
            sci.setTargetRange(*match)
            _replace_target(sci, options, replacement)
            count += 1
            position = sci.targetEnd() if match[1] > match[0] else sci.positionAfter(sci.targetEnd())
            if match[1] == match[0] and position >= sci.textLength():
                break
    finally:
        sci.endUndoAction()
    return count


def highlight_all(sci: ScintillaEdit, options: SearchOptions) -> int:
    """Mark every match with the find indicator; return the match count."""
    clear_highlights(sci)
    if not options.pattern:
        return 0
    validate(options)
    sci.setIndicatorCurrent(Indicator.FIND)
    count, position = 0, 0
    while (match := find_in_range(sci, options, position, sci.textLength())) is not None:
        if match[1] == match[0]:
            break
        sci.indicatorFillRange(match[0], match[1] - match[0])
        count, position = count + 1, match[1]
    return count


def clear_highlights(sci: ScintillaEdit) -> None:
    """Remove all find-match marks."""
    sci.setIndicatorCurrent(Indicator.FIND)
    sci.indicatorClearRange(0, sci.textLength())
