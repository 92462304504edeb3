"""The simulator's ``request.cf`` editor: the local object a request gets, as JSON, editable per request.

It shows what the script will read in ``request.cf`` (runtime/webapi/cf.py: the same table the
prelude uses, prefilled), and the request carries only the top-level fields that were changed
(``cf_overrides``), so saved requests stay small and follow the defaults they did not change.
"""

from __future__ import annotations

import json
from typing import Any

from PySide6.QtGui import QFontDatabase
from PySide6.QtWidgets import QHBoxLayout, QLabel, QPlainTextEdit, QPushButton, QVBoxLayout, QWidget

from runtime.webapi.cf import LOCAL_CF, local_cf, overrides


def cf_overrides(text: str) -> str:
    """The editor's text as the form's ``cf``: JSON of the fields that differ from the defaults ('' when
    none do), or the text itself when it is not a JSON object (sending it then names the mistake)."""
    try:
        edited = json.loads(text) if text.strip() else dict(LOCAL_CF)
    except json.JSONDecodeError:
        return text
    if not isinstance(edited, dict):
        return text
    changed = overrides(edited)
    return json.dumps(changed, ensure_ascii=False) if changed else ""


def cf_text(cf: str) -> str:
    """What the editor shows for a form's ``cf``: the whole object, defaults plus overrides."""
    try:
        extra: Any = json.loads(cf) if cf.strip() else {}
    except json.JSONDecodeError:
        return cf
    if not isinstance(extra, dict):
        return cf
    return json.dumps(local_cf(extra), indent=2, ensure_ascii=False)


class CfEditor(QWidget):
    """JSON of ``request.cf`` with a reset to the local defaults."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.text = QPlainTextEdit()
        self.text.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
        self.text.setTabChangesFocus(True)
        self.reset = QPushButton("Reset to local defaults")
        self.note = QLabel("request.cf as the script sees it; changed fields are sent with the request")
        self.note.setWordWrap(True)
        row = QHBoxLayout()
        row.addWidget(self.note, 1)
        row.addWidget(self.reset)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 4, 0, 0)
        layout.addLayout(row)
        layout.addWidget(self.text, 1)
        self.reset.clicked.connect(lambda: self.set_cf(""))
        self.set_cf("")

    def cf(self) -> str:
        """The changed fields as JSON ('' for none)."""
        return cf_overrides(self.text.toPlainText())

    def set_cf(self, cf: str) -> None:
        """Show the defaults with ``cf`` (a form's overrides) over them."""
        self.text.setPlainText(cf_text(cf))
