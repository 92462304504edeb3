"""Demo window for ``python -m editor.widget [FILE] [--tsc PATH] [--theme dark]``."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtWidgets import QApplication, QLabel, QMainWindow

from editor.qt_gc import install_gui_thread_gc
from editor.widget import CodeEditor

if TYPE_CHECKING:
    from editor.lsp import EditorLspBinding

SAMPLE = '''// isoplay demo: a Workers-style script
import { helper } from "./util";

interface Greeting {
  name: string;
  count: number;
}

/** Handles every request. @param request the incoming request */
export default {
  async fetch(request: Request, env: Env, ctx: ExecutionContext): Promise<Response> {
    const url = new URL(request.url);
    const pattern = /^\\/api\\/(\\w+)$/i;
    const hits = Number(await env.KV.get("hits")) || 0;
    await env.KV.put("hits", String(hits + 1), { expirationTtl: 3600 });
    const body = `Hello ${url.searchParams.get("name") ?? "world"} #${hits}`;
    if (pattern.test(url.pathname)) {
      return Response.json({ ok: true, hits: 0x2a, ratio: 1.5e3 });
    }
    return new Response(body, { headers: { "content-type": "text/plain" } });
  },
};
'''


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    """Parse the demo's command line."""
    parser = argparse.ArgumentParser(prog="python -m editor.widget", description=__doc__)
    parser.add_argument("file", nargs="?", type=Path, help="TypeScript file to open")
    parser.add_argument("--tsc", type=Path, help="native tsc executable, enables the language server")
    parser.add_argument("--theme", choices=("light", "dark"), default="light")
    parser.add_argument("--screenshot", type=Path, help="save a screenshot and quit")
    return parser.parse_args(argv)


def build_editor(args: argparse.Namespace) -> CodeEditor:
    """Create the editor with the requested file (or a sample) and theme."""
    editor = CodeEditor(theme=args.theme)
    if args.file is not None and args.file.exists():
        editor.load_file(args.file)
    else:
        editor.set_document(args.file.resolve() if args.file else None, SAMPLE)
    editor.set_breakpoint(12)
    editor.set_breakpoint(15, enabled=False)
    editor.set_current_line(13)
    return editor


def run_demo(argv: Sequence[str] | None = None) -> int:
    """Show the editor in a window until it is closed."""
    args = parse_args(sys.argv[1:] if argv is None else argv)
    app = QApplication.instance() or QApplication(sys.argv[:1])
    window = QMainWindow()
    install_gui_thread_gc(window)
    editor = build_editor(args)
    window.setCentralWidget(editor)
    status = QLabel("no language server")
    window.statusBar().addWidget(status)
    editor.sig_margin_clicked.connect(lambda click: _toggle_breakpoint(editor, click.line))
    binding = _attach_language_server(editor, args, status)
    window.resize(960, 620)
    window.setWindowTitle(f"isoplay editor — {editor.path or 'untitled.ts'}")
    window.show()
    if args.screenshot is not None:
        app.processEvents()
        window.grab().save(str(args.screenshot))
        return 0
    code = app.exec()
    if binding is not None:
        binding.client.stop()
    return code


def _toggle_breakpoint(editor: CodeEditor, line: int) -> None:
    if line in editor.breakpoints():
        editor.remove_breakpoint(line)
    else:
        editor.set_breakpoint(line)


def _attach_language_server(editor: CodeEditor, args: argparse.Namespace, status: QLabel) -> EditorLspBinding | None:
    if args.tsc is None or editor.path is None:
        return None
    from editor.lsp import EditorLspBinding, LanguageClient

    client = LanguageClient(args.tsc, editor.path.parent)
    client.sig_status_changed.connect(lambda change: status.setText(f"TypeScript: {change.status.value} {change.message}"))
    client.sig_definition_received.connect(lambda r: status.setText(f"definition: {r.targets[:1]}"))
    client.start()
    return EditorLspBinding(editor, client)
