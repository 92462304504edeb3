"""``DebugBinding``: connects the debug panels and actions to a ``DebugController`` (one call from the composition root)."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QObject

from app.panels.debug.actions import DebugActions
from app.panels.debug.controller import DebugController
from app.panels.debug.margin import BreakpointMarginAdapter
from app.panels.debug.types import BreakpointSpec
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
        controller.view = panel
        panel.show_breakpoints(controller.breakpoint_rows())
        panel.show_state(controller.state)
        controller.sig_state_changed.connect(actions.show_state)
        actions.sig_action_triggered.connect(self.on_actions_triggered)
        panel.call_stack.sig_frame_chosen.connect(controller.select_frame)
        panel.variables.tree.sig_expand_requested.connect(controller.expand)
        panel.watch.tree.sig_expand_requested.connect(controller.expand)
        panel.watch.sig_watch_added.connect(controller.add_watch)
        panel.watch.sig_watch_removed.connect(controller.remove_watch)
        panel.console.input.sig_expression_entered.connect(controller.evaluate_console)
        panel.breakpoints.sig_breakpoint_enabled_changed.connect(self.on_breakpoints_enabled_changed)
        panel.breakpoints.sig_breakpoint_edited.connect(self.on_breakpoints_edited)
        panel.breakpoints.sig_breakpoint_removed.connect(self.on_breakpoints_removed)

    def attach_editor(self, editor: CodeEditor) -> BreakpointMarginAdapter:
        """Give an editor its breakpoint margin and arrow (call for every editor opened)."""
        found = editor.findChild(BreakpointMarginAdapter)
        return found if found is not None else BreakpointMarginAdapter(editor, self.controller)

    def on_actions_triggered(self, name: str) -> None:
        """Run a toolbar action / shortcut."""
        if name == "toggle_breakpoint":
            editor = self._current_editor()
            if editor is not None:
                self.attach_editor(editor).toggle_at_caret()
            return
        c = self.controller
        commands = {"start_continue": c.start_or_continue, "pause": c.pause, "step_over": c.step_over,
                    "step_into": c.step_into, "step_out": c.step_out, "stop": c.stop}
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
