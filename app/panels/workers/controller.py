"""``DependencyInstaller``: ``npm install`` in the project folder, as a child process (never on the GUI thread).

The process is the npm that ships with isoplay, run with its own node (``app.commands.npm``).
Its output arrives line by line through ``sig_output``; ``sig_finished`` carries the exit
code (or -1 when it could not start or was cancelled).
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QObject, QProcess, QProcessEnvironment, Signal

INSTALL_ARGS = ("install", "--no-audit", "--no-fund", "--color=false")


class DependencyInstaller(QObject):
    """Runs one ``npm install`` at a time."""

    sig_output = Signal(str)
    """One line of npm's output (stdout and stderr merged)."""
    sig_finished = Signal(int)
    """npm's exit code; -1 when it could not start or was cancelled."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._process: QProcess | None = None
        self._partial = b""
        self._cancelled = False

    @property
    def running(self) -> bool:
        """Whether an install is under way."""
        return self._process is not None

    def start(self, root: Path, argv: list[str], env: dict[str, str]) -> None:
        """Start ``argv`` + install arguments in ``root`` (``argv``/``env`` from ``app.commands.npm.command``)."""
        if self._process is not None:
            return
        process = QProcess(self)
        process.setWorkingDirectory(str(root))
        process.setProcessChannelMode(QProcess.ProcessChannelMode.MergedChannels)
        environment = QProcessEnvironment()
        for key, value in env.items():
            environment.insert(key, value)
        process.setProcessEnvironment(environment)
        process.readyReadStandardOutput.connect(self._on_output)
        process.finished.connect(self._on_finished)
        process.errorOccurred.connect(self._on_error)
        self._process, self._partial, self._cancelled = process, b"", False
        process.start(argv[0], [*argv[1:], *INSTALL_ARGS])

    def cancel(self) -> None:
        """Stop a running install (its exit is reported as -1)."""
        if self._process is not None:
            self._cancelled = True
            self._process.kill()

    def _on_output(self) -> None:
        if self._process is None:
            return
        data = self._partial + bytes(self._process.readAllStandardOutput().data())
        *lines, self._partial = data.split(b"\n")
        for line in lines:
            text = line.decode("utf-8", "replace").rstrip("\r")
            if text.strip():
                self.sig_output.emit(text)

    def _on_finished(self, code: int, _status: QProcess.ExitStatus) -> None:
        self._on_output()
        if self._partial.strip():
            self.sig_output.emit(self._partial.decode("utf-8", "replace"))
        self._done(-1 if self._cancelled else code)

    def _on_error(self, error: QProcess.ProcessError) -> None:
        if error == QProcess.ProcessError.FailedToStart:
            self.sig_output.emit(f"npm could not start: {self._process.errorString() if self._process else error}")
            self._done(-1)

    def _done(self, code: int) -> None:
        process, self._process = self._process, None
        if process is not None:
            process.deleteLater()
            self.sig_finished.emit(code)
