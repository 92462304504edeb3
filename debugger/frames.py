"""Outer frames: which shadow record belongs to which stack frame, and which of its variables can be read.

A frame below the top of a paused stack stopped inside a call, so no probe
captured its values. Instead each call of a function that makes calls keeps a
shadow record with accessor closures (see ``instrument.py``), and a pause
reports the chain of live records (innermost first) as the region id of each
record's function. Here, on the Python side:

- ``match`` pairs V8's stack frames with those records by function. Records of
  calls no longer on the stack (possible after an ``await`` the chain could not
  follow) are skipped; a frame without a record of its own function is left
  unpaired, never given another call's record.
- ``plan`` works out, from the position where a frame stopped, which accessor
  covers it and the variables in scope there: each with its index in that
  accessor, or -1 when it lives in a scope the accessor cannot see (a loop
  head, a switch body, a block without calls) -- shown as not available, and
  an evaluation that reads it fails instead of finding an outer binding.

Both take the pause's ``hot`` regions: functions and blocks that ran more than
``RECORD_LIMIT`` times and stopped keeping records (the agent's gate, which
keeps recursion and tight loops within the cost target). A hot function's
frames get no record -- its live calls may be a mix of recorded and unrecorded
ones, so pairing any of them could show another call's values -- and a hot
block's accessor is never used (its record may hold an older instance's).
"""

from __future__ import annotations

from collections.abc import Sequence
from collections.abc import Set as AbstractSet
from dataclasses import dataclass

from debugger.instrument import WRITABLE_KINDS, InstrumentedFile, Region
from debugger.scopes import LEXICAL_KINDS


@dataclass(frozen=True)
class FrameVar:
    """A variable in scope where an outer frame stopped."""

    name: str
    index: int
    """Index in the accessor's switch; -1 when the accessor cannot read it."""
    local: bool
    """Declared by the frame's own function (else by an enclosing one: a closure variable)."""
    writable: bool


@dataclass(frozen=True)
class FramePlan:
    """How the agent reads one outer frame."""

    function: int
    """Region id of the frame's function (0: module code)."""
    function_name: str
    has_records: bool
    """Calls of this function keep shadow records (it makes calls and has something to show)."""
    accessor: str | None
    """Record property holding the accessor current at the position (None: no accessor covers it)."""
    this: bool
    vars: tuple[FrameVar, ...]
    hot: bool = False
    """Its function, or a block it stopped in, stopped keeping records (see ``hot`` above)."""

    @property
    def complete(self) -> bool:
        """Every variable in scope can be read."""
        return all(v.index >= 0 for v in self.vars)


def _innermost_first(regions: Sequence[Region], pos: tuple[int, int]) -> list[Region]:
    inside = [r for r in regions if r.contains(pos)]
    inside.sort(key=lambda r: (r.start, (-r.end[0], -r.end[1])), reverse=True)
    return inside


def plan(file: InstrumentedFile, line: int, column: int, hot: AbstractSet[int] = frozenset()) -> FramePlan:
    """The accessor and variables of a frame stopped at ``line:column`` (original, 1-based) of ``file``."""
    pos = (line, column)
    inside = _innermost_first(file.regions, pos)
    fn = next((r for r in inside if r.is_function), None)
    if fn is None:
        return FramePlan(0, "<module>", False, None, False, ())
    at = next((k for k, r in enumerate(inside)
               if r.function == fn.id and r.accessor_covers(pos) and r.id not in hot), None)
    acc = inside[at] if at is not None else None
    covered = {r.id for r in inside[at:]} if at is not None else set()
    seen: set[str] = set()
    out: list[FrameVar] = []
    for region in inside:
        for name, kind, declared in region.names:
            if name in seen:
                continue
            readable = acc is not None and acc.accessor is not None and region.id in covered
            if not readable and kind in LEXICAL_KINDS and declared > pos:
                continue  # not declared yet at this position
            seen.add(name)
            index = acc.accessor.index(name) if readable and acc is not None and acc.accessor else -1
            out.append(FrameVar(name, index, region.function == fn.id, kind in WRITABLE_KINDS))
    name = next((f.name for f in file.functions if (f.start, f.end) == (fn.start, fn.end)), "<anonymous>")
    is_hot = fn.id in hot or any(r.id in hot and r.function == fn.id and r.accessor_covers(pos) for r in inside)
    return FramePlan(fn.id, name, fn.accessor is not None, acc.accessor_key if acc is not None else None,
                     acc.this if acc is not None else False, tuple(out), is_hot)


def match(functions: Sequence[int], chain: Sequence[int], hot: AbstractSet[int] = frozenset()) -> list[int | None]:
    """For each stack frame (by function region id, 0 for none), the index of its record in ``chain``.

    Frames of ``hot`` functions get none, and their records are passed over.
    """
    out: list[int | None] = []
    live = [k for k, fid in enumerate(chain) if fid not in hot]
    j = 0
    for i, fid in enumerate(functions):
        rest = set(functions[i:])
        k = j
        while k < len(live) and chain[live[k]] != fid and chain[live[k]] not in rest:
            k += 1  # a record of a call that is not on this stack
        if fid and fid not in hot and k < len(live) and chain[live[k]] == fid:
            out.append(live[k])
            j = k + 1
        else:
            out.append(None)
    return out
