"""Reading and writing source files (UTF-8, atomic replace on save)."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path


def read_text(path: Path) -> str:
    """Return the UTF-8 content of `path` (undecodable bytes become U+FFFD)."""
    return path.read_bytes().decode("utf-8", "replace")


def write_text(path: Path, text: str) -> None:
    """Write `text` as UTF-8 to `path` atomically (temp file + rename)."""
    path = path.resolve()
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(text.encode("utf-8"))
        if path.exists():
            os.chmod(tmp, path.stat().st_mode & 0o7777)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
