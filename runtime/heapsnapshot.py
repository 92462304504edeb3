"""V8 heap snapshots: a constructor table, a diff of two tables, and saving.

A ``.heapsnapshot`` is JSON: ``snapshot.meta`` names the fields of the flat
``nodes`` and ``edges`` integer arrays (``node_fields``, ``node_types``), and
``strings`` holds the names the nodes point at. A node's class is grouped the
way Chrome DevTools' "Summary" view groups it: objects and native objects by
their constructor name, everything else under a parenthesised type such as
``(string)``, ``(closure)``, ``(array)`` or ``(compiled code)``.

Saving writes the JSON unchanged, so Chrome DevTools (Memory tab → Load) opens
the file.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

_TYPE_GROUPS = {
    "hidden": "(system)", "array": "(array)", "string": "(string)", "concatenated string": "(string)",
    "sliced string": "(string)", "code": "(compiled code)", "closure": "(closure)", "regexp": "(regexp)",
    "number": "(number)", "symbol": "(symbol)", "bigint": "(bigint)", "object shape": "(object shape)",
}
_NAMED_TYPES = frozenset({"object", "native"})
_SKIPPED_TYPES = frozenset({"synthetic"})


class HeapSnapshotFormatError(ValueError):
    """The data is not a V8 heap snapshot."""


@dataclass(frozen=True)
class ConstructorRow:
    """One line of the constructor table."""

    name: str
    """Constructor name (``Widget``) or type group (``(string)``)."""
    count: int
    """Instances in the snapshot."""
    shallow_size: int
    """Sum of the instances' own sizes, in bytes."""


@dataclass(frozen=True)
class ConstructorDiff:
    """How one constructor changed between two snapshots."""

    name: str
    count_before: int
    count_after: int
    size_before: int
    size_after: int

    @property
    def count_delta(self) -> int:
        """Instances added (negative: removed)."""
        return self.count_after - self.count_before

    @property
    def size_delta(self) -> int:
        """Shallow bytes added (negative: freed)."""
        return self.size_after - self.size_before


@dataclass(frozen=True)
class HeapSummary:
    """A parsed snapshot: its constructor table and totals."""

    rows: tuple[ConstructorRow, ...]
    """Sorted by shallow size, largest first."""
    node_count: int
    total_size: int

    def row(self, name: str) -> ConstructorRow | None:
        """The row for ``name``, if present."""
        return next((r for r in self.rows if r.name == name), None)


def _meta(snapshot: Mapping[str, Any]) -> tuple[list[str], list[str]]:
    try:
        meta = snapshot["snapshot"]["meta"]
        fields = list(meta["node_fields"])
        types = list(meta["node_types"][0])
    except (KeyError, IndexError, TypeError) as exc:
        raise HeapSnapshotFormatError(f"not a V8 heap snapshot (missing {exc})") from None
    for needed in ("type", "name", "self_size"):
        if needed not in fields:
            raise HeapSnapshotFormatError(f"not a V8 heap snapshot (node field {needed!r} missing)")
    return fields, types


def group_name(node_type: str, name: str) -> str | None:
    """The constructor-table group of a node (None: not listed)."""
    if node_type in _NAMED_TYPES:
        return name or "(anonymous)"
    if node_type in _SKIPPED_TYPES:
        return None
    return _TYPE_GROUPS.get(node_type, f"({node_type})")


def summarize(snapshot: Mapping[str, Any]) -> HeapSummary:
    """The constructor table of a parsed ``.heapsnapshot``.

    Raises:
        HeapSnapshotFormatError: the data lacks the snapshot's meta layout.
    """
    fields, types = _meta(snapshot)
    width = len(fields)
    i_type, i_name, i_size = fields.index("type"), fields.index("name"), fields.index("self_size")
    nodes: list[int] = snapshot.get("nodes", [])
    strings: list[str] = snapshot.get("strings", [])
    counts: dict[str, list[int]] = {}
    total = 0
    for base in range(0, len(nodes) - width + 1, width):
        group = group_name(types[nodes[base + i_type]], strings[nodes[base + i_name]])
        if group is None:
            continue
        size = nodes[base + i_size]
        entry = counts.setdefault(group, [0, 0])
        entry[0] += 1
        entry[1] += size
        total += size
    rows = sorted((ConstructorRow(n, c, s) for n, (c, s) in counts.items()), key=lambda r: (-r.shallow_size, r.name))
    return HeapSummary(tuple(rows), len(nodes) // width if width else 0, total)


def diff(before: Iterable[ConstructorRow], after: Iterable[ConstructorRow], *,
         only_grown: bool = True) -> list[ConstructorDiff]:
    """Compare two constructor tables.

    Args:
        before: The earlier snapshot's rows.
        after: The later snapshot's rows.
        only_grown: Keep only constructors whose count or size grew.

    Returns:
        Changes sorted by size growth, largest first.
    """
    old = {r.name: r for r in before}
    new = {r.name: r for r in after}
    out: list[ConstructorDiff] = []
    for name in old.keys() | new.keys():
        a, b = old.get(name), new.get(name)
        change = ConstructorDiff(name, a.count if a else 0, b.count if b else 0,
                                 a.shallow_size if a else 0, b.shallow_size if b else 0)
        grew = change.count_delta > 0 or change.size_delta > 0
        if grew or (not only_grown and (change.count_delta or change.size_delta)):
            out.append(change)
    out.sort(key=lambda d: (-d.size_delta, -d.count_delta, d.name))
    return out


def save(snapshot: Mapping[str, Any], path: Path | str) -> Path:
    """Write the snapshot as a ``.heapsnapshot`` file Chrome DevTools opens; return the path."""
    target = Path(path)
    if target.suffix != ".heapsnapshot":
        target = target.with_name(target.name + ".heapsnapshot")
    target.write_text(json.dumps(snapshot, separators=(",", ":")), encoding="utf-8")
    return target


def load(path: Path | str) -> dict[str, Any]:
    """Read a ``.heapsnapshot`` file back.

    Raises:
        HeapSnapshotFormatError: the file is not a V8 heap snapshot.
    """
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise HeapSnapshotFormatError(f"{path}: not JSON ({exc.msg})") from None
    _meta(data)
    return dict(data)


def take(isolate: Any) -> dict[str, Any]:
    """A snapshot of one ``ScriptIsolate`` (call on the runtime loop, between invocations).

    Raises:
        HeapSnapshotFormatError: the engine returned something else.
    """
    data = isolate.v8.heap_snapshot()
    if isinstance(data, (str, bytes)):
        data = json.loads(data)
    _meta(data)
    return dict(data)
