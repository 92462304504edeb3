"""``RecordingsController``: list, replay and save recordings (runtime/replay), off the GUI thread.

Rows come from two places: the app's recordings on a server (``GET /api/apps/{app}/recordings``) and the
project's own ``recordings/*.isorec`` files (``isoplay run --record``, or saved here from a server). A
replay runs in a worker thread on a fresh event loop and isolate; its verdict (same response and logs, the
differences, or the divergence with its file:line) is shown in the panel. "Replay in debugger" hands the
loaded recording to whoever listens on ``sig_debug_requested``.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from concurrent.futures import Executor
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from PySide6.QtCore import QObject, Signal

from app.bridge import FutureBridge
from app.services.types import Failure
from runtime.errors import UserError
from runtime.publish_client import PublishClient, resolve_token

LOCAL_DIR = "recordings"
"""Where a project keeps its recordings (``<project>/recordings/*.isorec``)."""
NOT_KEPT = "not kept"
"""The source of a row the server's policy wanted and could not record (``summary["reason"]`` says why)."""

ClientFactory = Callable[[str], PublishClient]


@dataclass(frozen=True)
class RecordingRow:
    """One listed recording."""

    source: str
    """``server``, ``local``, or ``not kept`` (an invocation the server could not record: no recording)."""
    id: str
    summary: dict[str, Any]
    path: Path | None = None
    """The file of a local recording."""


class RecordingsView(Protocol):
    """What the controller needs from the panel."""

    def show_rows(self, rows: list[RecordingRow]) -> None:
        """Replace the rows."""

    def show_message(self, message: str) -> None:
        """A status line (a verdict, a saved path or an error)."""

    def set_busy(self, busy: bool) -> None:
        """Disable the buttons while a call runs."""


def default_client(server: str) -> PublishClient:
    """A client with the token from ``$ISOPLAY_TOKEN``, the keyring or the token file."""
    return PublishClient(server, resolve_token(server))


def local_rows(root: Path) -> list[RecordingRow]:
    """The project's recording files, newest first (unreadable ones listed with their error)."""
    from runtime.replay import Recording, RecordingFormatError

    rows = []
    for path in sorted((root / LOCAL_DIR).glob("*.isorec")):
        try:
            rec = Recording.from_jsonl(path.read_bytes())
        except (OSError, RecordingFormatError) as exc:
            rows.append(RecordingRow("local", path.stem, {"what": path.name, "outcome": "unreadable",
                                                          "error": str(exc), "started": 0.0}, path))
            continue
        rows.append(RecordingRow("local", rec.id, {**rec.summary(), "size": path.stat().st_size}, path))
    return sorted(rows, key=lambda r: -float(r.summary.get("started") or 0.0))


class RecordingsController(QObject):
    """Keeps the recordings list current and runs the panel's actions."""

    sig_loaded = Signal(object)
    """list[RecordingRow]: the list was (re)loaded."""
    sig_replayed = Signal(object)
    """runtime.replay.ReplayResult of the last replay."""
    sig_saved = Signal(object)
    """Path: a recording (or a test made from one) was written into the project."""
    sig_debug_requested = Signal(object)
    """(Recording, project root): replay this recording in the debugger."""

    def __init__(self, view: RecordingsView, *, bridge: FutureBridge, executor: Executor,
                 client_factory: ClientFactory = default_client, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.view = view
        self.bridge = bridge
        self.executor = executor
        self.client_factory = client_factory
        self.server: str | None = None
        self.app: str | None = None
        self.root: Path | None = None

    def show(self, root: Path | None, server: str | None = None, app: str | None = None) -> None:
        """Follow the project at ``root`` and, when given, ``app`` on ``server``; load the list."""
        self.root, self.server, self.app = root, server, app
        self.refresh()

    def refresh(self) -> None:
        """Reload the list."""
        self._run(self._list, self._loaded, "loading recordings")

    def replay(self, row: RecordingRow) -> None:
        """Replay a recording and show the verdict."""
        self._run(lambda: self._replay(row), self._replayed, f"replaying {row.id}")

    def save(self, row: RecordingRow) -> None:
        """Write a server recording into the project's recordings folder."""
        self._run(lambda: self._save(row), self._saved, f"saving {row.id}")

    def save_test(self, row: RecordingRow) -> None:
        """Write the recording as a test of the project (``isoplay test``)."""
        self._run(lambda: self._save_test(row), self._saved, f"saving {row.id} as a test")

    def debug(self, row: RecordingRow) -> None:
        """Load the recording and ask for a debugger replay of it."""
        self._run(lambda: self._load(row), lambda rec: self.sig_debug_requested.emit((rec, self.root)),
                  f"loading {row.id}")

    # ---- worker thread ------------------------------------------------------------
    def _run(self, work: Callable[[], Any], done: Callable[[Any], None], what: str) -> None:
        self.view.set_busy(True)
        self.bridge.watch(self.executor.submit(work), lambda value: self._finish(done, value), self._failed, what)

    def _list(self) -> list[RecordingRow]:
        rows = local_rows(self.root) if self.root is not None else []
        if self.server and self.app:
            with self.client_factory(self.server) as client:
                listing = client.recordings_listing(self.app)
            rows += [RecordingRow("server", str(item["id"]), item) for item in listing["recordings"]]
            # wanted by the policy but not recordable: listed with the reason (its tooltip), nothing to replay
            rows += [RecordingRow(NOT_KEPT, "", {**item, "outcome": NOT_KEPT, "error": item.get("reason")})
                     for item in listing["not_kept"]]
        return rows

    def _load(self, row: RecordingRow) -> Any:
        from runtime.replay import Recording

        if row.path is not None:
            return Recording.from_jsonl(row.path.read_bytes())
        with self.client_factory(self.server or "") as client:
            return Recording.from_jsonl(client.recording(self.app or "", row.id))

    def _replay(self, row: RecordingRow) -> Any:
        from app.commands.replay import choose_bundle
        from runtime.project import Project, is_project
        from runtime.replay import replay

        rec = self._load(row)
        project = Project.open(self.root) if self.root is not None and is_project(self.root) else None
        server_bundle = None
        if row.source == "server":
            with self.client_factory(self.server or "") as client:
                try:
                    server_bundle = client.recording_bundle(self.app or "", row.id)
                except Exception:  # the version may be gone: the local build may still match
                    server_bundle = None
        bundle, notes = choose_bundle(rec, project, server_bundle)
        outcome = asyncio.run(replay(rec, bundle, secrets=project.secrets() if project is not None else {}))
        outcome.warnings[:0] = notes
        return outcome

    def _save(self, row: RecordingRow) -> Path:
        if self.root is None:
            raise UserError("open a project to save recordings into")
        rec = self._load(row)
        out = self.root / LOCAL_DIR / f"{rec.id}.isorec"
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_bytes(rec.to_bytes())
        return out

    def _save_test(self, row: RecordingRow) -> Path:
        from runtime.project import Project, is_project
        from runtime.replay.as_test import test_source
        from runtime.replay.redact import Redactor

        if self.root is None or not is_project(self.root):
            raise UserError("open the app's project to save a test into")
        project = Project.open(self.root)
        rec = self._load(row)
        try:
            source = test_source(rec, Redactor(project.secrets(), dict(project.manifest().vars)))
        except ValueError as exc:
            raise UserError(str(exc)) from None
        out = project.root / "test" / f"recorded-{rec.id}.test.ts"
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(source, encoding="utf-8")
        return out

    # ---- GUI thread -----------------------------------------------------------------
    def _finish(self, done: Callable[[Any], None], value: Any) -> None:
        self.view.set_busy(False)
        done(value)

    def _loaded(self, rows: list[RecordingRow]) -> None:
        self.view.show_rows(rows)
        refused = [row for row in rows if row.source == NOT_KEPT]
        kept = len(rows) - len(refused)
        message = f"{kept} recording{'s' if kept != 1 else ''}"
        if refused:
            message += (f"; {len(refused)} invocation{'s' if len(refused) != 1 else ''} not kept "
                        f"(newest: {refused[0].summary.get('reason')})")
        self.view.show_message(message)
        self.sig_loaded.emit(rows)

    def _replayed(self, outcome: Any) -> None:
        diffs = outcome.differences()
        warn = "".join(f"warning: {w}\n" for w in outcome.warnings)
        if not diffs:
            self.view.show_message(warn + f"replay of {outcome.recording.id}: same response and logs as recorded")
        else:
            self.view.show_message(warn + "\n".join(diffs))
        self.sig_replayed.emit(outcome)

    def _saved(self, path: Path) -> None:
        self.view.show_message(f"wrote {path}")
        self.sig_saved.emit(path)
        self.refresh()

    def _failed(self, failure: Failure) -> None:
        error = failure.error
        self.view.show_message(str(error) if isinstance(error, UserError) else failure.message)
        self.view.set_busy(False)
