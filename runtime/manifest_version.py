"""Write a new version into a project's ``isoplay.toml`` (after a publish), keeping its comments and layout.

tomlkit edits the document in place (a hand-written regex would miss quoting, comments and tables); the
result is parsed again with the manifest loader before it replaces the file, atomically.
"""

from __future__ import annotations

import os
import tomllib
from pathlib import Path

import semver
import tomlkit

from runtime.errors import ManifestError
from runtime.manifest import MANIFEST_NAME, parse_manifest


def can_write_version(root: Path) -> bool:
    """Whether the project has an ``isoplay.toml`` to hold a version (wrangler configs have no version)."""
    return (root / MANIFEST_NAME).is_file()


def write_version(root: Path, version: str) -> Path:
    """Set ``version = "…"`` in ``root/isoplay.toml``; returns the file.

    Raises:
        ManifestError: no isoplay.toml, the version is not semver, or the file does not parse.
    """
    path = root / MANIFEST_NAME
    if not path.is_file():
        raise ManifestError(f"{root.name} has no {MANIFEST_NAME} to hold a version (a wrangler config has none)")
    if not semver.Version.is_valid(version):
        raise ManifestError(f"version must be semver like \"1.2.3\" (got {version!r})")
    try:
        document = tomlkit.parse(path.read_text(encoding="utf-8"))
    except tomlkit.exceptions.ParseError as exc:
        raise ManifestError(f"{MANIFEST_NAME}: {exc}") from None
    document["version"] = version
    text = tomlkit.dumps(document)
    parse_manifest(tomllib.loads(text), str(path))  # what will be written still loads (raises ManifestError)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        tmp.write_text(text, encoding="utf-8")
        tmp.replace(path)
    finally:
        tmp.unlink(missing_ok=True)
    return path
