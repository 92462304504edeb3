"""``SimulatorWidget``: the request simulator (HTTP, Cron, Event, One-off tabs). Layout and signals only."""

from __future__ import annotations

import time

from PySide6.QtCore import QDateTime, Qt, Signal
from PySide6.QtGui import QFontDatabase, QGuiApplication
from app.layout import ElidingLabel
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QDateTimeEdit,
    QFormLayout,
    QHBoxLayout,
    QHeaderView,
    QInputDialog,
    QLabel,
    QLineEdit,
    QMenu,
    QPlainTextEdit,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QTabWidget,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from app.panels.simulator.cf_editor import CfEditor
from app.panels.simulator.controller import FormSubmitted, TextSubmitted
from app.panels.simulator.forms import CONTENT_TYPES, METHODS, CronForm, EventForm, HttpForm, RunForm, SimulatorForm

HEADER_ROWS = 4


def _mono() -> object:
    return QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont)


def _text_edit(placeholder: str, text: str = "") -> QPlainTextEdit:
    edit = QPlainTextEdit(text)
    edit.setPlaceholderText(placeholder)
    edit.setFont(_mono())
    edit.setTabChangesFocus(True)
    return edit


class _HttpTab(QWidget):
    """Method + URL + Send, history/saved, headers table, body editor."""

    def __init__(self) -> None:
        super().__init__()
        self.method = QComboBox()
        self.method.addItems(METHODS)
        self.method.setEditable(True)
        self.url = QLineEdit("/", placeholderText="/path?query  or  https://host/path")
        self.url.setFont(_mono())
        self.send = QPushButton("Send")
        self.send.setObjectName("primaryButton")
        self.send.setToolTip("Send the request (Ctrl+R)")
        self.history = QComboBox()
        self.history.setPlaceholderText("History")
        self.saved = QComboBox()
        self.saved.setPlaceholderText("Saved requests")
        self.save = QToolButton(text="Save")
        self.more = QToolButton(text="⋯")
        self.more.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        self.headers = self._create_headers()
        self.content_type = QComboBox()
        self.content_type.setEditable(True)
        for value in CONTENT_TYPES:
            self.content_type.addItem(value or "(no body type)", value)
        self.body = _text_edit('{"hello": "world"}')
        self.cf = CfEditor()
        self._create_layout()

    def _create_headers(self) -> QTableWidget:
        table = QTableWidget(HEADER_ROWS, 2)
        table.setHorizontalHeaderLabels(["Header", "Value"])
        table.horizontalHeader().setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        table.verticalHeader().setVisible(False)
        table.setEditTriggers(QAbstractItemView.EditTrigger.AllEditTriggers)
        table.itemChanged.connect(lambda _i: self._grow_headers())
        return table

    def _grow_headers(self) -> None:
        last = self.headers.rowCount() - 1
        item = self.headers.item(last, 0)
        if item is not None and item.text().strip():
            self.headers.insertRow(last + 1)

    def _create_layout(self) -> None:
        line = QHBoxLayout()
        line.addWidget(self.method)
        line.addWidget(self.url, 1)
        line.addWidget(self.send)
        picks = QHBoxLayout()
        picks.addWidget(self.history, 1)
        picks.addWidget(self.saved, 1)
        picks.addWidget(self.save)
        picks.addWidget(self.more)
        body = QWidget()
        body_layout = QVBoxLayout(body)
        body_layout.setContentsMargins(0, 4, 0, 0)
        type_row = QHBoxLayout()
        type_row.addWidget(QLabel("Content-Type"))
        type_row.addWidget(self.content_type, 1)
        body_layout.addLayout(type_row)
        body_layout.addWidget(self.body, 1)
        parts = QTabWidget()
        parts.addTab(self.headers, "Headers")
        parts.addTab(body, "Body")
        parts.addTab(self.cf, "cf")
        parts.setTabToolTip(2, "request.cf: where the request seems to come from (colo, country, asn, TLS, bot score)")
        self.parts = parts
        layout = QVBoxLayout(self)
        layout.addLayout(line)
        layout.addLayout(picks)
        layout.addWidget(parts, 1)

    def form(self) -> HttpForm:
        """The form as typed."""
        rows = []
        for row in range(self.headers.rowCount()):
            name, value = self.headers.item(row, 0), self.headers.item(row, 1)
            pair = (name.text() if name else "", value.text() if value else "")
            if pair[0].strip() or pair[1].strip():
                rows.append(pair)
        content_type = self.content_type.currentData() if self.content_type.currentIndex() >= 0 and \
            self.content_type.currentText() == self.content_type.itemText(self.content_type.currentIndex()) \
            else self.content_type.currentText()
        return HttpForm(self.method.currentText().strip().upper(), self.url.text(), tuple(rows),
                        self.body.toPlainText(), content_type or "", cf=self.cf.cf())

    def set_form(self, form: HttpForm) -> None:
        """Fill every field from ``form``."""
        self.method.setCurrentText(form.method)
        self.url.setText(form.url)
        self.headers.clearContents()
        self.headers.setRowCount(max(HEADER_ROWS, len(form.headers) + 1))
        for row, (name, value) in enumerate(form.headers):
            self.headers.setItem(row, 0, QTableWidgetItem(name))
            self.headers.setItem(row, 1, QTableWidgetItem(value))
        index = self.content_type.findData(form.content_type)
        if index >= 0:
            self.content_type.setCurrentIndex(index)
        else:
            self.content_type.setCurrentText(form.content_type)
        self.body.setPlainText(form.body)
        self.cf.set_cf(form.cf)


class _CronTab(QWidget):
    def __init__(self) -> None:
        super().__init__()
        self.schedule = QComboBox()
        self.schedule.setEditable(True)
        self.schedule.setCurrentText("*/5 * * * *")
        self.schedule.lineEdit().setFont(_mono())
        self.when = QDateTimeEdit(QDateTime.currentDateTime())
        self.when.setCalendarPopup(True)
        self.when.setDisplayFormat("yyyy-MM-dd HH:mm:ss")
        self.now = QToolButton(text="Now")
        self.now.clicked.connect(lambda: self.when.setDateTime(QDateTime.currentDateTime()))
        self.fire = QPushButton("Fire")
        self.fire.setObjectName("primaryButton")
        when_row = QHBoxLayout()
        when_row.addWidget(self.when, 1)
        when_row.addWidget(self.now)
        form = QFormLayout(self)
        form.addRow("Schedule", self.schedule)
        form.addRow("Scheduled time", when_row)
        form.addRow("", self.fire)

    def form(self) -> CronForm:
        return CronForm(self.schedule.currentText(), self.when.dateTime().toMSecsSinceEpoch() / 1000)


class _EventTab(QWidget):
    def __init__(self) -> None:
        super().__init__()
        self.name = QLineEdit(placeholderText="user.signup")
        self.payload = _text_edit('{"id": 1}', '{\n  "id": 1\n}')
        self.send = QPushButton("Send event")
        self.send.setObjectName("primaryButton")
        layout = QFormLayout(self)
        layout.addRow("Name", self.name)
        layout.addRow("Payload (JSON)", self.payload)
        layout.addRow("", self.send)

    def form(self) -> EventForm:
        return EventForm(self.name.text(), self.payload.toPlainText())


class _RunTab(QWidget):
    def __init__(self) -> None:
        super().__init__()
        self.input = _text_edit("null", "{}")
        self.run_button = QPushButton("Run")
        self.run_button.setObjectName("primaryButton")
        layout = QFormLayout(self)
        layout.addRow("Input (JSON)", self.input)
        layout.addRow("", self.run_button)

    def form(self) -> RunForm:
        return RunForm(self.input.toPlainText())


class SimulatorWidget(QWidget):
    """Tabs for each trigger kind; emits intents, shows what the controller tells it."""

    sig_send_requested = Signal(object)
    """FormSubmitted: Send / Fire / Run was clicked on a tab."""
    sig_save_requested = Signal(object)
    """FormSubmitted: Save was clicked on the HTTP tab."""
    sig_curl_copy_requested = Signal(object)
    """FormSubmitted: Copy as curl was chosen."""
    sig_curl_imported = Signal(object)
    """TextSubmitted: a curl command was pasted into Import from curl."""
    sig_saved_chosen = Signal(object)
    """TextSubmitted: a saved request (by name) was picked."""
    sig_saved_deleted = Signal(object)
    """TextSubmitted: Delete saved request (by name)."""
    sig_history_chosen = Signal(int)
    """int: index of the picked history entry (0 = newest)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.http_tab, self.cron_tab, self.event_tab, self.run_tab = _HttpTab(), _CronTab(), _EventTab(), _RunTab()
        self.tabs = QTabWidget()
        for tab, title in ((self.http_tab, "HTTP"), (self.cron_tab, "Cron"), (self.event_tab, "Event"), (self.run_tab, "One-off")):
            self.tabs.addTab(tab, title)
        self.error = ElidingLabel()  # a long input error is cut, never widens the dock (full text on hover)
        self.error.setObjectName("inputError")
        self.error.hide()
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.tabs, 1)
        layout.addWidget(self.error)
        self._create_menu()
        self._connect()

    def _create_menu(self) -> None:
        menu = QMenu(self)
        menu.addAction("Copy as curl", lambda: self.sig_curl_copy_requested.emit(FormSubmitted(self.http_tab.form())))
        menu.addAction("Import from curl…", self._on_import_clicked)
        menu.addSeparator()
        menu.addAction("Delete saved request", self._on_delete_saved_clicked)
        self.http_tab.more.setMenu(menu)

    def _connect(self) -> None:
        self.http_tab.send.clicked.connect(lambda: self.sig_send_requested.emit(FormSubmitted(self.http_tab.form())))
        self.http_tab.url.returnPressed.connect(self.http_tab.send.click)
        self.http_tab.save.clicked.connect(lambda: self.sig_save_requested.emit(FormSubmitted(self.http_tab.form())))
        self.http_tab.history.activated.connect(self.sig_history_chosen)
        self.http_tab.saved.activated.connect(lambda i: self.sig_saved_chosen.emit(TextSubmitted(self.http_tab.saved.itemText(i))))
        self.cron_tab.fire.clicked.connect(lambda: self.sig_send_requested.emit(FormSubmitted(self.cron_tab.form())))
        self.event_tab.send.clicked.connect(lambda: self.sig_send_requested.emit(FormSubmitted(self.event_tab.form())))
        self.run_tab.run_button.clicked.connect(lambda: self.sig_send_requested.emit(FormSubmitted(self.run_tab.form())))

    def _on_import_clicked(self) -> None:
        text, ok = QInputDialog.getMultiLineText(self, "Import from curl", "Paste a curl command:")
        if ok and text.strip():
            self.sig_curl_imported.emit(TextSubmitted(text))

    def _on_delete_saved_clicked(self) -> None:
        if self.http_tab.saved.currentIndex() >= 0:
            self.sig_saved_deleted.emit(TextSubmitted(self.http_tab.saved.currentText()))

    # -- view API used by the controller --------------------------------------------------

    def current_form(self) -> SimulatorForm | None:
        """The form of the visible tab; None for a tab that is no trigger form (the WebSocket tab),
        which is asked to run its own primary action instead (Ctrl+R there connects or sends)."""
        tab = self.tabs.currentWidget()
        form = getattr(tab, "form", None)
        if form is None:
            run = getattr(tab, "run", None)
            if run is not None:
                run()
            return None
        return form()  # type: ignore[no-any-return]

    def set_http_form(self, form: HttpForm) -> None:
        """Fill the HTTP tab and show it."""
        self.http_tab.set_form(form)
        self.tabs.setCurrentWidget(self.http_tab)

    def set_history(self, titles: list[str]) -> None:
        """Replace the history list."""
        self.http_tab.history.clear()
        self.http_tab.history.addItems(titles)
        self.http_tab.history.setCurrentIndex(-1)

    def set_saved(self, names: list[str]) -> None:
        """Replace the saved-requests list."""
        self.http_tab.saved.clear()
        self.http_tab.saved.addItems(names)
        self.http_tab.saved.setCurrentIndex(-1)

    def set_cron_schedules(self, crons: tuple[str, ...]) -> None:
        """Offer the manifest's schedules (a custom one can still be typed)."""
        current = self.cron_tab.schedule.currentText()
        self.cron_tab.schedule.clear()
        self.cron_tab.schedule.addItems(list(crons))
        self.cron_tab.schedule.setCurrentText(crons[0] if crons else current)

    def show_input_error(self, message: str) -> None:
        """Show (or clear, with '') the validation message."""
        self.error.setText(message)
        self.error.setVisible(bool(message))

    def copy_to_clipboard(self, text: str) -> None:
        """Put ``text`` on the clipboard."""
        QGuiApplication.clipboard().setText(text)

    def ask_request_name(self, default: str) -> str | None:
        """Ask a name to save the request under."""
        text, ok = QInputDialog.getText(self, "Save request", "Name:", QLineEdit.EchoMode.Normal, default)
        return text if ok else None

    def show_kind(self, kind: str) -> None:
        """Show the tab for ``http``, ``cron``, ``event`` or ``run``."""
        self.tabs.setCurrentIndex(("http", "cron", "event", "run").index(kind))


if __name__ == "__main__":
    from PySide6.QtWidgets import QApplication

    app = QApplication([])
    demo = SimulatorWidget()
    demo.sig_send_requested.connect(lambda s: print(s, time.time()))
    demo.resize(420, 520)
    demo.show()
    app.exec()
