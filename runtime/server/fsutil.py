"""Crash-safe file placement: write in a staging folder, fsync, rename into place.

A rename within one file system is atomic, so a reader (or a restart after a
crash) sees either the complete folder or none of it. Staging folders left by a
crash are removed by :func:`clear_staging` when the storage opens.
"""

from __future__ import annotations

import os
import shutil
import uuid
from pathlib import Path

_CAN_FSYNC_DIRS = os.name != "nt"


def fsync_file(path: Path) -> None:
    """Flush one file's data to the disk."""
    with open(path, "rb") as handle:
        os.fsync(handle.fileno())


def fsync_dir(path: Path) -> None:
    """Flush a folder's entries (new names, renames) to the disk (POSIX only)."""
    if not _CAN_FSYNC_DIRS:
        return
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def new_staging_dir(staging_root: Path) -> Path:
    """A fresh, empty folder under ``staging_root``."""
    staging_root.mkdir(parents=True, exist_ok=True)
    path = staging_root / uuid.uuid4().hex
    path.mkdir()
    return path


def commit_dir(staged: Path, final: Path) -> bool:
    """Fsync ``staged``'s files and rename it to ``final``.

    Returns:
        True if ``final`` was created; False if it already existed (content
        addressed, so identical): ``staged`` is then removed.
    """
    for child in staged.iterdir():
        fsync_file(child)
    fsync_dir(staged)
    final.parent.mkdir(parents=True, exist_ok=True)
    if final.exists():
        shutil.rmtree(staged)
        return False
    os.replace(staged, final)
    fsync_dir(final.parent)
    return True


def clear_staging(staging_root: Path) -> int:
    """Remove staging folders a crashed deploy left behind; return how many."""
    if not staging_root.is_dir():
        return 0
    removed = 0
    for child in staging_root.iterdir():
        shutil.rmtree(child, ignore_errors=True)
        removed += 1
    return removed
