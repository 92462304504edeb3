"""KV browser controller: namespaces, paged keys, values, edits, import/export.

Every store call runs off the GUI thread (``asyncio.to_thread`` on the runtime
loop; the store keeps one SQLite connection per thread) and comes back through
the ``FutureBridge``. Scripts' writes are noticed through the runtime's
metrics batches: the batch callback (runtime thread) only sets a flag, and a
GUI timer refreshes the visible page when it is set.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol, TypeVar

from PySide6.QtCore import QObject

from app.bridge import FutureBridge
from app.panels.scriptwrites import ScriptWrites, run_off_gui
from app.services.types import Failure
from runtime.errors import UserError
from runtime.kv.models import KVEntry, KVKey, KVListResult
from runtime.kv.store import KVStore
from runtime.kv.transfer import export_namespace, import_namespace
from runtime.loop import RuntimeThread
from runtime.service import ProjectRuntime

PAGE_SIZE = 50
REFRESH_INTERVAL_MS = 500
MODES = ("auto", "text", "json", "hex")
T = TypeVar("T")


@dataclass(frozen=True)
class KeyPage:
    """One page of keys as the browser shows it."""

    namespace: str
    prefix: str
    keys: tuple[KVKey, ...]
    page: int
    """0-based page number."""
    has_more: bool


@dataclass(frozen=True)
class ValueShown:
    """A value rendered for the value view."""

    namespace: str
    key: str
    text: str
    mode: str
    """The mode actually used: text, json or hex."""
    size: int
    expiration: int | None
    metadata: str
    """The metadata as JSON text ('' if none)."""


@dataclass(frozen=True)
class KVEdit:
    """A put from the browser's editor (payload of ``KVBrowserWidget.sig_put_requested``)."""

    key: str
    value: str
    metadata: str = ""
    """JSON text, or '' for none."""
    expiration_ttl: int = 0
    """Seconds to live (0: no expiry)."""


def render_value(data: bytes, mode: str = "auto") -> tuple[str, str]:
    """``(text, mode used)`` for ``data`` shown as text, pretty JSON or a hex dump.

    ``auto`` picks JSON if it parses, else text if it is UTF-8, else hex; a
    value that is not what the asked mode needs falls back to hex (or text).
    """
    if mode in ("auto", "json"):
        try:
            return json.dumps(json.loads(data), indent=2, ensure_ascii=False), "json"
        except (UnicodeDecodeError, json.JSONDecodeError):
            if mode == "json":
                mode = "auto"
    if mode in ("auto", "text"):
        try:
            return data.decode("utf-8"), "text"
        except UnicodeDecodeError:
            pass
    return hex_dump(data), "hex"


def hex_dump(data: bytes, width: int = 16) -> str:
    """Offset, hex bytes and printable ASCII, ``width`` bytes a line."""
    lines = []
    for offset in range(0, len(data), width):
        chunk = data[offset:offset + width]
        ascii_ = "".join(chr(b) if 32 <= b < 127 else "." for b in chunk)
        lines.append(f"{offset:08x}  {chunk.hex(' '):<{width * 3}} {ascii_}")
    return "\n".join(lines)


class KVBrowserView(Protocol):
    """What the controller needs from the KV browser widget."""

    def show_namespaces(self, names: list[str], current: str) -> None:
        """Fill the namespace chooser."""
        ...

    def show_keys(self, page: KeyPage) -> None:
        """Show one page of keys."""
        ...

    def show_value(self, value: ValueShown | None) -> None:
        """Show a value (None: nothing selected)."""
        ...

    def show_status(self, text: str) -> None:
        """One line of status."""
        ...


class KVBrowserController(QObject):
    """Owns the browser's state: namespace, prefix, page cursors, selected key."""

    def __init__(self, view: KVBrowserView, thread: RuntimeThread, bridge: FutureBridge,
                 on_failure: Callable[[Failure], None], parent: QObject | None = None, *,
                 page_size: int = PAGE_SIZE, refresh_interval_ms: int = REFRESH_INTERVAL_MS) -> None:
        super().__init__(parent)
        self.view = view
        self._thread, self._bridge, self._on_failure = thread, bridge, on_failure
        self.page_size = page_size
        self.store: KVStore | None = None
        self.bindings: tuple[str, ...] = ()
        self.namespace = ""
        self.prefix = ""
        self.mode = "auto"
        self.selected: str | None = None
        self.page: KeyPage | None = None
        self._cursors: list[str | None] = [None]
        """Cursor that starts each page seen so far (page 0 starts at None)."""
        self._next_cursor: str | None = None
        self._writes = ScriptWrites(self.on_scripts_ran, refresh_interval_ms, self)

    # -- plumbing ------------------------------------------------------------------
    def _run(self, fn: Callable[[], T], done: Callable[[T], None], context: str) -> None:
        run_off_gui(self._thread, self._bridge, fn, done, self._on_error, context)

    def _on_error(self, failure: Failure) -> None:
        """User errors (a KV limit, a bad import file) go to the status line; the rest are reported."""
        if isinstance(failure.error, UserError):
            self.view.show_status(f"{failure.context}: {failure.error}")
        else:
            self._on_failure(failure)

    def attach(self, runtime: ProjectRuntime | None) -> None:
        """Browse ``runtime``'s KV store (None: nothing)."""
        self._writes.follow(runtime)
        self.store = runtime.kv if runtime is not None else None
        self.bindings = ()
        if runtime is not None and runtime.bundle is not None:
            self.bindings = tuple(kv.binding for kv in runtime.bundle.manifest.kv_namespaces)
        self.refresh_namespaces()

    def on_scripts_ran(self) -> None:
        """Refresh the page: scripts ran since the last refresh."""
        if self.store is not None:
            self.refresh_namespaces(keep_page=True)

    # -- namespaces and keys -------------------------------------------------------------
    def refresh_namespaces(self, keep_page: bool = False) -> None:
        """Reload the namespace list (the manifest's bindings and any with keys), then the keys."""
        store = self.store
        if store is None:
            self.view.show_namespaces([], "")
            return
        bindings = self.bindings
        self._run(lambda: sorted(set(bindings) | set(store.namespaces())),
                  lambda names: self._on_namespaces(names, keep_page), "listing KV namespaces")

    def _on_namespaces(self, names: list[str], keep_page: bool) -> None:
        if self.namespace not in names:
            self.namespace, keep_page = (names[0] if names else ""), False
        self.view.show_namespaces(names, self.namespace)
        self.load_page(len(self._cursors) - 1 if keep_page else 0)

    def set_namespace(self, name: str) -> None:
        """Browse another namespace from its first page."""
        if name and name != self.namespace:
            self.namespace, self.selected = name, None
            self.load_page(0)

    def set_prefix(self, prefix: str) -> None:
        """Only keys starting with ``prefix``, from the first page."""
        self.prefix = prefix
        self.load_page(0)

    def load_page(self, index: int) -> None:
        """Show page ``index`` (pages before it must have been seen)."""
        if self.store is None or not self.namespace:
            return
        if index == 0:
            self._cursors = [None]
        store, ns, prefix, cursor = self.store, self.namespace, self.prefix, self._cursors[index]
        self._run(lambda: store.list(ns, prefix=prefix, limit=self.page_size, cursor=cursor),
                  lambda result: self._on_page(ns, prefix, index, result), f"listing keys of {ns}")

    def _on_page(self, namespace: str, prefix: str, index: int, result: KVListResult) -> None:
        del self._cursors[index + 1:]
        self._next_cursor = result.cursor
        self.page = KeyPage(namespace, prefix, result.keys, index, not result.list_complete)
        self.view.show_keys(self.page)
        if self.selected is not None:
            self.select(self.selected)

    def next_page(self) -> None:
        """The page after the current one, if any."""
        if self.page is not None and self.page.has_more:
            self._cursors.append(self._next_cursor)
            self.load_page(self.page.page + 1)

    def previous_page(self) -> None:
        """The page before the current one, if any."""
        if self.page is not None and self.page.page > 0:
            self.load_page(self.page.page - 1)

    # -- values ----------------------------------------------------------------------
    def select(self, key: str | None) -> None:
        """Show ``key``'s value (None: clear the value view)."""
        self.selected = key
        store, ns = self.store, self.namespace
        if key is None or store is None:
            self.view.show_value(None)
            return
        self._run(lambda: store.get(ns, key), lambda entry: self._on_value(ns, key, entry), f"reading {key}")

    def _on_value(self, namespace: str, key: str, entry: KVEntry | None) -> None:
        if key != self.selected:
            return  # another key was picked meanwhile
        if entry is None:
            self.view.show_value(None)
            return
        text, used = render_value(entry.value, self.mode)
        metadata = "" if entry.metadata is None else json.dumps(entry.metadata)
        self.view.show_value(ValueShown(namespace, key, text, used, len(entry.value), entry.expiration, metadata))

    def set_mode(self, mode: str) -> None:
        """Render values as auto, text, json or hex."""
        self.mode = mode
        self.select(self.selected)

    # -- edits -----------------------------------------------------------------------
    def put(self, edit: KVEdit) -> None:
        """Write ``edit`` into the current namespace (KV limits apply)."""
        store, ns = self.store, self.namespace
        if store is None or not ns:
            return
        try:
            metadata: Any = json.loads(edit.metadata) if edit.metadata.strip() else None
        except json.JSONDecodeError as exc:
            self.view.show_status(f"metadata is not valid JSON: {exc.msg}")
            return
        ttl = edit.expiration_ttl or None
        self.selected = edit.key
        self._run(lambda: store.put(ns, edit.key, edit.value, expiration_ttl=ttl, metadata=metadata),
                  lambda _r: self._after_write(f"saved {edit.key}"), f"saving {edit.key}")

    def delete(self, key: str) -> None:
        """Delete ``key`` from the current namespace."""
        store, ns = self.store, self.namespace
        if store is None or not ns:
            return
        if self.selected == key:
            self.selected = None
            self.view.show_value(None)
        self._run(lambda: store.delete(ns, key), lambda _r: self._after_write(f"deleted {key}"), f"deleting {key}")

    def _after_write(self, status: str) -> None:
        self.view.show_status(status)
        self.refresh_namespaces(keep_page=True)

    def export_to(self, path: Path) -> None:
        """Write the current namespace (prefix applied) to ``path`` as bulk JSON."""
        store, ns, prefix = self.store, self.namespace, self.prefix
        if store is None or not ns:
            return
        self._run(lambda: path.write_text(export_namespace(store, ns, prefix=prefix), encoding="utf-8"),
                  lambda _r: self.view.show_status(f"exported {ns} to {path.name}"), f"exporting {ns}")

    def import_from(self, path: Path, replace: bool = False) -> None:
        """Load bulk JSON from ``path`` into the current namespace."""
        store, ns = self.store, self.namespace
        if store is None or not ns:
            return
        self._run(lambda: import_namespace(store, ns, path.read_text(encoding="utf-8"), replace=replace),
                  lambda n: self._after_write(f"imported {n} keys into {ns}"), f"importing {path.name}")

    def close(self) -> None:
        """Stop the refresh timer and the subscription."""
        self._writes.close()
        self.attach(None)
