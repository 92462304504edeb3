"""Breakpoint bookkeeping: resolve ``file:line`` to a probe and keep the set the agent sees."""

from __future__ import annotations

import dataclasses
import itertools
from typing import Any

from debugger.build import DebugBuild
from debugger.protocol import Breakpoint

MAX_MOVE_LINES = 50
"""How far a breakpoint may move to reach a line with a statement."""


def resolve(build: DebugBuild, file: str, line: int) -> tuple[int | None, int | None, str]:
    """(probe id, actual line, status) for a breakpoint at ``file:line``.

    A line with a statement binds to the first statement on it; otherwise the
    breakpoint moves to the nearest following line with one (then the nearest
    preceding), within MAX_MOVE_LINES; failing that it stays unverified.
    """
    src = build.file(file)
    if src is None:
        return None, None, "unverified"
    first: dict[int, int] = {}
    for probe in src.probes:
        if probe.kind == "stmt" and (probe.line not in first or probe.column < _col(build, first[probe.line])):
            first[probe.line] = probe.id
    if line in first:
        return first[line], line, "verified"
    after = [n for n in first if line < n <= line + MAX_MOVE_LINES]
    before = [n for n in first if line - MAX_MOVE_LINES <= n < line]
    if after:
        return first[min(after)], min(after), "moved"
    if before:
        return first[max(before)], max(before), "moved"
    return None, None, "unverified"


def _col(build: DebugBuild, probe_id: int) -> int:
    probe = build.probes[probe_id]
    return probe.column if probe is not None else 0


def parse_location(text: str) -> tuple[str, int]:
    """Split ``FILE:LINE`` (the CLI's breakpoint syntax).

    Raises:
        ValueError: no ``:LINE`` suffix.
    """
    file, sep, line = text.rpartition(":")
    if not sep or not file or not line.strip().isdigit():
        raise ValueError(f"expected FILE:LINE, got {text!r}")
    return file.strip(), int(line)


class BreakpointSet:
    """The session's breakpoints, by id."""

    def __init__(self, build: DebugBuild) -> None:
        self.build = build
        self._items: dict[int, Breakpoint] = {}
        self._ids = itertools.count(1)

    def __iter__(self):  # type: ignore[no-untyped-def]
        return iter(sorted(self._items.values(), key=lambda b: b.id))

    def get(self, bp_id: int) -> Breakpoint | None:
        """The breakpoint with this id, if any."""
        return self._items.get(bp_id)

    def add(self, file: str, line: int, *, condition: str | None = None, hit_count: int | None = None,
            log_message: str | None = None) -> Breakpoint:
        """Resolve and add one breakpoint."""
        probe, actual, status = resolve(self.build, file, line)
        bp = Breakpoint(next(self._ids), file.replace("\\", "/").removeprefix("./"), line, status,  # type: ignore[arg-type]
                        actual, probe, condition or None, hit_count or None, log_message)
        self._items[bp.id] = bp
        return bp

    def remove(self, bp_id: int) -> bool:
        """Delete a breakpoint; False when there was none."""
        return self._items.pop(bp_id, None) is not None

    def update(self, bp_id: int, **changes: Any) -> Breakpoint:
        """Change fields (enabled, condition, hit_count, log_message, error).

        Raises:
            KeyError: no such breakpoint.
        """
        bp = dataclasses.replace(self._items[bp_id], **changes)
        self._items[bp_id] = bp
        return bp

    def agent_state(self) -> tuple[set[int], dict[int, list[Any]]]:
        """(probe ids to arm, probe id -> breakpoint rows) for the shared memory."""
        probes: set[int] = set()
        table: dict[int, list[Any]] = {}
        for bp in self._items.values():
            if bp.enabled and bp.probe is not None:
                probes.add(bp.probe)
                table.setdefault(bp.probe, []).append(bp.row())
        return probes, table
