"""``DebugActions``: the debug toolbar's actions and their shortcuts (a declarative table)."""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QMenu, QToolBar, QWidget

from app.panels.debug.types import DebugState, ExceptionBreaks


@dataclass(frozen=True)
class ActionSpec:
    """One debug action."""

    name: str
    """Attribute-style key (``step_over``)."""
    text: str
    """Menu/toolbar text."""
    shortcut: str
    """Key sequence."""
    states: frozenset[DebugState]
    """States in which it is enabled."""


_PAUSED = frozenset({DebugState.PAUSED})
ACTIONS: tuple[ActionSpec, ...] = (
    ActionSpec("start_continue", "Start / Continue", "F5", frozenset({DebugState.IDLE, DebugState.PAUSED})),
    ActionSpec("pause", "Pause", "F6", frozenset({DebugState.RUNNING})),
    ActionSpec("step_over", "Step Over", "F10", _PAUSED),
    ActionSpec("step_into", "Step Into", "F11", _PAUSED),
    ActionSpec("step_out", "Step Out", "Shift+F11", _PAUSED),
    ActionSpec("step_back", "Step Back", "Ctrl+Shift+F10", _PAUSED),
    ActionSpec("reverse_continue", "Reverse Continue", "Ctrl+Shift+F5", _PAUSED),
    ActionSpec("stop", "Stop", "Shift+F5", frozenset({DebugState.STARTING, DebugState.RUNNING, DebugState.PAUSED})),
    ActionSpec("toggle_breakpoint", "Toggle Breakpoint", "F9", frozenset(DebugState)),
)
EXCEPTION_TOGGLES = (("break_uncaught", "Pause on Uncaught Exceptions", "Uncaught Exceptions"),
                     ("break_caught", "Pause on Caught Exceptions", "Caught Exceptions"))
"""Checkable actions (name, menu text, toolbar text): which exceptions pause the script."""


class DebugActions(QObject):
    """QActions for the debug toolbar and menu; each triggers ``sig_action_triggered`` with its name."""

    sig_action_triggered = Signal(str)
    """str: the ``ActionSpec.name`` of the action triggered (``start_continue``, ``step_over``...)."""
    sig_exception_breaks_changed = Signal(object)
    """ExceptionBreaks: an exception toggle was switched by the user."""

    def __init__(self, parent: QWidget) -> None:
        super().__init__(parent)
        self.actions: dict[str, QAction] = {}
        """Name -> action (window-wide shortcuts: they are added to ``parent``)."""
        for spec in ACTIONS:
            action = QAction(spec.text, parent)
            action.setShortcut(QKeySequence(spec.shortcut))
            action.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
            action.setToolTip(f"{spec.text} ({spec.shortcut})")
            action.setData(spec.name)
            action.triggered.connect(self._on_action_triggered)
            parent.addAction(action)
            self.actions[spec.name] = action
        for name, text, short in EXCEPTION_TOGGLES:
            action = QAction(text, parent)
            action.setIconText(short)
            action.setCheckable(True)
            action.setData(name)
            action.setToolTip(text)
            action.toggled.connect(self._on_exception_toggled)
            self.actions[name] = action
        self.show_exception_breaks(ExceptionBreaks())
        self.show_state(DebugState.IDLE)

    def show_exception_breaks(self, breaks: ExceptionBreaks) -> None:
        """Tick the exception toggles (without emitting)."""
        for name, checked in (("break_uncaught", breaks.uncaught), ("break_caught", breaks.caught)):
            action = self.actions[name]
            action.blockSignals(True)
            action.setChecked(checked)
            action.blockSignals(False)

    def show_state(self, state: DebugState) -> None:
        """Enable the actions that make sense in ``state``; F5 reads Continue when paused."""
        for spec in ACTIONS:
            self.actions[spec.name].setEnabled(state in spec.states)
        self.actions["start_continue"].setText("Continue" if state is DebugState.PAUSED else "Start Debugging")

    def make_toolbar(self, parent: QWidget) -> QToolBar:
        """A toolbar holding every action (parented to ``parent``, e.g. the main window)."""
        bar = QToolBar("Debug", parent)
        bar.setObjectName("debug-toolbar")
        for spec in ACTIONS:
            bar.addAction(self.actions[spec.name])
        bar.addSeparator()
        caught = self.actions["break_caught"]
        bar.addAction(caught)
        bar.widgetForAction(caught).setObjectName("debug-break-caught")
        return bar

    def make_menu(self, title: str = "&Debug", parent: QWidget | None = None) -> QMenu:
        """A menu with every action, then the exception toggles."""
        menu = QMenu(title, parent)
        for spec in ACTIONS:
            menu.addAction(self.actions[spec.name])
        menu.addSeparator()
        for name, _text, _short in EXCEPTION_TOGGLES:
            menu.addAction(self.actions[name])
        return menu

    def _on_exception_toggled(self, _checked: bool) -> None:
        self.sig_exception_breaks_changed.emit(ExceptionBreaks(self.actions["break_uncaught"].isChecked(),
                                                               self.actions["break_caught"].isChecked()))

    def _on_action_triggered(self) -> None:
        action = self.sender()
        if isinstance(action, QAction):
            self.sig_action_triggered.emit(str(action.data()))
