"""The shared debug memory: layout, and Python's side of it.

One SharedArrayBuffer, created by the JS agent and held by Python as a
memoryview, so breakpoints, pause requests and commands never need a call into
the (possibly busy or paused) isolate. Layout (byte offsets)::

    0      header: 16 little-endian int32 slots (H_* below)
    64     event ring, RING_SIZE bytes: records [int32 length][UTF-8 JSON][pad to 4];
           length -1 means "wrap to the start". JS writes and advances H_EVT_WRITE;
           Python reads and advances H_EVT_READ. Positions are byte counters masked
           to POS_MASK, so both sides agree without locks (single producer, single consumer).
    ...    command slot, CMD_SIZE bytes: Python writes a JSON command and then bumps
           H_CMD_SEQ; JS, paused in Atomics.wait, reads it and stores H_CMD_ACK = seq.
           Python never writes a command before the previous one is acknowledged.
    ...    breakpoint table, BP_SIZE bytes: JSON of conditions / hit counts / log
           messages, re-read by JS whenever H_BP_VERSION changes.
    ...    effective bits: one byte per probe id (byte 0 holds the exception flags);
           the byte each probe tests. Python is their only writer.
    ...    canonical bits: the same, holding only the breakpoints.

Sequence numbers and counters, not flags: a flag that both sides set and clear
races; here each slot has exactly one writer.
"""

from __future__ import annotations

import json
import struct
import time
from dataclasses import dataclass
from typing import Any

H_EVT_WRITE = 0
H_EVT_READ = 1
H_CMD_SEQ = 2
H_CMD_LEN = 3
H_CMD_ACK = 4
H_PAUSE_REQ = 5
H_BP_VERSION = 6
H_BP_LEN = 7
HEADER_SLOTS = 16
RING_SIZE = 1 << 20
CMD_SIZE = 1 << 18
BP_SIZE = 1 << 18
POS_MASK = (1 << 30) - 1

FLAG_UNCAUGHT = 1
"""Byte 0 bit: pause when an exception leaves the outermost user frame."""
FLAG_CAUGHT = 2
"""Byte 0 bit: pause when a user ``catch`` clause receives an exception."""


def _round4(n: int) -> int:
    return (n + 3) & ~3


@dataclass(frozen=True)
class Layout:
    """Byte offsets of each region for a build with ``probe_count`` probes."""

    probe_count: int

    @property
    def ring(self) -> int:
        """Start of the event ring."""
        return HEADER_SLOTS * 4

    @property
    def cmd(self) -> int:
        """Start of the command slot."""
        return self.ring + RING_SIZE

    @property
    def bp(self) -> int:
        """Start of the breakpoint table."""
        return self.cmd + CMD_SIZE

    @property
    def effective(self) -> int:
        """Start of the effective probe bits."""
        return self.bp + BP_SIZE

    @property
    def canonical(self) -> int:
        """Start of the canonical (breakpoint-only) bits."""
        return self.effective + _round4(self.probe_count + 1)

    @property
    def size(self) -> int:
        """Total bytes of the shared buffer."""
        return self.canonical + _round4(self.probe_count + 1)

    def to_json(self) -> dict[str, int]:
        """What the JS agent needs to build the same views."""
        return {"size": self.size, "ring": self.ring, "ringSize": RING_SIZE, "cmd": self.cmd, "cmdSize": CMD_SIZE,
                "bp": self.bp, "bpSize": BP_SIZE, "effective": self.effective, "canonical": self.canonical,
                "probes": self.probe_count + 1, "posMask": POS_MASK}


class Mailbox:
    """Python's side of the shared memory (one per debuggee isolate)."""

    def __init__(self, memory: memoryview, layout: Layout) -> None:
        if len(memory) < layout.size:
            raise ValueError("shared debug memory is smaller than its layout")
        self.mem = memory
        self.layout = layout
        self._read_pos = self._get(H_EVT_READ)
        self._bits = bytearray(layout.probe_count + 1)

    # ---- header --------------------------------------------------------
    def _get(self, slot: int) -> int:
        return int(struct.unpack_from("<i", self.mem, slot * 4)[0])

    def _set(self, slot: int, value: int) -> None:
        struct.pack_into("<i", self.mem, slot * 4, value)

    # ---- events (JS -> Python) ---------------------------------------------
    def read_events(self) -> list[dict[str, Any]]:
        """Every event JS has written since the last call, decoded, oldest first."""
        write = self._get(H_EVT_WRITE)
        out: list[dict[str, Any]] = []
        pos = self._read_pos
        base = self.layout.ring
        while pos != write:
            at = pos & (RING_SIZE - 1)
            length = int(struct.unpack_from("<i", self.mem, base + at)[0])
            if length < 0:
                pos = (pos + RING_SIZE - at) & POS_MASK
                continue
            raw = bytes(self.mem[base + at + 4: base + at + 4 + length])
            out.append(json.loads(raw.decode("utf-8")))
            pos = (pos + 4 + _round4(length)) & POS_MASK
        if pos != self._read_pos:
            self._read_pos = pos
            self._set(H_EVT_READ, pos)
        return out

    # ---- commands (Python -> paused JS) -------------------------------------
    def command_acknowledged(self) -> bool:
        """Whether JS has taken the last command written."""
        return self._get(H_CMD_ACK) == self._get(H_CMD_SEQ)

    def send_command(self, command: dict[str, Any], *, wait: float = 5.0) -> int:
        """Write one command for paused JS; returns its sequence number.

        Raises:
            TimeoutError: JS did not take the previous command within ``wait`` seconds.
        """
        deadline = time.monotonic() + wait
        while not self.command_acknowledged():
            if time.monotonic() > deadline:
                raise TimeoutError("the debuggee did not take the previous command")
            time.sleep(0.001)
        data = json.dumps(command).encode("utf-8")
        if len(data) > CMD_SIZE:
            raise ValueError("debugger command too large")
        self.mem[self.layout.cmd: self.layout.cmd + len(data)] = data
        self._set(H_CMD_LEN, len(data))
        seq = self._get(H_CMD_SEQ) + 1
        self._set(H_CMD_SEQ, seq)
        return seq

    # ---- breakpoints, flags, pause -----------------------------------------
    def request_pause(self) -> None:
        """Ask running JS to stop at its next statement."""
        self._set(H_PAUSE_REQ, 1)
        self.arm_all()

    def arm_all(self) -> None:
        """Make every probe take its slow path (stepping, pausing, evaluating)."""
        start = self.layout.effective
        count = self.layout.probe_count
        self.mem[start + 1: start + 1 + count] = b"\x01" * count

    def disarm(self) -> None:
        """Make only breakpoint probes take their slow path again."""
        start = self.layout.effective
        self.mem[start + 1: start + 1 + self.layout.probe_count] = bytes(self._bits[1:])

    def set_flags(self, flags: int) -> None:
        """Write the exception flags (FLAG_UNCAUGHT | FLAG_CAUGHT) into byte 0 of both bit arrays."""
        self._bits[0] = flags
        self.mem[self.layout.effective] = flags
        self.mem[self.layout.canonical] = flags

    def set_breakpoints(self, probe_ids: set[int], table: dict[int, list[Any]], *, armed: bool) -> None:
        """Replace the breakpoint probes and their table; ``armed`` keeps every probe on while stepping."""
        data = json.dumps({str(k): v for k, v in table.items()}).encode("utf-8")
        if len(data) > BP_SIZE:
            raise ValueError("too many breakpoint conditions")
        bits = bytearray(self.layout.probe_count + 1)
        bits[0] = self._bits[0]
        for pid in probe_ids:
            if 0 < pid <= self.layout.probe_count:
                bits[pid] = 1
        self._bits = bits
        start = self.layout.bp
        self.mem[start: start + len(data)] = data
        self._set(H_BP_LEN, len(data))
        self._set(H_BP_VERSION, self._get(H_BP_VERSION) + 1)
        canon = self.layout.canonical
        self.mem[canon: canon + len(bits)] = bytes(bits)
        if not armed:
            self.disarm()
