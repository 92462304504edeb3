"""Debug panels: breakpoints, a debug toolbar, Call Stack, Variables, Watch, Breakpoints and Debug Console.

``DebugController`` (controller.py) owns the state and drives a
``debugger.session.DebugSession`` through ``SessionDriver`` (driver.py) off
the GUI thread. ``DebugPanel`` (widget.py) is the passive view;
``DebugActions`` (actions.py) the toolbar actions and shortcuts;
``BreakpointMarginAdapter`` (margin.py) links one ``CodeEditor``'s margin to
the controller, and ``DebugHoverAdapter`` (hover.py) shows values under the
mouse while paused. Breakpoints persist in ``.isoplay/breakpoints.json``
(store.py).
"""
