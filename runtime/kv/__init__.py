"""Workers KV for isoplay: limits, validators, the SQLite store and its host ops.

- :mod:`runtime.kv.limits` -- production's numbers as constants.
- :mod:`runtime.kv.validate` -- pure validators raising ``KVLimitError``.
- :mod:`runtime.kv.store` -- :class:`KVStore` (one SQLite file per data dir) and
  :class:`KVNamespaceStore` (one binding's view, what ``HostContext.kv`` returns).
- :mod:`runtime.kv.transfer` -- export / import a namespace as JSON.
- :mod:`runtime.kv.ops` -- the ``kv.*`` host ops the prelude's ``KVNamespace`` calls.
"""

from __future__ import annotations

from runtime.kv.models import KVEntry, KVKey, KVKeyInfo, KVListResult, KVRecord, KVStoreStatistics
from runtime.kv.store import KV_FILENAME, KVNamespaceStore, KVStore

__all__ = [
    "KV_FILENAME",
    "KVEntry",
    "KVKey",
    "KVKeyInfo",
    "KVListResult",
    "KVNamespaceStore",
    "KVRecord",
    "KVStore",
    "KVStoreStatistics",
]
