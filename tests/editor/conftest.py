"""Fixtures for editor tests: offscreen Qt, real editors, a real tsc language server."""

from __future__ import annotations

import gc
import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from collections.abc import Callable, Iterator  # noqa: E402
from pathlib import Path  # noqa: E402
from typing import Any  # noqa: E402

import pytest  # noqa: E402

from editor.lsp import EditorLspBinding, LanguageClient, ServerStatus  # noqa: E402
from editor.widget import CodeEditor  # noqa: E402

SERVER_TIMEOUT_MS = 20_000

TSCONFIG = """{
  "compilerOptions": {
    "target": "es2022", "module": "esnext", "moduleResolution": "bundler",
    "strict": true, "lib": ["es2022"], "types": [], "noEmit": true
  },
  "include": ["*.ts"]
}
"""

ENV_D_TS = """interface KVNamespace {
  get(key: string): Promise<string | null>;
  put(key: string, value: string): Promise<void>;
}
interface Env {
  KV: KVNamespace;
  API_TOKEN: string;
}
"""

UTIL_TS = """export function helper(x: number): string {
  return String(x);
}
"""

MAIN_TS = """import { helper } from "./util";

const n: number = "oops";

export default {
  async fetch(env: Env): Promise<string> {
    await env.KV.put("k", helper(n));
    return helper(1);
  },
};
"""


@pytest.fixture(autouse=True)
def gui_thread_gc() -> Iterator[None]:
    """Collect garbage on the GUI thread only (see editor.qt_gc): no QObject dies on the LSP thread."""
    was_enabled = gc.isenabled()
    gc.disable()
    yield
    gc.collect()
    if was_enabled:
        gc.enable()


@pytest.fixture(scope="session")
def tsc_path(tools: Any) -> Path:
    """The native TypeScript 7 compiler from the project's pinned toolchain (tests/conftest.py)."""
    return Path(tools.tsc)


@pytest.fixture
def ts_project(tmp_path: Path) -> Path:
    """A small Workers-style TS project: tsconfig, env.d.ts, util.ts, main.ts (with a type error on line 3)."""
    for name, text in {"tsconfig.json": TSCONFIG, "env.d.ts": ENV_D_TS, "util.ts": UTIL_TS, "main.ts": MAIN_TS}.items():
        (tmp_path / name).write_text(text, encoding="utf-8")
    return tmp_path


@pytest.fixture
def editor_factory(qtbot: Any) -> Callable[..., CodeEditor]:
    """Return a factory of shown CodeEditors, optionally loaded from a file."""

    def make(path: Path | None = None, text: str = "") -> CodeEditor:
        editor = CodeEditor()
        qtbot.addWidget(editor)
        editor.resize(800, 500)
        editor.show()
        if path is not None:
            editor.load_file(path)
        else:
            editor.set_text(text)
        return editor

    return make


@pytest.fixture
def client_factory(qtbot: Any, tsc_path: Path) -> Iterator[Callable[[Path], LanguageClient]]:
    """Return a factory of started LanguageClients (waits for READY; stops them afterwards)."""
    clients: list[LanguageClient] = []

    def make(root: Path) -> LanguageClient:
        client = LanguageClient(tsc_path, root)
        clients.append(client)
        with qtbot.waitSignal(client.sig_status_changed, timeout=SERVER_TIMEOUT_MS, check_params_cb=is_ready):
            client.start()
        return client

    yield make
    for client in clients:
        with qtbot.waitSignal(client.sig_status_changed, timeout=5_000, check_params_cb=is_stopped):
            client.stop()


@pytest.fixture
def lsp_setup(
    ts_project: Path,
    editor_factory: Callable[..., CodeEditor],
    client_factory: Callable[[Path], LanguageClient],
) -> tuple[CodeEditor, LanguageClient, EditorLspBinding]:
    """main.ts open in an editor bound to a ready language client."""
    client = client_factory(ts_project)
    editor = editor_factory(ts_project / "main.ts")
    return editor, client, EditorLspBinding(editor, client)


def is_ready(change: Any) -> bool:
    """check_params_cb: the status became READY."""
    return bool(change.status is ServerStatus.READY)


def is_stopped(change: Any) -> bool:
    """check_params_cb: the status became STOPPED."""
    return bool(change.status is ServerStatus.STOPPED)
