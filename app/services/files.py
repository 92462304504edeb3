"""``FileService``: file system work off the GUI thread (one worker thread, in order).

Every method returns a ``concurrent.futures.Future`` at once; controllers hand
it to ``FutureBridge.watch``. One worker keeps operations on the same file in
the order they were asked for (a save followed by a rename, for example).
"""

from __future__ import annotations

import concurrent.futures
import json
import shutil
from pathlib import Path
from typing import Any

from runtime.errors import UserError


class FileService:
    """Reads, writes, creates, renames and deletes project files on a worker thread.

    Args:
        executor: where the work runs (default: a private single-thread pool).
    """

    def __init__(self, executor: concurrent.futures.Executor | None = None) -> None:
        self._executor = executor or concurrent.futures.ThreadPoolExecutor(1, thread_name_prefix="isoplay-files")
        self._owned = executor is None

    def read_text(self, path: Path) -> concurrent.futures.Future[str]:
        """Read ``path`` as UTF-8."""
        return self._executor.submit(_read_text, path)

    def write_text(self, path: Path, text: str) -> concurrent.futures.Future[Path]:
        """Write ``text`` to ``path`` (UTF-8, parents created); resolves to the resolved path."""
        return self._executor.submit(_write_text, path, text)

    def create_file(self, path: Path, text: str = "") -> concurrent.futures.Future[Path]:
        """Create a new file; fails with UserError if it exists."""
        return self._executor.submit(_create_file, path, text)

    def rename(self, source: Path, target: Path) -> concurrent.futures.Future[Path]:
        """Rename ``source`` to ``target``; fails with UserError if the target exists."""
        return self._executor.submit(_rename, source, target)

    def delete(self, path: Path) -> concurrent.futures.Future[Path]:
        """Delete a file or a folder tree."""
        return self._executor.submit(_delete, path)

    def read_json(self, path: Path, default: Any) -> concurrent.futures.Future[Any]:
        """Load JSON from ``path`` (``default`` when the file does not exist)."""
        return self._executor.submit(_read_json, path, default)

    def write_json(self, path: Path, data: Any) -> concurrent.futures.Future[Path]:
        """Write ``data`` as indented JSON."""
        return self._executor.submit(_write_text, path, json.dumps(data, indent=2) + "\n")

    def is_file(self, path: Path) -> concurrent.futures.Future[bool]:
        """Whether ``path`` is an existing file."""
        return self._executor.submit(path.is_file)

    def submit(self, fn: Any, *args: Any) -> concurrent.futures.Future[Any]:
        """Run any other disk-bound callable on the worker."""
        return self._executor.submit(fn, *args)

    def shutdown(self) -> None:
        """Finish queued work and stop the worker (if this service owns it)."""
        if self._owned:
            self._executor.shutdown(wait=False, cancel_futures=False)


def _read_text(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise UserError(f"{path.name} is not a UTF-8 text file") from None


def _write_text(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", encoding="utf-8", newline="") as handle:
        handle.write(text)
    return path.resolve()


def _create_file(path: Path, text: str) -> Path:
    if path.exists():
        raise UserError(f"{path.name} already exists")
    return _write_text(path, text)


def _rename(source: Path, target: Path) -> Path:
    if target.exists():
        raise UserError(f"{target.name} already exists")
    target.parent.mkdir(parents=True, exist_ok=True)
    return source.rename(target).resolve()


def _delete(path: Path) -> Path:
    if path.is_dir():
        shutil.rmtree(path)
    else:
        path.unlink()
    return path


def _read_json(path: Path, default: Any) -> Any:
    if not path.is_file():
        return default
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise UserError(f"{path.name}: not valid JSON ({exc.msg} at line {exc.lineno})") from None
