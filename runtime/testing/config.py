"""The ``[test]`` table of isoplay.toml and finding test files.

```toml
[test]
include = ["**/*.test.ts", "**/*.spec.ts"]   # globs relative to the project root
exclude = ["node_modules/**"]
timeout_ms = 5000                           # per test; it(name, fn, ms) overrides
```
"""

from __future__ import annotations

import functools
import os
import re
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from runtime.errors import ManifestError
from runtime.manifest import MANIFEST_NAME

DEFAULT_INCLUDE = ("**/*.test.ts", "**/*.spec.ts", "**/*.test.js", "**/*.spec.js")
DEFAULT_EXCLUDE = ("node_modules/**", ".isoplay/**", "dist/**", ".git/**")
DEFAULT_TIMEOUT_MS = 5000
"""Per-test timeout when neither the test nor the manifest gives one (vitest's default)."""


@dataclass(frozen=True)
class TestConfig:
    """The validated ``[test]`` table."""

    __test__ = False  # not a pytest test class

    include: tuple[str, ...] = DEFAULT_INCLUDE
    exclude: tuple[str, ...] = DEFAULT_EXCLUDE
    timeout_ms: int = DEFAULT_TIMEOUT_MS


def load_config(root: Path) -> TestConfig:
    """Read ``[test]`` from the project's isoplay.toml (defaults where absent).

    Raises:
        ManifestError: a key is unknown or has the wrong type.
    """
    path = root / MANIFEST_NAME
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError):
        return TestConfig()  # load_manifest reports these with their position
    return parse_config(data.get("test", {}), f"{MANIFEST_NAME}")


def parse_config(table: Any, source: str) -> TestConfig:
    """Validate a ``[test]`` table."""
    if not isinstance(table, dict):
        raise ManifestError(f"{source}: [test] must be a table")
    unknown = set(table) - {"include", "exclude", "timeout_ms"}
    if unknown:
        raise ManifestError(f"{source}: unknown key [test] {sorted(unknown)[0]!r} (known: exclude, include, timeout_ms)")
    globs = {}
    for key, default in (("include", DEFAULT_INCLUDE), ("exclude", DEFAULT_EXCLUDE)):
        value = table.get(key, list(default))
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise ManifestError(f"{source}: [test] {key} must be an array of glob strings")
        globs[key] = tuple(value)
    timeout = table.get("timeout_ms", DEFAULT_TIMEOUT_MS)
    if not isinstance(timeout, int) or isinstance(timeout, bool) or timeout <= 0:
        raise ManifestError(f"{source}: [test] timeout_ms must be a positive integer (got {timeout!r})")
    return TestConfig(globs["include"], globs["exclude"], timeout)


@functools.cache
def _glob_regex(pattern: str) -> re.Pattern[str]:
    """A glob (``**`` any folders, ``*`` / ``?`` within one name) as a regex over posix paths."""
    out, i = "", 0
    while i < len(pattern):
        if pattern.startswith("**/", i):
            out, i = out + "(?:.*/)?", i + 3
        elif pattern.startswith("**", i):
            out, i = out + ".*", i + 2
        elif pattern[i] == "*":
            out, i = out + "[^/]*", i + 1
        elif pattern[i] == "?":
            out, i = out + "[^/]", i + 1
        else:
            out, i = out + re.escape(pattern[i]), i + 1
    return re.compile(out + r"\Z")


def _matches(rel: str, patterns: tuple[str, ...]) -> bool:
    return any(_glob_regex(p).match(rel) for p in patterns)


def discover(root: Path, config: TestConfig, filters: list[str] | tuple[str, ...] = ()) -> list[Path]:
    """Test files under ``root`` matching ``include`` and not ``exclude``, sorted.

    ``filters`` (the command's FILTER arguments) keep files whose project-relative
    path contains one of them, as vitest's file filters do. Excluded folders
    (``node_modules/**``) are not walked.
    """
    found: list[Path] = []
    for folder, dirs, files in os.walk(root):
        base = Path(folder).relative_to(root).as_posix()
        base = "" if base == "." else base + "/"
        dirs[:] = sorted(d for d in dirs if not _matches(f"{base}{d}/", config.exclude)
                         and not _matches(f"{base}{d}/x", config.exclude))
        for name in files:
            rel = base + name
            if _matches(rel, config.exclude) or not _matches(rel, config.include):
                continue
            if filters and not any(f in rel for f in filters):
                continue
            found.append(root / rel)
    return sorted(found)
