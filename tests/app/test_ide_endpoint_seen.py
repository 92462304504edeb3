"""#15 point 2 on the real main window offscreen: requests from outside (a real HTTP client against the local
endpoint, not the Simulator) appear in the Console and in the Profiler's latency and throughput charts; the command
Copy as curl gives, run by the real curl, stops at a breakpoint.

Real runtime thread, real esbuild, a real isolate pool, a real socket on 127.0.0.1, real widgets.
"""

from __future__ import annotations

import concurrent.futures
import shlex
import shutil
import subprocess
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

import pytest
from ide_testutil import WAIT_MS

pytestmark = pytest.mark.timeout(120)

OUTSIDE = 6
"""Requests sent from outside."""


def http_get(url: str) -> tuple[int, str]:
    """A real HTTP client call (urllib), bounded."""
    try:
        with urllib.request.urlopen(url, timeout=60) as response:
            return response.status, response.read().decode("utf-8")
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode("utf-8")


def test_outside_requests_appear_in_the_console_and_the_profiler(qtbot: Any, ide_factory: Any,
                                                                 sample_project: Path) -> None:
    ide = ide_factory(sample_project)
    endpoint = ide.endpoint
    qtbot.waitUntil(lambda: endpoint.service.state.url != "", timeout=WAIT_MS)
    url = endpoint.service.state.url
    profiler = ide.tools.profiler.profiler
    profiler.clear()
    profiler.drain()
    assert not [r for r in profiler.model.records if r.route.startswith("/from-outside")]

    pool = concurrent.futures.ThreadPoolExecutor(2)
    try:
        answers = [pool.submit(http_get, f"{url}/from-outside/{i}") for i in range(OUTSIDE)]
        qtbot.waitUntil(lambda: all(a.done() for a in answers), timeout=WAIT_MS)
    finally:
        pool.shutdown(wait=True, cancel_futures=True)
    for i, answer in enumerate(answers):
        status, body = answer.result()
        assert status == 200 and f'"/from-outside/{i}"' in body, (status, body)

    # the Console: each request's own log line and its summary line, as a run from the Simulator has
    def console_rows() -> list[str]:
        return ide.panels.console.row_texts()

    for i in range(OUTSIDE):
        qtbot.waitUntil(lambda i=i: any(r.startswith(f"GET /from-outside/{i} → 200") for r in console_rows()),
                        timeout=WAIT_MS)
        assert f"handling /from-outside/{i}" in console_rows()

    # the Profiler: the controller's records, then the frame it draws (latency points, a throughput point)
    def outside_records() -> list[Any]:
        profiler.drain()
        return [r for r in profiler.model.records if r.route.startswith("/from-outside/")]

    qtbot.waitUntil(lambda: len(outside_records()) == OUTSIDE, timeout=WAIT_MS)
    records = outside_records()
    assert {r.route for r in records} == {f"/from-outside/{i}" for i in range(OUTSIDE)}
    assert all(r.trigger == "fetch" and r.method == "GET" and r.status == 200 and r.outcome == "ok" for r in records)
    frame = profiler.model.frame(time.time(), None)
    points = {(round(float(x), 6), round(float(y), 6)) for x, y in zip(frame.latency.x, frame.latency.y)}
    for record in records:  # each outside request is a point of the latency chart
        assert (round(record.time - frame.origin, 6), round(record.latency_ms, 6)) in points
    assert frame.throughput.y.sum() >= OUTSIDE
    # and the chart widgets hold those points once the Profiler redraws
    ide.window.show_dock("profiler")
    profiler.redraw()
    charts = ide.tools.profiler.charts
    xs, _ys = charts.latency_points.getData()
    assert xs is not None and len(xs) >= OUTSIDE
    _rate_x, rate_y = charts.rate_curve.getData()
    assert rate_y is not None and float(sum(rate_y)) >= OUTSIDE


def test_the_copied_curl_command_run_by_curl_pauses_at_a_breakpoint(qtbot: Any, ide_factory: Any,
                                                                    sample_project: Path) -> None:
    from app.panels.simulator.forms import HttpForm

    if shutil.which("curl") is None:  # .ci/run installs it; a missing tool is a failure, not a skip
        pytest.fail("this test runs the real curl: install it (Debian/Ubuntu: apt-get install curl)")
    ide = ide_factory(sample_project)
    endpoint = ide.endpoint
    qtbot.waitUntil(lambda: endpoint.service.state.url != "", timeout=WAIT_MS)
    controller = ide.debugger.controller
    controller.toggle_breakpoint("src/index.ts", 10)
    # Copy as curl, then that very command run by curl (a real process, as a user pastes it in a terminal)
    form = HttpForm("POST", "/from-curl?n=1", (("X-Trace", "t-1"),), '{"a": 1}', "application/json")
    command = ide.controllers.simulator.copy_as_curl(form)
    assert command.startswith("curl ") and endpoint.service.state.url in command
    argv = [*shlex.split(command), "--silent", "--show-error", "--max-time", "120",
            "--write-out", "\\n%{http_code}"]
    curl = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        with qtbot.waitSignal(controller.sig_paused, timeout=WAIT_MS) as paused:
            pass
        assert (paused.args[0].reason, paused.args[0].top.line) == ("breakpoint", 10)
        tree = ide.debugger.panel.variables.tree
        qtbot.waitUntil(lambda: tree.find_row("Locals", "url") is not None, timeout=WAIT_MS)
        assert "/from-curl?n=1" in tree.find_row("Locals", "url").text(1)
        assert curl.poll() is None  # curl waits while the script is paused
        with qtbot.waitSignal(controller.sig_exited, timeout=WAIT_MS):
            ide.debugger.actions.actions["start_continue"].trigger()
        qtbot.waitUntil(lambda: curl.poll() is not None, timeout=WAIT_MS)
        out, err = curl.communicate(timeout=10)
        body, _sep, code = out.rpartition("\n")
        assert curl.returncode == 0 and code == "200", (curl.returncode, out, err)
        assert '"/from-curl"' in body
    finally:
        if curl.poll() is None:
            curl.kill()
            curl.wait(timeout=10)


def test_the_endpoint_port_is_configurable_and_a_taken_port_moves_to_the_next_free_one(
        qtbot: Any, ide_factory: Any, sample_project: Path) -> None:
    import socket

    from app.endpoint import PORT_SETTING, set_port

    ide = ide_factory(sample_project)
    endpoint = ide.endpoint
    qtbot.waitUntil(lambda: endpoint.service.state.url != "", timeout=WAIT_MS)
    # another server holds a port: the endpoint configured for it listens on the next free one after it
    taken = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        taken.bind(("127.0.0.1", 0))
        taken.listen(1)
        port = taken.getsockname()[1]
        before = endpoint.service.state.url
        set_port(ide, endpoint, port)
        qtbot.waitUntil(lambda: endpoint.service.state.url not in ("", before), timeout=WAIT_MS)
        url = endpoint.service.state.url
        got = int(url.rsplit(":", 1)[1])
        assert port < got <= port + 20, (port, url)
        assert int(ide.settings.store.value(PORT_SETTING)) == port  # the setting keeps the port asked for
        assert f'href="{url}/"' in endpoint.label.text()
        assert url in ide.controllers.simulator.copy_as_curl(ide.panels.simulator.current_form())
        status, body = http_get(f"{url}/moved")
        assert status == 200 and '"/moved"' in body
    finally:
        taken.close()
