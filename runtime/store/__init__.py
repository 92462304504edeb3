"""Where a server's state lives: the embedded SQLite default, or PostgreSQL for a cluster of nodes.

``open_store(spec, data_dir)`` takes ``--store`` / ``ISOPLAY_STORE``: empty for
the SQLite files under the data folder, or a ``postgresql://`` URL. Both give
a :class:`runtime.server.storage.DeploymentStorage` whose ``open_kv(app)``
returns that app's KV store, and both pass the same contract tests
(``tests/store/``).

PostgreSQL guarantees (``runtime.store.postgres``):

- deploys, rollbacks and deletes are single transactions; each bumps a change
  counter and sends ``NOTIFY isoplay_changes`` in the same transaction, so every
  node hears of it at commit (and polls the counter as a fallback);
- KV keeps the Workers semantics and limits of the SQLite store (the same
  ``KVStore`` code runs, with PostgreSQL statements); keys sort byte-wise
  (``COLLATE "C"``), as in SQLite;
- each cron tick is claimed by one node (a row per app, schedule and tick), so it
  fires once across the cluster however many nodes run the schedule;
- the schema is versioned (``isoplay_schema``): ``isoplay serve --migrate``
  creates or upgrades it, and a node refuses a schema newer than it knows;
- a node whose database is unreachable answers 503 with the reason and
  recovers by itself when the database is back (the pool reconnects).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

STORE_ENV = "ISOPLAY_STORE"
"""The environment variable ``--store`` defaults to."""


def is_postgres(spec: str | None) -> bool:
    """Whether a ``--store`` value names a PostgreSQL database."""
    return bool(spec) and str(spec).startswith(("postgresql://", "postgres://"))


def store_spec(explicit: str | None) -> str:
    """``--store`` if given, else ``ISOPLAY_STORE``, else empty (SQLite)."""
    return explicit if explicit is not None else os.environ.get(STORE_ENV, "")


def open_store(spec: str, data_dir: Path, *, cleanup: bool = True, migrate: bool = False) -> Any:
    """The deployment storage ``spec`` names.

    Raises:
        StoreUnavailable: PostgreSQL does not answer.
        SchemaMismatch: its schema is missing (and ``migrate`` is False) or newer than this isoplay.
    """
    if is_postgres(spec):
        from runtime.store.postgres import PostgresDeploymentStorage

        return PostgresDeploymentStorage.open(spec, migrate=migrate)
    if spec:
        raise ValueError(f"--store must be a postgresql:// URL or empty (SQLite in the data folder), not {spec!r}")
    from runtime.server.sqlite_storage import SqliteDeploymentStorage

    return SqliteDeploymentStorage.open(data_dir, cleanup=cleanup)
