"""``request.cf`` for local requests: the one table of local defaults the prelude and the IDE share.

Guarantees: ``LOCAL_CF`` is exactly what a script's ``request.cf`` holds for a local request when
nothing overrides it (the prelude bundles the same file, resources/prelude/src/web/cf-local.json);
``overrides`` turns an edited object back into the top-level fields that differ, which is what a
trigger's ``cf`` carries (the prelude spreads them over the defaults).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

LOCAL_CF_FILE = Path(__file__).resolve().parents[2] / "resources" / "prelude" / "src" / "web" / "cf-local.json"

LOCAL_CF: dict[str, Any] = json.loads(LOCAL_CF_FILE.read_text(encoding="utf-8"))
"""The defaults (read once, when this module is imported)."""


def local_cf(overrides: dict[str, Any] | None = None) -> dict[str, Any]:
    """A fresh copy of the defaults with ``overrides`` over them (what the script will see)."""
    value: dict[str, Any] = json.loads(json.dumps(LOCAL_CF))
    value.update(overrides or {})
    return value


def overrides(edited: dict[str, Any]) -> dict[str, Any]:
    """The top-level fields of ``edited`` that differ from the defaults (a removed field keeps its default)."""
    return {key: value for key, value in edited.items() if LOCAL_CF.get(key, _MISSING) != value}


_MISSING = object()
