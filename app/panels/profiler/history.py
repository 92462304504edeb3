"""Load-run history on disk: ``.isoplay/loadruns.json`` in the project, so past runs survive a restart.

Guarantees: the newest ``MAX_RUNS`` summaries are kept; the file is written
atomically (a temporary file renamed over it); a missing, unreadable or
malformed file reads as no history (never an error dialog), and a malformed
entry is skipped. Both functions do disk work: call them off the GUI thread.
"""

from __future__ import annotations

import json
import math
import os
import tempfile
from pathlib import Path
from typing import Any

from runtime.loadrun import LoadSummary

HISTORY_PATH = Path(".isoplay") / "loadruns.json"
MAX_RUNS = 50


def summary_to_json(summary: LoadSummary) -> dict[str, Any]:
    """Every field of a summary (``LoadSummary.to_json`` plus what the history needs to list it)."""
    return {**summary.to_json(), "label": summary.label, "started_at": summary.started_at}


def summary_from_json(data: dict[str, Any]) -> LoadSummary:
    """The summary ``summary_to_json`` wrote.

    Raises:
        KeyError, TypeError, ValueError: not such an object.
    """
    histogram = tuple((math.inf if b["le_ms"] is None else float(b["le_ms"]), int(b["count"]))
                      for b in data["histogram"])
    return LoadSummary(
        count=int(data["count"]), errors={str(k): int(v) for k, v in dict(data["errors"]).items()},
        duration_s=float(data["duration_s"]), rps=float(data["rps"]), p50_ms=float(data["p50_ms"]),
        p95_ms=float(data["p95_ms"]), p99_ms=float(data["p99_ms"]), max_ms=float(data["max_ms"]),
        mean_ms=float(data["mean_ms"]), heap_growth_bytes=int(data["heap_growth_bytes"]), histogram=histogram,
        concurrency=int(data.get("concurrency", 1)), label=str(data.get("label", "")),
        cancelled=bool(data.get("cancelled", False)), started_at=float(data.get("started_at", 0.0)))


def load_history(root: Path) -> list[LoadSummary]:
    """The runs saved for the project at ``root``, oldest first ([] when there are none or the file is bad)."""
    try:
        data = json.loads((root / HISTORY_PATH).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return []
    runs: list[LoadSummary] = []
    for item in data.get("runs", []) if isinstance(data, dict) else []:
        try:
            runs.append(summary_from_json(item))
        except (KeyError, TypeError, ValueError, AttributeError):
            continue
    return runs[-MAX_RUNS:]


def save_history(root: Path, runs: list[LoadSummary]) -> None:
    """Write the newest ``MAX_RUNS`` of ``runs`` for the project at ``root`` (atomically)."""
    path = root / HISTORY_PATH
    path.parent.mkdir(parents=True, exist_ok=True)
    text = json.dumps({"version": 1, "runs": [summary_to_json(r) for r in runs[-MAX_RUNS:]]}, indent=1)
    fd, tmp = tempfile.mkstemp(prefix=".loadruns-", suffix=".json", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
