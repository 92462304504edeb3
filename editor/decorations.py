"""Margins, markers and indicators of the editor (numbers, setup, colours).

Margins: 0 line numbers, 1 breakpoints / current-line arrow (clickable),
2 folding, 3 ▶ run-test markers beside ``it(``/``test(`` (clickable; zero width until a
test file gets markers). Indicators carry diagnostics (squiggles) and find matches.
"""

from __future__ import annotations

import enum

from pyside6_scintilla import Scintilla, ScintillaEdit

from editor.theme import Theme, bgr
from editor.types import Severity

MARGIN_LINE_NUMBERS = 0
MARGIN_SYMBOLS = 1
MARGIN_FOLD = 2
MARGIN_TESTS = 3
TEST_MARGIN_WIDTH = 14
TEST_PASSED_COLOUR = "#2f9e44"


class Marker(enum.IntEnum):
    """Marker numbers used in the symbol margin."""

    BREAKPOINT = 1
    BREAKPOINT_DISABLED = 2
    CURRENT_LINE = 3
    CURRENT_LINE_BACKGROUND = 4
    TEST_IDLE = 5
    TEST_PASSED = 6
    TEST_FAILED = 7


TEST_MARKERS = {"idle": Marker.TEST_IDLE, "pass": Marker.TEST_PASSED, "fail": Marker.TEST_FAILED}
"""A test's status -> the marker beside its declaration."""
TEST_MARGIN_MASK = (1 << Marker.TEST_IDLE) | (1 << Marker.TEST_PASSED) | (1 << Marker.TEST_FAILED)


class Indicator(enum.IntEnum):
    """Indicator numbers (8+ are free for containers).

    Scintilla draws indicators in ascending number, so the more severe a diagnostic the higher its number:
    an error's squiggle is drawn over a warning's or a hint's on the same range (an "unused variable" hint
    must never hide a type error).
    """

    HINT = 8
    INFO = 9
    WARNING = 10
    ERROR = 11
    FIND = 12


DIAGNOSTIC_INDICATORS = (Indicator.ERROR, Indicator.WARNING, Indicator.INFO, Indicator.HINT)
"""Most severe first (the order hovers list diagnostics in)."""

SEVERITY_INDICATOR = {
    Severity.ERROR: Indicator.ERROR,
    Severity.WARNING: Indicator.WARNING,
    Severity.INFORMATION: Indicator.INFO,
    Severity.HINT: Indicator.HINT,
}

_FOLD_MARKERS = (
    (int(Scintilla.MarkerOutline.FolderOpen), int(Scintilla.MarkerSymbol.BoxMinus)),
    (int(Scintilla.MarkerOutline.Folder), int(Scintilla.MarkerSymbol.BoxPlus)),
    (int(Scintilla.MarkerOutline.FolderSub), int(Scintilla.MarkerSymbol.VLine)),
    (int(Scintilla.MarkerOutline.FolderTail), int(Scintilla.MarkerSymbol.LCorner)),
    (int(Scintilla.MarkerOutline.FolderEnd), int(Scintilla.MarkerSymbol.BoxPlusConnected)),
    (int(Scintilla.MarkerOutline.FolderOpenMid), int(Scintilla.MarkerSymbol.BoxMinusConnected)),
    (int(Scintilla.MarkerOutline.FolderMidTail), int(Scintilla.MarkerSymbol.TCorner)),
)

SYMBOL_MARGIN_MASK = (
    (1 << Marker.BREAKPOINT) | (1 << Marker.BREAKPOINT_DISABLED) | (1 << Marker.CURRENT_LINE)
)


def setup_margins(sci: ScintillaEdit) -> None:
    """Create the line-number, breakpoint and fold margins."""
    sci.setMarginTypeN(MARGIN_LINE_NUMBERS, int(Scintilla.MarginType.Number))
    sci.setMarginTypeN(MARGIN_SYMBOLS, int(Scintilla.MarginType.Symbol))
    sci.setMarginMaskN(MARGIN_SYMBOLS, SYMBOL_MARGIN_MASK)
    sci.setMarginWidthN(MARGIN_SYMBOLS, 16)
    sci.setMarginSensitiveN(MARGIN_SYMBOLS, True)
    sci.setMarginTypeN(MARGIN_FOLD, int(Scintilla.MarginType.Symbol))
    sci.setMarginMaskN(MARGIN_FOLD, Scintilla.MaskFolders)
    sci.setMarginWidthN(MARGIN_FOLD, 14)
    sci.setMarginSensitiveN(MARGIN_FOLD, True)
    for number, symbol in _FOLD_MARKERS:
        sci.markerDefine(number, symbol)
    sci.setMarginTypeN(MARGIN_TESTS, int(Scintilla.MarginType.Symbol))
    sci.setMarginMaskN(MARGIN_TESTS, TEST_MARGIN_MASK)
    sci.setMarginWidthN(MARGIN_TESTS, 0)
    sci.setMarginSensitiveN(MARGIN_TESTS, True)
    for marker in TEST_MARKERS.values():
        sci.markerDefine(marker, int(Scintilla.MarkerSymbol.Arrow))
    flags = Scintilla.AutomaticFold.Show | Scintilla.AutomaticFold.Click | Scintilla.AutomaticFold.Change
    sci.setAutomaticFold(int(flags))
    _define_debug_markers(sci)


def _define_debug_markers(sci: ScintillaEdit) -> None:
    sci.markerDefine(Marker.BREAKPOINT, int(Scintilla.MarkerSymbol.Circle))
    sci.markerDefine(Marker.BREAKPOINT_DISABLED, int(Scintilla.MarkerSymbol.Circle))
    sci.markerDefine(Marker.CURRENT_LINE, int(Scintilla.MarkerSymbol.ShortArrow))
    sci.markerDefine(Marker.CURRENT_LINE_BACKGROUND, int(Scintilla.MarkerSymbol.Background))


def setup_indicators(sci: ScintillaEdit) -> None:
    """Define the diagnostic squiggles and the find-match box."""
    for indicator in DIAGNOSTIC_INDICATORS:
        sci.indicSetStyle(indicator, int(Scintilla.IndicatorStyle.Squiggle))
        sci.indicSetUnder(indicator, True)
    sci.indicSetStyle(Indicator.FIND, int(Scintilla.IndicatorStyle.RoundBox))
    sci.indicSetAlpha(Indicator.FIND, 90)
    sci.indicSetUnder(Indicator.FIND, True)


def colour_decorations(sci: ScintillaEdit, theme: Theme) -> None:
    """Colour markers, indicators and fold markers for `theme`."""
    sci.indicSetFore(Indicator.ERROR, bgr(theme.error))
    sci.indicSetFore(Indicator.WARNING, bgr(theme.warning))
    sci.indicSetFore(Indicator.INFO, bgr(theme.info))
    sci.indicSetFore(Indicator.HINT, bgr(theme.info))
    sci.indicSetFore(Indicator.FIND, bgr(theme.find_highlight))
    _colour_marker(sci, Marker.BREAKPOINT, theme.error, theme.error)
    _colour_marker(sci, Marker.BREAKPOINT_DISABLED, theme.margin_foreground, theme.margin_background)
    _colour_marker(sci, Marker.CURRENT_LINE, theme.warning, theme.current_line)
    sci.markerSetBack(Marker.CURRENT_LINE_BACKGROUND, bgr(theme.current_line))
    _colour_marker(sci, Marker.TEST_IDLE, theme.margin_foreground, theme.margin_foreground)
    _colour_marker(sci, Marker.TEST_PASSED, TEST_PASSED_COLOUR, TEST_PASSED_COLOUR)
    _colour_marker(sci, Marker.TEST_FAILED, theme.error, theme.error)
    for number, _symbol in _FOLD_MARKERS:
        _colour_marker(sci, number, theme.margin_background, theme.margin_foreground)


def _colour_marker(sci: ScintillaEdit, number: int, fore: str, back: str) -> None:
    sci.markerSetFore(number, bgr(fore))
    sci.markerSetBack(number, bgr(back))
