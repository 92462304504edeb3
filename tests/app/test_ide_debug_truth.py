"""Issue 15's debugger points on the real main window (build_app, offscreen): positions after a debug session,
locals at an exception pause, and state that tells the truth.

Real runtime thread, real esbuild, a real debuggee process with a real isolate, real widgets.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from ide_testutil import THROW_LINE, WAIT_MS
from PySide6.QtCore import Qt, QUrl

from app.panels.simulator.forms import HttpForm

pytestmark = pytest.mark.timeout(120)

LINK_RE = re.compile(r'href="source:([^"]+)"')


def run_request(qtbot: Any, ide: Any, path: str) -> Any:
    """Send the simulator's request as Ctrl+R does and wait for its result."""
    ide.panels.simulator.set_http_form(HttpForm("GET", path))
    with qtbot.waitSignal(ide.services.runtime.sig_invocation_finished, timeout=WAIT_MS) as finished:
        ide.window.action("run").trigger()
    return finished.args[0]


def links(ide: Any) -> list[str]:
    model = ide.controllers.response.model
    assert model is not None
    return LINK_RE.findall(model.error_html)


def test_a_throw_has_the_same_position_before_and_after_a_debug_session_and_its_locals_at_the_pause(
        qtbot: Any, ide_factory: Any, sample_project: Path) -> None:
    ide = ide_factory(sample_project)
    run_request(qtbot, ide, "/boom")
    before = links(ide)
    assert f"src/index.ts:{THROW_LINE}:13" in before
    controller = ide.debugger.controller
    with qtbot.waitSignal(controller.sig_paused, timeout=WAIT_MS) as paused:
        ide.debugger.actions.actions["start_continue"].trigger()
    event = paused.args[0]
    assert (event.reason, event.top.line, event.top.column) == ("exception", THROW_LINE, 13)
    tree = ide.debugger.panel.variables.tree
    qtbot.waitUntil(lambda: tree.find_row("Locals", "url") is not None, timeout=WAIT_MS)
    assert tree.find_row("Locals", "url").text(1).startswith("URL")
    assert tree.find_row("Locals", "request") is not None
    with qtbot.waitSignal(controller.sig_exited, timeout=WAIT_MS):
        ide.debugger.actions.actions["start_continue"].trigger()
    qtbot.waitUntil(lambda: bool(links(ide)) and links(ide) == before, timeout=WAIT_MS)
    # the link goes to the throw itself
    editor = ide.controllers.editors.current_editor()
    editor.go_to_line(1)
    ide.panels.response.error.anchorClicked.emit(QUrl(f"source:src/index.ts:{THROW_LINE}:13"))
    qtbot.waitUntil(lambda: editor.caret_position().line == THROW_LINE - 1, timeout=WAIT_MS)
    assert editor.caret_position().character == 12
    run_request(qtbot, ide, "/boom")
    assert links(ide) == before


def expand(qtbot: Any, tree: Any, *path: str) -> Any:
    """Expand the row at ``path`` (as a click on its arrow does) and wait for its children."""
    qtbot.waitUntil(lambda: tree.find_row(*path) is not None, timeout=WAIT_MS)
    row = tree.find_row(*path)
    row.setExpanded(True)
    qtbot.waitUntil(lambda: row.childCount() > 0 and row.child(0).text(0) != "" and
                    row.child(0).text(0) != "loading…", timeout=WAIT_MS)
    return {row.child(i).text(0): row.child(i).text(1) for i in range(row.childCount())}


def test_request_url_headers_and_long_values_expand_and_the_console_takes_top_level_await(
        qtbot: Any, ide_factory: Any, sample_project: Path) -> None:
    ide = ide_factory(sample_project)
    controller = ide.debugger.controller
    controller.toggle_breakpoint("src/index.ts", 10)  # await env.KV.put(...)
    controller.toggle_breakpoint("src/index.ts", 11)  # return Response.json(...)
    ide.panels.simulator.set_http_form(HttpForm("GET", "/debugged?x=1&y=two", headers=(("x-trace", "abc"),)))
    with qtbot.waitSignal(controller.sig_paused, timeout=WAIT_MS):
        ide.debugger.actions.actions["start_continue"].trigger()
    tree = ide.debugger.panel.variables.tree
    qtbot.waitUntil(lambda: tree.find_row("Locals", "request") is not None, timeout=WAIT_MS)
    assert tree.find_row("Locals", "request").text(1).startswith('Request {method: "GET", url: "http://')
    request = expand(qtbot, tree, "Locals", "request")
    assert request["method"] == '"GET"' and request["url"].endswith('/debugged?x=1&y=two"')
    assert request["bodyUsed"] == "false" and "stream" in request["body"]  # not read: it has a side effect
    headers = expand(qtbot, tree, "Locals", "request", "headers")
    assert headers["x-trace"] == '"abc"'
    url = expand(qtbot, tree, "Locals", "url")
    assert url["pathname"] == '"/debugged"' and url["search"] == '"?x=1&y=two"'
    params = expand(qtbot, tree, "Locals", "url", "searchParams")
    assert (params["x"], params["y"]) == ('"1"', '"two"')
    this = expand(qtbot, tree, "this")
    assert "fetch" in this
    # a watch whose value is longer than a preview expands to all of it
    ide.debugger.panel.watch.sig_watch_added.emit("url.pathname.repeat(300)")
    watch = ide.debugger.panel.watch.tree
    qtbot.waitUntil(lambda: watch.topLevelItemCount() == 1 and watch.topLevelItem(0).text(1).startswith("string(2700)"),
                    timeout=WAIT_MS)
    watch.topLevelItem(0).setExpanded(True)
    qtbot.waitUntil(lambda: watch.topLevelItem(0).childCount() == 14, timeout=WAIT_MS)
    whole = "".join(watch.topLevelItem(0).child(i).text(1) for i in range(14))
    assert whole == "/debugged" * 300
    # top-level await: a promise still pending (or not yet seen settle) prints its value once the script runs on;
    # one the debugger has seen settle gives its value at once
    console = ide.debugger.panel.console

    def enter(expression: str) -> None:
        qtbot.keyClicks(console.input, expression)
        qtbot.keyClick(console.input, Qt.Key.Key_Return)

    enter("globalThis.pp = Promise.resolve(41)")
    enter("await pp")
    qtbot.waitUntil(lambda: "printed here once it settles" in console.text(), timeout=WAIT_MS)
    with qtbot.waitSignal(controller.sig_paused, timeout=WAIT_MS):  # line 11, after `await env.KV.put`
        ide.debugger.actions.actions["start_continue"].trigger()
    qtbot.waitUntil(lambda: "await pp → 41" in console.text(), timeout=WAIT_MS)
    enter("(await pp) + 1")
    qtbot.waitUntil(lambda: "> (await pp) + 1\n42" in console.text(), timeout=WAIT_MS)
    with qtbot.waitSignal(controller.sig_exited, timeout=WAIT_MS):
        ide.debugger.actions.actions["start_continue"].trigger()


def test_this_in_a_plain_function_shows_no_debugger_or_runtime_internals(
        qtbot: Any, ide_factory: Any, sample_project: Path) -> None:
    ide = ide_factory(sample_project)
    controller = ide.debugger.controller
    controller.toggle_breakpoint("src/util.ts", 2)
    ide.panels.simulator.set_http_form(HttpForm("GET", "/"))
    with qtbot.waitSignal(controller.sig_paused, timeout=WAIT_MS):
        ide.debugger.actions.actions["start_continue"].trigger()
    tree = ide.debugger.panel.variables.tree
    qtbot.waitUntil(lambda: tree.find_row("this") is not None, timeout=WAIT_MS)
    names = expand(qtbot, tree, "this")
    assert "Request" in names and "fetch" in names
    assert not [n for n in names if n.startswith(("$__", "__"))]


def http(url: str, method: str = "GET", data: bytes | None = None, timeout: float = 60.0) -> tuple[int, str]:
    """A real HTTP client call (urllib), bounded."""
    import urllib.error
    import urllib.request

    request = urllib.request.Request(url, data=data, method=method)
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.status, response.read().decode("utf-8")
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode("utf-8")


def test_the_local_endpoint_answers_outside_requests_and_stops_at_breakpoints(
        qtbot: Any, ide_factory: Any, sample_project: Path) -> None:
    import concurrent.futures

    ide = ide_factory(sample_project)
    endpoint = ide.endpoint
    qtbot.waitUntil(lambda: endpoint.service.state.url != "", timeout=WAIT_MS)
    url = endpoint.service.state.url
    assert re.fullmatch(r"http://127\.0\.0\.1:\d+", url) and not url.endswith(":8787")
    assert f'href="{url}/"' in endpoint.label.text() and endpoint.label.isVisible()
    assert endpoint.label.openExternalLinks()
    # Copy as curl uses the endpoint's address
    ide.panels.simulator.set_http_form(HttpForm("GET", "/from-curl"))
    assert f"{url}/from-curl" in ide.controllers.simulator.copy_as_curl(ide.panels.simulator.current_form())
    pool = concurrent.futures.ThreadPoolExecutor(1)
    try:
        # an outside request reaches the script and shows in the Console
        answer = pool.submit(http, f"{url}/outside?q=1")
        qtbot.waitUntil(answer.done, timeout=WAIT_MS)
        status, body = answer.result()
        assert status == 200 and '"/outside"' in body and '"HI!"' in body
        qtbot.waitUntil(lambda: any(r.startswith("GET /outside?q=1 → 200") for r in ide.panels.console.row_texts()),
                        timeout=WAIT_MS)
        assert "handling /outside" in ide.panels.console.row_texts()
        # with a breakpoint set (Break on Requests is on by default) it stops there, as F5 does
        assert endpoint.break_action.isChecked()
        controller = ide.debugger.controller
        controller.toggle_breakpoint("src/index.ts", 11)
        with qtbot.waitSignal(controller.sig_paused, timeout=WAIT_MS) as paused:
            answer = pool.submit(http, f"{url}/paused-here")
        assert (paused.args[0].reason, paused.args[0].top.line) == ("breakpoint", 11)
        tree = ide.debugger.panel.variables.tree
        qtbot.waitUntil(lambda: tree.find_row("Locals", "url") is not None, timeout=WAIT_MS)
        assert '/paused-here' in tree.find_row("Locals", "url").text(1)
        qtbot.wait(200)
        assert not answer.done()  # the client waits while the script is paused
        with qtbot.waitSignal(controller.sig_exited, timeout=WAIT_MS):
            ide.debugger.actions.actions["start_continue"].trigger()
        qtbot.waitUntil(answer.done, timeout=WAIT_MS)
        status, body = answer.result()
        assert status == 200 and '"/paused-here"' in body
        # Send (Ctrl+R) stops at the breakpoint too
        ide.panels.simulator.set_http_form(HttpForm("GET", "/sent"))
        with qtbot.waitSignal(controller.sig_paused, timeout=WAIT_MS):
            ide.window.action("run").trigger()
        with qtbot.waitSignal(controller.sig_exited, timeout=WAIT_MS):
            ide.debugger.actions.actions["start_continue"].trigger()
        # Break on Requests off: outside requests run straight through
        endpoint.break_action.setChecked(False)
        answer = pool.submit(http, f"{url}/straight")
        qtbot.waitUntil(answer.done, timeout=WAIT_MS)
        assert answer.result()[0] == 200 and controller.state.name == "IDLE"
    finally:
        pool.shutdown(wait=False, cancel_futures=True)


def test_state_tells_the_truth_durations_status_heap_stale_build_load_history_and_get_bodies(
        qtbot: Any, ide_factory: Any, sample_project: Path, settings_factory: Any) -> None:
    from app.panels.response.controller import STALE_NOTE
    from runtime.loadrun import LoadSpec

    ide = ide_factory(sample_project)
    controller = ide.debugger.controller
    # a GET with a body left in the editor is sent without it, and the form says so
    ide.panels.simulator.set_http_form(HttpForm("GET", "/leftover", (), '{"a": 1}', "application/json"))
    with qtbot.waitSignal(ide.services.runtime.sig_invocation_finished, timeout=WAIT_MS) as finished:
        ide.window.action("run").trigger()
    assert finished.args[0].result.status == 200 and finished.args[0].trigger.body == b""
    assert "without the body" in ide.panels.simulator.error.text() and ide.panels.simulator.error.isVisible()
    # a debugged request's duration is its running time; the time paused is shown apart
    controller.toggle_breakpoint("src/index.ts", 10)
    ide.panels.simulator.set_http_form(HttpForm("GET", "/slowly"))
    with qtbot.waitSignal(controller.sig_paused, timeout=WAIT_MS):
        ide.debugger.actions.actions["start_continue"].trigger()
    assert ide.window.statusBar().currentMessage().startswith("Paused at a breakpoint")
    qtbot.wait(1500)
    with qtbot.waitSignal(controller.sig_paused, timeout=WAIT_MS):
        ide.debugger.actions.actions["step_over"].trigger()
    assert ide.window.statusBar().currentMessage().startswith("Paused after a step")
    with qtbot.waitSignal(controller.sig_exited, timeout=WAIT_MS):
        ide.debugger.actions.actions["start_continue"].trigger()
    assert ide.window.statusBar().currentMessage() == ""  # the pause message goes with the session
    qtbot.waitUntil(lambda: "paused in the debugger" in ide.panels.response.meta.text(), timeout=WAIT_MS)
    meta = ide.panels.response.meta.text()
    running = float(re.search(r"([\d.]+) ms running", meta).group(1))
    paused = re.search(r"([\d.]+) s paused in the debugger", meta)
    assert paused is not None and float(paused.group(1)) >= 1.4 and running < 1400
    assert any("GET /slowly → 200 in" in r and "paused in the debugger" in r for r in ide.panels.console.row_texts())
    controller.toggle_breakpoint("src/index.ts", 10)
    # the heap snapshot works on the first try even when the listed isolate was replaced (a rebuild)
    heap = ide.tools.heap
    heap.controller.refresh_isolates()
    qtbot.waitUntil(lambda: heap.widget.isolate_box.count() > 0, timeout=WAIT_MS)
    listed = int(heap.widget.isolate_box.itemData(0))
    with qtbot.waitSignal(ide.services.runtime.sig_build_finished, timeout=WAIT_MS):
        ide.services.runtime.reload()
    run_request(qtbot, ide, "/after-reload")
    heap.controller.take_snapshot(listed)
    qtbot.waitUntil(lambda: len(heap.controller.snapshots) == 1, timeout=WAIT_MS)
    assert heap.controller.snapshots[0].summary.node_count > 0
    # while the sources do not build, an answer says it came from the last good build
    index = sample_project / "src" / "index.ts"
    good = index.read_text(encoding="utf-8")
    # (the file watcher may build too: wait for the build of what was written, not any build)
    with qtbot.waitSignal(ide.services.runtime.sig_build_finished, timeout=WAIT_MS,
                          check_params_cb=lambda finished: not finished.report.ok):
        index.write_text(good.replace("return Response.json(", "return Response.json(("), encoding="utf-8")
        ide.services.runtime.reload()
    run_request(qtbot, ide, "/stale")
    assert ide.panels.response.meta.text().startswith(STALE_NOTE)
    with qtbot.waitSignal(ide.services.runtime.sig_build_finished, timeout=WAIT_MS,
                          check_params_cb=lambda finished: finished.report.ok):
        index.write_text(good, encoding="utf-8")
        ide.services.runtime.reload()
    run_request(qtbot, ide, "/fresh")
    assert STALE_NOTE not in ide.panels.response.meta.text()
    # load-run history survives a restart
    load = ide.tools.profiler.load
    load.set_trigger(finished.args[0].trigger, "GET /leftover")
    assert load.start(LoadSpec(count=20, concurrency=2))
    qtbot.waitUntil(lambda: len(load.runs) == 1, timeout=WAIT_MS)
    qtbot.waitUntil(lambda: (sample_project / ".isoplay" / "loadruns.json").exists(), timeout=WAIT_MS)
    again = ide_factory(sample_project)
    qtbot.waitUntil(lambda: len(again.tools.profiler.load.runs) == 1, timeout=WAIT_MS)
    restored = again.tools.profiler.load.runs[0]
    assert (restored.count, restored.label) == (20, "GET /leftover")
    assert again.tools.profiler.load_form.runs_list.count() == 1


def squiggle_colours(editor: Any, rng: Any) -> tuple[int, int]:
    """(reddish, bluish) pixel counts in the band under ``rng`` on the rendered editor."""
    from PySide6.QtGui import QColor

    view = editor.view
    start, end = view.to_byte_position(rng.start), view.to_byte_position(rng.end)
    x0, x1 = view.pointXFromPosition(start), view.pointXFromPosition(end)
    line = view.lineFromPosition(start)
    top = view.pointYFromPosition(start)
    image = view.viewport().grab().toImage()
    red = blue = 0
    for x in range(max(0, x0), max(x0 + 1, x1)):
        for y in range(top + view.textHeight(line) - 5, top + view.textHeight(line)):
            colour = QColor(image.pixel(x, y))
            if colour.red() > 150 and colour.green() < 110 and colour.blue() < 110:
                red += 1
            elif colour.blue() > 150 and colour.red() < 110:
                blue += 1
    return red, blue


def test_an_error_is_drawn_over_a_hint_and_hovers_render_markdown_message_first(
        qtbot: Any, ide_factory: Any, sample_project: Path) -> None:
    from editor.decorations import Indicator
    from editor.hover_popup import MAX_WIDTH
    from editor.types import Severity, TextPosition
    from ide_testutil import language_ready

    ide = ide_factory(sample_project)
    qtbot.waitUntil(lambda: language_ready(ide), timeout=WAIT_MS)
    editor = ide.controllers.editors.current_editor()
    text = editor.text().replace('    console.log("handling " + url.pathname);\n',
                                 '    console.log("handling " + url.pathname);\n    const n: number = url.pathname;\n')
    editor.view.setText(text)
    qtbot.waitUntil(lambda: {d.severity for d in editor.diagnostics() if d.range.start.line == 6}
                    >= {Severity.ERROR, Severity.HINT}, timeout=WAIT_MS)
    error = next(d for d in editor.diagnostics() if d.severity is Severity.ERROR and d.range.start.line == 6)
    hint = next(d for d in editor.diagnostics() if d.severity is Severity.HINT and d.range.start.line == 6)
    assert error.range == hint.range  # the unused-variable hint lies exactly over the type error
    pos = editor.view.to_byte_position(error.range.start)
    assert editor.view.indicatorValueAt(Indicator.ERROR, pos) > 0 and editor.view.indicatorValueAt(Indicator.HINT, pos) > 0
    ide.window.resize(1280, 800)
    qtbot.wait(100)
    red, blue = squiggle_colours(editor, error.range)
    assert red > 0 and blue == 0, (red, blue)  # the error's red squiggle is the one drawn on top
    # hovering the name: the messages first (the error before the hint), then the type
    editor.request_hover(TextPosition(6, 10))
    qtbot.waitUntil(lambda: "const n: number" in editor.calltip_text(), timeout=WAIT_MS)
    shown = editor.calltip_text()
    assert shown.index("not assignable") < shown.index("never read") < shown.index("const n: number")
    assert editor.hover_markdown().startswith("**Error**")
    # documentation is markdown, rendered in a popup that wraps and opens links
    column = text.splitlines()[6].index("pathname") + 2
    editor.request_hover(TextPosition(6, column))
    qtbot.waitUntil(lambda: "MDN Reference" in editor.hover_markdown(), timeout=WAIT_MS)
    popup = editor._hover_popup
    assert "](https://developer.mozilla.org" in editor.hover_markdown()  # a link, not raw text in a call tip
    assert popup.label.textFormat() == Qt.TextFormat.MarkdownText and popup.label.openExternalLinks()
    assert popup.label.wordWrap() and popup.width() <= MAX_WIDTH + 40
    assert not editor.view.callTipActive()
