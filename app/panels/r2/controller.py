"""R2 browser controller: the project's R2 buckets, their objects, a preview, uploads and deletes.

Store calls run off the GUI thread on the panel's own connection to the project's R2 file
(``runtime.r2.store``); the object list follows scripts' writes as the KV and D1 browsers do.
"""

from __future__ import annotations

import mimetypes
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol, TypeVar

from PySide6.QtCore import QObject

from app.bridge import FutureBridge
from app.panels.kv.controller import render_value
from app.panels.scriptwrites import ScriptWrites, run_off_gui
from app.services.types import Failure
from runtime.loop import RuntimeThread
from runtime.r2.store import R2Error, R2Store
from runtime.service import ProjectRuntime

PREVIEW_BYTES = 64 * 1024
"""How much of an object the preview reads."""
LIST_LIMIT = 1000
REFRESH_INTERVAL_MS = 500
T = TypeVar("T")


@dataclass(frozen=True)
class ObjectRow:
    key: str
    size: int
    content_type: str
    uploaded: float
    """Epoch milliseconds."""


@dataclass(frozen=True)
class Preview:
    key: str
    text: str
    """The first PREVIEW_BYTES as text, JSON or a hex dump."""
    mode: str
    size: int
    details: str
    """Content type, etag, uploaded, custom metadata."""


class R2BrowserView(Protocol):
    def show_buckets(self, names: list[str], current: str) -> None: ...
    def show_objects(self, rows: list[ObjectRow], truncated: bool) -> None: ...
    def show_preview(self, preview: Preview | None) -> None: ...
    def show_status(self, text: str) -> None: ...


def list_objects(bucket: Any, prefix: str) -> tuple[list[ObjectRow], bool]:
    page = bucket.list(prefix=prefix, limit=LIST_LIMIT)
    rows = []
    for o in page["objects"]:
        rows.append(ObjectRow(o["key"], o["size"], o["httpMetadata"].get("contentType", ""), o["uploaded"]))
    return rows, bool(page["truncated"])


def preview(bucket: Any, key: str) -> Preview | None:
    import time

    found = bucket.get(key, range_=(0, PREVIEW_BYTES))
    if found is None:
        return None
    info, body, _range = found
    text, mode = render_value(body or b"")
    if info.size > PREVIEW_BYTES:
        text += f"\n… ({info.size - PREVIEW_BYTES} more bytes)"
    when = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(info.uploaded))
    details = (f"{info.http_metadata.get('contentType', 'no content type')} · {info.size} bytes · etag {info.etag} · "
               f"uploaded {when}" + (f" · {info.custom_metadata}" if info.custom_metadata else ""))
    return Preview(key, text, mode, info.size, details)


class R2BrowserController(QObject):
    """Owns the browser's state: buckets, the current one, the prefix, the selected key."""

    def __init__(self, view: R2BrowserView, thread: RuntimeThread, bridge: FutureBridge,
                 on_failure: Callable[[Failure], None], parent: QObject | None = None, *,
                 refresh_interval_ms: int = REFRESH_INTERVAL_MS) -> None:
        super().__init__(parent)
        self.view = view
        self._thread, self._bridge, self._on_failure = thread, bridge, on_failure
        self.store: R2Store | None = None
        self.current = ""
        self.prefix = ""
        self.selected: str | None = None
        self._note = ""
        """What the last upload or delete did, shown before the count once the list is reloaded."""
        self._writes = ScriptWrites(self.refresh, refresh_interval_ms, self)

    def _run(self, fn: Callable[[], T], done: Callable[[T], None], context: str) -> None:
        run_off_gui(self._thread, self._bridge, fn, done, self._on_error, context)

    def _on_error(self, failure: Failure) -> None:
        if isinstance(failure.error, (R2Error, OSError)):
            self.view.show_status(f"✗ {failure.context}: {failure.error}")
        else:
            self._on_failure(failure)

    def attach(self, runtime: ProjectRuntime | None) -> None:
        """Browse ``runtime``'s R2 buckets (None: nothing)."""
        self._writes.follow(runtime)
        if self.store is not None:
            self.store.close()
        self.store = None
        names: list[str] = []
        if runtime is not None and runtime.bundle is not None:
            buckets = {b.binding: b.bucket_name for b in runtime.bundle.manifest.r2_buckets}
            if buckets:
                self.store = R2Store(runtime.project.r2_path, buckets)
                names = sorted(buckets)
        if self.current not in names:
            self.current = names[0] if names else ""
        self.selected = None
        self.view.show_buckets(names, self.current)
        self.view.show_preview(None)
        if not names:
            self.view.show_objects([], False)
            self.view.show_status("no [[r2_buckets]] in this project" if runtime is not None else "")
            return
        self.refresh()

    def _bucket(self) -> Any:
        return self.store.bucket(self.current) if self.store is not None and self.current else None

    def set_bucket(self, binding: str) -> None:
        if binding != self.current and self.store is not None and binding in self.store.buckets:
            self.current, self.selected = binding, None
            self.view.show_preview(None)
            self.refresh()

    def set_prefix(self, prefix: str) -> None:
        self.prefix = prefix
        self.refresh()

    def refresh(self) -> None:
        """Reload the object list of the current bucket (and the selected object's preview)."""
        bucket, prefix = self._bucket(), self.prefix
        if bucket is None:
            return
        self._run(lambda: list_objects(bucket, prefix), self._on_list, f"listing {self.current}")

    def _on_list(self, found: tuple[list[ObjectRow], bool]) -> None:
        rows, truncated = found
        self.view.show_objects(rows, truncated)
        count = f"{len(rows)}{'+' if truncated else ''} object{'s' if len(rows) != 1 else ''}"
        note, self._note = self._note, ""
        self.view.show_status((f"✓ {note} · " if note else "") + f"{count} in {self.current}"
                              + (f" under {self.prefix!r}" if self.prefix else ""))
        if self.selected is not None:
            self.select(self.selected)

    def select(self, key: str | None) -> None:
        """Preview ``key`` (None: clear the preview)."""
        self.selected = key
        bucket = self._bucket()
        if key is None or bucket is None:
            self.view.show_preview(None)
            return
        self._run(lambda: preview(bucket, key), self._on_preview, f"reading {key}")

    def _on_preview(self, shown: Preview | None) -> None:
        if shown is None or shown.key == self.selected:
            self.view.show_preview(shown)

    def upload(self, path: Path, key: str = "") -> None:
        """Store the file at ``path`` as ``key`` (default: the prefix plus the file's name)."""
        bucket = self._bucket()
        if bucket is None:
            return
        key = key or self.prefix + path.name
        content_type = mimetypes.guess_type(path.name)[0] or "application/octet-stream"

        def put() -> Any:
            return bucket.put(key, path.read_bytes(), http_metadata={"contentType": content_type}, custom_metadata={})

        self.selected = key
        self._run(put, lambda info: self._after_write(f"uploaded {key} ({info.size} bytes)"), f"uploading {path.name}")

    def download(self, key: str, path: Path) -> None:
        """Write the object ``key`` to ``path``."""
        bucket = self._bucket()
        if bucket is None:
            return

        def get() -> int:
            found = bucket.get(key)
            if found is None:
                raise R2Error(f"{key} is gone")
            body = found[1] or b""
            path.write_bytes(body)
            return len(body)

        self._run(get, lambda size: self.view.show_status(f"saved {key} to {path} ({size} bytes)"), f"saving {key}")

    def delete(self, key: str) -> None:
        bucket = self._bucket()
        if bucket is None:
            return
        if self.selected == key:
            self.selected = None
            self.view.show_preview(None)
        self._run(lambda: bucket.delete([key]), lambda _r: self._after_write(f"deleted {key}"), f"deleting {key}")

    def _after_write(self, status: str) -> None:
        self._note = status
        self.refresh()

    def close(self) -> None:
        self._writes.close()
        self.attach(None)
