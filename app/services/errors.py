"""``ErrorReporter``: the one place system errors go (logged with traceback, then a dialog).

User errors (``runtime.errors.UserError``: bad TypeScript, a thrown exception,
a file that cannot be renamed) are shown by the panel that caused them. Faults
of isoplay itself reach ``sig_error_reported``, which the composition root
connects to ``MainWindow.show_error``.
"""

from __future__ import annotations

import logging
import traceback
from dataclasses import dataclass

from PySide6.QtCore import QObject, Signal

from app.services.types import Failure
from runtime.errors import UserError

log = logging.getLogger("isoplay.app")


@dataclass(frozen=True)
class ErrorReport:
    """Payload of ``ErrorReporter.sig_error_reported``."""

    title: str
    """Short title for the dialog."""
    message: str
    """One-paragraph explanation."""
    detail: str
    """The formatted traceback (shown under "Show Details")."""
    user_error: bool
    """True when the user can fix it (then no traceback is meaningful)."""


class ErrorReporter(QObject):
    """Logs failures and emits them as ``sig_error_reported``."""

    sig_error_reported = Signal(object)
    """ErrorReport: an operation failed; show it to the user."""

    def report(self, failure: Failure) -> None:
        """Log ``failure`` (with traceback for system errors) and emit it."""
        error = failure.error
        user = isinstance(error, (UserError, OSError))
        if user:
            log.info("%s", failure.message)
        else:
            log.error("%s", failure.context, exc_info=error)
        detail = "" if user else "".join(traceback.format_exception(error))
        title = "Cannot complete the operation" if user else "Internal error"
        self.sig_error_reported.emit(ErrorReport(title, failure.message, detail, user))
