"""The simulator's WebSocket tab: open a socket to the script, exchange messages, close it.

``WebSocketTab`` is the view (path, headers, Connect / Close, the message list, a send box);
``WebSocketController`` validates what is typed and drives ``app.services.websocket_service``,
which runs everything on the runtime thread (the GUI thread does no network or JS work).
``install_websocket_tab(ide)`` adds the tab to the simulator and wires it up.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtGui import QFontDatabase
from PySide6.QtWidgets import (
    QCheckBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPlainTextEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from app.panels.simulator.forms import HttpForm, SimulatorInputError, to_http_request
from app.services.websocket_service import (SocketClosed, SocketMessage, SocketOpened, SocketRefused,
                                            WebSocketService)

MAX_SHOWN_BYTES = 64
"""A binary message is listed as its size and this many leading bytes in hex."""


@dataclass(frozen=True)
class SocketForm:
    """What the WebSocket tab holds: the path and extra header lines (``Name: value``)."""

    url: str = "/"
    headers: str = ""


def parse_header_lines(text: str) -> tuple[tuple[str, str], ...]:
    """``Name: value`` lines (blank lines skipped).

    Raises:
        SimulatorInputError: a line without a colon.
    """
    rows = []
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        name, colon, value = line.partition(":")
        if not colon:
            raise SimulatorInputError(f"header line {number} needs 'Name: value': {line.strip()!r}")
        rows.append((name.strip(), value.strip()))
    return tuple(rows)


def describe_payload(data: str | bytes) -> str:
    """A message as one list row: text as is, bytes as size and hex."""
    if isinstance(data, str):
        return data
    shown = data[:MAX_SHOWN_BYTES].hex(" ")
    return f"‹{len(data)} bytes› {shown}{' …' if len(data) > MAX_SHOWN_BYTES else ''}"


class WebSocketTab(QWidget):
    """Path + Connect/Close, optional headers, the messages both ways, and a send box."""

    sig_connect_requested = Signal(object)
    """SocketForm: Connect was clicked (or Enter in the path)."""
    sig_send_requested = Signal(object)
    """tuple[str, bool]: the send box's text and whether it is hex to send as bytes."""
    sig_close_requested = Signal()
    """Close was clicked."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        mono = QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont)
        self.url = QLineEdit("/", placeholderText="/path?query of the script's WebSocket route")
        self.url.setFont(mono)
        self.connect_button = QPushButton("Connect")
        self.connect_button.setObjectName("primaryButton")
        self.close_button = QPushButton("Close")
        self.headers = QPlainTextEdit()
        self.headers.setPlaceholderText("Extra headers, one per line (Name: value); the handshake headers are added")
        self.headers.setFont(mono)
        self.headers.setTabChangesFocus(True)
        self.headers.setMaximumHeight(56)
        self.status = QLabel("Not connected")
        self.status.setObjectName("socketStatus")
        self.status.setWordWrap(True)
        self.messages = QListWidget()
        self.messages.setFont(mono)
        self.messages.setWordWrap(True)
        self.message = QLineEdit(placeholderText="Message to send (Enter)")
        self.message.setFont(mono)
        self.binary = QCheckBox("hex → bytes")
        self.binary.setToolTip("Send the box as binary: hex digits, e.g. 01 02 ff")
        self.send_button = QPushButton("Send")
        self.clear_button = QPushButton("Clear list")
        self._layout()
        self.set_open(False)
        self.connect_button.clicked.connect(self._on_connect_clicked)
        self.url.returnPressed.connect(self._on_connect_clicked)
        self.close_button.clicked.connect(self.sig_close_requested)
        self.send_button.clicked.connect(self._on_send_clicked)
        self.message.returnPressed.connect(self._on_send_clicked)
        self.clear_button.clicked.connect(self.messages.clear)

    def _layout(self) -> None:
        line = QHBoxLayout()
        line.addWidget(QLabel("GET"))
        line.addWidget(self.url, 1)
        line.addWidget(self.connect_button)
        line.addWidget(self.close_button)
        state = QHBoxLayout()
        state.addWidget(self.status, 1)
        state.addWidget(self.clear_button)
        send = QHBoxLayout()
        send.addWidget(self.message, 1)
        send.addWidget(self.binary)
        send.addWidget(self.send_button)
        layout = QVBoxLayout(self)
        layout.addLayout(line)
        layout.addWidget(self.headers)
        layout.addLayout(state)
        layout.addWidget(self.messages, 1)
        layout.addLayout(send)

    def _on_connect_clicked(self) -> None:
        self.sig_connect_requested.emit(self.socket_form())

    def _on_send_clicked(self) -> None:
        self.sig_send_requested.emit((self.message.text(), self.binary.isChecked()))

    # -- view API ------------------------------------------------------------------------

    def socket_form(self) -> SocketForm:
        """The path and header lines as typed."""
        return SocketForm(self.url.text(), self.headers.toPlainText())

    def run(self) -> None:
        """The tab's primary action (Ctrl+R): Send while open and something is typed, else Connect."""
        if self.send_button.isEnabled() and self.message.text():
            self._on_send_clicked()
        else:
            self._on_connect_clicked()

    def set_open(self, is_open: bool) -> None:
        """Enable what makes sense while a socket is (not) open."""
        self.send_button.setEnabled(is_open)
        self.message.setEnabled(is_open)
        self.close_button.setEnabled(is_open)

    def set_status(self, text: str) -> None:
        """One line about the socket's state."""
        self.status.setText(text)
        self.status.setToolTip(text)

    def add_row(self, direction: str, text: str, at: float | None = None) -> None:
        """A row in the message list: ``→`` sent, ``←`` received, ``•`` open/close notes."""
        stamp = time.strftime("%H:%M:%S", time.localtime(at if at is not None else time.time()))
        item = QListWidgetItem(f"{stamp} {direction} {text}")
        item.setData(Qt.ItemDataRole.UserRole, (direction, text))
        item.setToolTip(text)
        self.messages.addItem(item)
        self.messages.scrollToBottom()

    def rows(self) -> list[tuple[str, str]]:
        """(direction, text) of every row, oldest first."""
        return [self.messages.item(i).data(Qt.ItemDataRole.UserRole) for i in range(self.messages.count())]

    def clear_message(self) -> None:
        """Empty the send box."""
        self.message.clear()


class WebSocketController(QObject):
    """Validates the tab's input and shows the socket's traffic."""

    def __init__(self, view: WebSocketTab, service: WebSocketService, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.view = view
        self.service = service
        self.session = 0
        self.open = False
        view.sig_connect_requested.connect(self.connect_socket)
        view.sig_send_requested.connect(self.send)
        view.sig_close_requested.connect(self.close)
        service.sig_opened.connect(self._on_opened)
        service.sig_refused.connect(self._on_refused)
        service.sig_message.connect(self._on_message)
        service.sig_closed.connect(self._on_closed)

    def connect_socket(self, form: SocketForm) -> bool:
        """Open a socket to the path in ``form``; False (and a message) if the input is wrong."""
        try:
            request = to_http_request(HttpForm("GET", form.url, parse_header_lines(form.headers)))
        except SimulatorInputError as exc:
            self.view.set_status(str(exc))
            return False
        session = self.service.connect_to(request)
        if not session:
            self.view.set_status("No project is open")
            return False
        self.session = session
        self.open = False
        self.view.set_open(False)
        self.view.set_status(f"Connecting to {request.url} …")
        return True

    def send(self, payload: tuple[str, bool]) -> bool:
        """Send the box's text (or, as bytes, its hex); False if nothing is open or the hex is bad."""
        text, as_bytes = payload
        if not self.open:
            self.view.set_status("Not connected: Connect first")
            return False
        data: str | bytes = text
        if as_bytes:
            try:
                data = bytes.fromhex(text)
            except ValueError:
                self.view.set_status(f"not hex digits: {text!r}")
                return False
        self.service.send(data)
        self.view.add_row("→", describe_payload(data))
        self.view.clear_message()
        return True

    def close(self) -> None:
        """Close the open socket (code 1000)."""
        if self.open:
            self.service.close(1000, "closed from the simulator")
            self.view.set_status("Closing …")

    def project_changed(self) -> None:
        """Another project (or none) is open: the socket is gone with the old runtime."""
        if self.open:
            self.service.close(1001, "the project was closed")
        self.open = False
        self.session = 0
        self.view.set_open(False)
        self.view.set_status("Not connected")

    # -- service signals -------------------------------------------------------------------

    def _on_opened(self, opened: SocketOpened) -> None:
        if opened.session != self.session:
            return
        self.open = True
        self.view.set_open(True)
        self.view.set_status(f"Open: {opened.url}")
        self.view.add_row("•", f"open {opened.url} (101 in {opened.result.duration_ms:.1f} ms)")

    def _on_refused(self, refused: SocketRefused) -> None:
        if refused.session not in (self.session, 0):
            return
        if refused.result is not None:
            self.open = False
            self.view.set_open(False)
        self.view.set_status(refused.message)

    def _on_message(self, message: SocketMessage) -> None:
        if message.session == self.session:
            self.view.add_row("←", describe_payload(message.data), message.time)

    def _on_closed(self, closed: SocketClosed) -> None:
        if closed.session != self.session:
            return
        self.open = False
        self.view.set_open(False)
        text = f"closed {closed.code}" + (f" {closed.reason}" if closed.reason else "")
        self.view.set_status(text[0].upper() + text[1:])
        self.view.add_row("•", text)


def install_websocket_tab(ide: Any) -> WebSocketController:
    """Add the WebSocket tab to the simulator, with its service; socket events' logs go to the Console."""
    service = WebSocketService(ide.services.runtime, ide.services.bridge, parent=ide.window)
    tab = WebSocketTab()
    ide.panels.simulator.tabs.addTab(tab, "WebSocket")
    controller = WebSocketController(tab, service, parent=ide.window)
    service.sig_invocation.connect(ide.controllers.console.add_invocation)
    ide.services.runtime.sig_project_opened.connect(lambda _opened: controller.project_changed())
    return controller
