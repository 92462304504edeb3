"""The simulator's WebSocket tab on the real IDE (offscreen): connect to the script, exchange messages both
ways (text and bytes), see each socket event's console lines in the Console, close; refusals explained."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt

from ide_testutil import WAIT_MS

SOCKET_TS = """export default {
  async fetch(request: Request, env: Env): Promise<Response> {
    const url = new URL(request.url);
    if (url.pathname === "/ws") {
      if (request.headers.get("upgrade") !== "websocket") return new Response("use a websocket", { status: 426 });
      const [client, server] = Object.values(new WebSocketPair());
      server.accept();
      server.send("welcome " + (request.headers.get("x-user") ?? "anonymous"));
      server.addEventListener("message", (e: MessageEvent) => {
        console.log("socket got", typeof e.data === "string" ? e.data : "bytes");
        if (e.data === "bye") { server.close(4000, "you said bye"); return; }
        if (typeof e.data === "string") server.send(e.data.toUpperCase());
        else server.send(new Uint8Array(e.data).reverse());
      });
      server.addEventListener("close", (e: CloseEvent) => console.log("socket closed", e.code, e.reason));
      return new Response(null, { status: 101, webSocket: client });
    }
    return new Response("plain " + url.pathname);
  },
} satisfies ExportedHandler<Env>;
"""


def open_socket_project(ide_factory: Callable[..., Any], sample_project: Path, qtbot: Any) -> tuple[Any, Any]:
    (sample_project / "src" / "index.ts").write_text(SOCKET_TS, encoding="utf-8")
    ide = ide_factory(sample_project)
    controller = ide.websocket
    tab = controller.view
    ide.panels.simulator.tabs.setCurrentWidget(tab)
    return ide, tab


def console_text(ide: Any) -> str:
    return "\n".join(ide.panels.console.row_texts())


def test_websocket_tab_connects_exchanges_and_closes(ide_factory: Callable[..., Any], sample_project: Path,
                                                     qtbot: Any) -> None:
    ide, tab = open_socket_project(ide_factory, sample_project, qtbot)
    assert not tab.send_button.isEnabled() and not tab.close_button.isEnabled()
    tab.url.setText("/ws")
    tab.headers.setPlainText("X-User: ada")
    qtbot.mouseClick(tab.connect_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: tab.send_button.isEnabled(), timeout=WAIT_MS)
    assert tab.status.text() == "Open: http://localhost/ws"
    qtbot.waitUntil(lambda: ("←", "welcome ada") in tab.rows(), timeout=WAIT_MS)

    qtbot.keyClicks(tab.message, "hello")
    qtbot.keyClick(tab.message, Qt.Key.Key_Return)
    assert tab.message.text() == ""
    qtbot.waitUntil(lambda: ("←", "HELLO") in tab.rows(), timeout=WAIT_MS)
    assert tab.rows().index(("→", "hello")) < tab.rows().index(("←", "HELLO"))

    tab.binary.setChecked(True)
    tab.message.setText("01 02 ff")
    qtbot.mouseClick(tab.send_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: ("←", "‹3 bytes› ff 02 01") in tab.rows(), timeout=WAIT_MS)
    tab.message.setText("zz")  # not hex: refused with a message, nothing sent
    qtbot.mouseClick(tab.send_button, Qt.MouseButton.LeftButton)
    assert "not hex digits" in tab.status.text()
    tab.binary.setChecked(False)

    # each socket event is its own Console entry, with the handler's console lines
    qtbot.waitUntil(lambda: "socket got bytes" in console_text(ide), timeout=WAIT_MS)
    assert "socket got hello" in console_text(ide)
    assert "websocket message /ws → ok" in console_text(ide)
    assert "GET /ws → 101" in console_text(ide)

    qtbot.mouseClick(tab.close_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not tab.close_button.isEnabled(), timeout=WAIT_MS)
    assert tab.rows()[-1] == ("•", "closed 1000 closed from the simulator")
    qtbot.waitUntil(lambda: "socket closed 1000 closed from the simulator" in console_text(ide), timeout=WAIT_MS)

    # the script closes: the tab shows its code and reason, and the script's close listener runs
    qtbot.mouseClick(tab.connect_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: tab.send_button.isEnabled(), timeout=WAIT_MS)
    tab.message.setText("bye")
    tab.run()  # Ctrl+R's action on this tab: send what is typed
    qtbot.waitUntil(lambda: tab.rows()[-1] == ("•", "closed 4000 you said bye"), timeout=WAIT_MS)
    assert not tab.send_button.isEnabled()
    qtbot.waitUntil(lambda: "socket closed 4000 you said bye" in console_text(ide), timeout=WAIT_MS)


def test_websocket_tab_explains_refusals(ide_factory: Callable[..., Any], sample_project: Path, qtbot: Any) -> None:
    ide, tab = open_socket_project(ide_factory, sample_project, qtbot)
    tab.url.setText("/plain")
    qtbot.mouseClick(tab.connect_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: "instead of 101" in tab.status.text(), timeout=WAIT_MS)
    assert tab.status.text() == "the script answered 200 instead of 101: plain /plain"
    assert not tab.send_button.isEnabled()
    tab.headers.setPlainText("no colon here")
    qtbot.mouseClick(tab.connect_button, Qt.MouseButton.LeftButton)
    assert tab.status.text() == "header line 1 needs 'Name: value': 'no colon here'"
    tab.headers.setPlainText("")
    tab.url.setText("/has space")
    qtbot.mouseClick(tab.connect_button, Qt.MouseButton.LeftButton)
    assert "must not contain spaces" in tab.status.text()
    # a reload (saving the file) closes an open socket with 1012, as a deploy does
    tab.url.setText("/ws")
    qtbot.mouseClick(tab.connect_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: tab.send_button.isEnabled(), timeout=WAIT_MS)
    (sample_project / "src" / "index.ts").write_text(SOCKET_TS.replace("welcome ", "hello again "), encoding="utf-8")
    ide.services.runtime.reload()
    qtbot.waitUntil(lambda: not tab.send_button.isEnabled(), timeout=WAIT_MS)
    assert tab.rows()[-1][1].startswith("closed 1012")


CF_TS = """export default {
  async fetch(request: Request): Promise<Response> {
    const cf = request.cf as any;
    return Response.json({ colo: cf.colo, country: cf.country, asn: cf.asn, score: cf.botManagement.score });
  },
} satisfies ExportedHandler<Env>;
"""


def test_cf_tab_is_prefilled_with_the_local_object_and_sets_request_cf(ide_factory: Callable[..., Any],
                                                                      sample_project: Path, qtbot: Any) -> None:
    import json

    from app.panels.simulator.forms import HttpForm
    from runtime.webapi.cf import LOCAL_CF

    (sample_project / "src" / "index.ts").write_text(CF_TS, encoding="utf-8")
    ide = ide_factory(sample_project)
    http = ide.panels.simulator.http_tab
    assert json.loads(http.cf.text.toPlainText()) == LOCAL_CF  # what the script sees with nothing changed

    def send() -> Any:
        with qtbot.waitSignal(ide.services.runtime.sig_invocation_finished, timeout=WAIT_MS) as blocker:
            qtbot.mouseClick(http.send, Qt.MouseButton.LeftButton)
        return json.loads(blocker.args[0].result.body)

    assert send() == {"colo": LOCAL_CF["colo"], "country": LOCAL_CF["country"], "asn": LOCAL_CF["asn"], "score": 99}
    edited = dict(LOCAL_CF, country="NL", colo="AMS", botManagement=dict(LOCAL_CF["botManagement"], score=3))
    http.cf.text.setPlainText(json.dumps(edited, indent=2))
    assert json.loads(http.form().cf) == {"country": "NL", "colo": "AMS", "botManagement": edited["botManagement"]}
    assert send() == {"colo": "AMS", "country": "NL", "asn": LOCAL_CF["asn"], "score": 3}
    # the form (history, saved requests) keeps the change and shows it again
    form = http.form()
    qtbot.mouseClick(http.cf.reset, Qt.MouseButton.LeftButton)
    assert http.form().cf == ""
    ide.panels.simulator.set_http_form(form)
    assert json.loads(http.cf.text.toPlainText())["country"] == "NL"
    assert HttpForm.from_json(form.to_json()) == form
    # a mistake is named with its line and column, and nothing runs
    http.cf.text.setPlainText('{\n  "country": NL\n}')
    started: list[Any] = []
    ide.services.runtime.sig_invocation_started.connect(started.append)
    qtbot.mouseClick(http.send, Qt.MouseButton.LeftButton)
    assert "request.cf is not valid JSON" in ide.panels.simulator.error.text()
    assert "line 2" in ide.panels.simulator.error.text() and started == []
