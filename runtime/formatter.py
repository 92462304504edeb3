"""Format Document: the pinned prettier of the JS toolchain (``resources/toolchain/package.json``).

``format_source`` runs ``node prettier.cjs --stdin-filepath FILE`` from the toolchain's node_modules with
the wheel's node, so a project's own ``.prettierrc`` / ``.editorconfig`` / ``.prettierignore`` apply as they
would for ``npx prettier``; the editor's indentation is passed on the command line (it came from that same
.editorconfig, or from the file, or the user chose it). Blocking: call it off the GUI thread.
"""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

from runtime import toolchain
from runtime.errors import Location, ToolchainError, UserError

TIMEOUT_S = 60
FORMATTED_SUFFIXES = frozenset({".ts", ".mts", ".cts", ".tsx", ".js", ".mjs", ".cjs", ".jsx", ".json", ".jsonc",
                                ".md", ".css", ".html", ".yaml", ".yml"})
"""What prettier formats out of the box (other files are left as they are)."""
_POSITION = re.compile(r"\((\d+):(\d+)\)")


class FormatError(UserError):
    """prettier could not format the file (a syntax error, named with its line and column)."""

    code = "format_failed"


def prettier_script(root: Path | None = None) -> Path:
    """``node_modules/prettier/bin/prettier.cjs`` of the installed toolchain (installing it if needed)."""
    base = root or toolchain.ensure().root
    script = base / "node_modules" / "prettier" / "bin" / "prettier.cjs" if base is not None else None
    if script is None or not script.is_file():
        raise ToolchainError(f"prettier is not in the JS toolchain ({base}): reinstall it (bootstrap.py)")
    return script


def can_format(path: Path) -> bool:
    """Whether prettier formats files named like ``path``."""
    return path.suffix.lower() in FORMATTED_SUFFIXES


def format_source(text: str, path: Path, *, use_tabs: bool | None = None, tab_width: int | None = None,
                  display_name: str | None = None) -> str:
    """``text`` formatted by prettier as the file ``path`` (its suffix picks the parser).

    Raises:
        FormatError: prettier refused the text (a syntax error: the message has file:line:column).
        ToolchainError: the toolchain (node, prettier) is missing.
    """
    command = [str(toolchain.node_executable()), str(prettier_script()), "--stdin-filepath", str(path),
               "--no-color"]
    if use_tabs is not None:
        command.append(f"--use-tabs={'true' if use_tabs else 'false'}")
    if tab_width is not None:
        command += ["--tab-width", str(tab_width)]
    try:
        proc = subprocess.run(command, input=text.encode("utf-8"), capture_output=True, timeout=TIMEOUT_S,
                              cwd=path.parent if path.parent.is_dir() else None, check=False)
    except subprocess.TimeoutExpired as exc:
        raise FormatError(f"prettier took longer than {TIMEOUT_S} s on {path.name}") from exc
    if proc.returncode == 0:
        return proc.stdout.decode("utf-8")
    return _raise(proc.stderr.decode("utf-8", errors="replace"), display_name or path.name)


def _raise(stderr: str, name: str) -> str:
    lines = [line.removeprefix("[error] ").strip() for line in stderr.splitlines() if line.strip()]
    first = lines[0] if lines else "prettier failed"
    first = first.split(": ", 1)[1] if first.startswith(("/", name)) and ": " in first else first
    match = _POSITION.search(first)
    location = Location(name, int(match.group(1)), int(match.group(2))) if match else None
    message = _POSITION.sub("", first).strip()
    raise FormatError(message, location=location)
