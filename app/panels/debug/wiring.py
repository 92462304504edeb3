"""``DebugBinding``: connects the debug panels and actions to a ``DebugController`` (one call from the composition root).

The panels and actions live as long as the window; a controller lives as long
as its project. Opening another project ``detach``es the old binding (every
connection it made, every editor margin it attached) before a new controller
and binding take over the same panels.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import shiboken6
from PySide6.QtCore import QObject, SignalInstance

from app.panels.debug.actions import DebugActions
from app.panels.debug.controller import DebugController
from app.panels.debug.hover import DebugHoverAdapter
from app.panels.debug.margin import BreakpointMarginAdapter
from app.panels.debug.types import BreakpointSpec, DebugState, ExceptionBreaks
from app.panels.debug.widget import BreakpointEdited, DebugPanel
from editor.widget import CodeEditor

CurrentEditor = Callable[[], "CodeEditor | None"]
"""Gives the focused editor (for F9), or None."""


class DebugBinding(QObject):
    """Wires panel signals and toolbar actions to the controller (a child of the controller)."""

    def __init__(self, controller: DebugController, panel: DebugPanel, actions: DebugActions,
                 current_editor: CurrentEditor) -> None:
        super().__init__(controller)
        self.controller = controller
        self.panel = panel
        self.actions = actions
        self._current_editor = current_editor
        self._links: list[tuple[SignalInstance, Callable[..., Any]]] = []
        self._margins: list[BreakpointMarginAdapter] = []
        self._hovers: list[DebugHoverAdapter] = []
        self.attached = True
        """False once ``detach`` ran."""
        controller.view = panel
        panel.show_breakpoints(controller.breakpoint_rows())
        panel.show_state(controller.state)
        panel.show_stack((), 0)
        panel.show_scopes(None)
        panel.show_watches(())
        actions.show_state(controller.state)
        self._show_exception_breaks(controller.exception_breaks)
        self.link(controller.sig_state_changed, actions.show_state)
        self.link(controller.sig_exception_breaks_changed, self._show_exception_breaks)
        self.link(actions.sig_action_triggered, self.on_actions_triggered)
        self.link(actions.sig_exception_breaks_changed, controller.set_exception_breaks)
        self.link(panel.call_stack.sig_frame_chosen, controller.select_frame)
        self.link(panel.variables.tree.sig_expand_requested, controller.expand)
        self.link(panel.variables.tree.sig_section_requested, controller.load_globals)
        self.link(panel.watch.tree.sig_expand_requested, controller.expand)
        self.link(panel.variables.tree.sig_value_text_requested, controller.value_text)
        self.link(panel.watch.tree.sig_value_text_requested, controller.value_text)
        self.link(panel.console.sig_value_text_requested, controller.value_text)
        self.link(panel.watch.sig_watch_added, controller.add_watch)
        self.link(panel.watch.sig_watch_removed, controller.remove_watch)
        self.link(panel.console.input.sig_expression_entered, controller.evaluate_console)
        self.link(panel.breakpoints.sig_breakpoint_enabled_changed, self.on_breakpoints_enabled_changed)
        self.link(panel.breakpoints.sig_breakpoint_edited, self.on_breakpoints_edited)
        self.link(panel.breakpoints.sig_breakpoint_removed, self.on_breakpoints_removed)
        self.link(panel.breakpoints.sig_exception_breaks_changed, controller.set_exception_breaks)

    def link(self, signal: SignalInstance, slot: Callable[..., Any]) -> None:
        """Connect ``signal`` to ``slot`` and undo it in ``detach`` (also for the composition root's links)."""
        signal.connect(slot)
        self._links.append((signal, slot))

    def attach_editor(self, editor: CodeEditor) -> BreakpointMarginAdapter:
        """Give an editor its breakpoint margin and arrow, and its value hovers (call for every editor opened)."""
        for found in editor.findChildren(BreakpointMarginAdapter):
            if found.controller is self.controller:
                return found
        adapter = BreakpointMarginAdapter(editor, self.controller)
        self._margins.append(adapter)
        self._hovers = [h for h in self._hovers if shiboken6.isValid(h)]
        self._hovers.append(DebugHoverAdapter(editor, self.controller))
        return adapter

    def margins(self) -> list[BreakpointMarginAdapter]:
        """The margins attached so far whose editor still exists."""
        self._margins = [m for m in self._margins if shiboken6.isValid(m)]
        return list(self._margins)

    def detach(self) -> None:
        """Undo every connection and margin this binding made; the panels are left empty (idempotent).

        The controller keeps running on its own (stop and close it separately);
        nothing it emits reaches the panels, the actions or the editors afterwards.
        """
        if not self.attached:
            return
        self.attached = False
        for signal, slot in self._links:
            signal.disconnect(slot)
        self._links.clear()
        for margin in self.margins():
            margin.detach()
        self._margins.clear()
        for hover in self._hovers:
            if shiboken6.isValid(hover):
                hover.detach()
        self._hovers.clear()
        if self.controller.view is self.panel:
            self.controller.view = None
        self.panel.show_state(DebugState.IDLE)
        self.panel.show_stack((), 0)
        self.panel.show_scopes(None)
        self.panel.show_watches(())
        self.panel.show_breakpoints(())
        self.actions.show_state(DebugState.IDLE)

    def _show_exception_breaks(self, breaks: ExceptionBreaks) -> None:
        self.actions.show_exception_breaks(breaks)
        self.panel.breakpoints.show_exception_breaks(breaks)

    def on_actions_triggered(self, name: str) -> None:
        """Run a toolbar action / shortcut."""
        if name == "toggle_breakpoint":
            editor = self._current_editor()
            if editor is not None:
                self.attach_editor(editor).toggle_at_caret()
            return
        c = self.controller
        commands = {"start_continue": c.start_or_continue, "pause": c.pause, "step_over": c.step_over,
                    "step_into": c.step_into, "step_out": c.step_out, "stop": c.stop,
                    "step_back": c.step_back, "reverse_continue": c.reverse_continue}
        commands[name]()

    def on_breakpoints_enabled_changed(self, spec: BreakpointSpec) -> None:
        """A checkbox in the Breakpoints list changed."""
        self.controller.set_breakpoint_enabled(spec.file, spec.line, spec.enabled)

    def on_breakpoints_edited(self, edited: BreakpointEdited) -> None:
        """Condition, hit count or log message edited in the list."""
        s = edited.spec
        self.controller.edit_breakpoint(s.file, s.line, condition=s.condition, hit_count=s.hit_count,
                                        log_message=s.log_message)

    def on_breakpoints_removed(self, spec: BreakpointSpec) -> None:
        """Remove pressed in the Breakpoints list."""
        self.controller.remove_breakpoint(spec.file, spec.line)
