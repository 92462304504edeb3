"""Prelude chunks: large data an isolate loads synchronously, on first use.

The prelude must stay small: every isolate parses it. Data only some scripts need
(tr46's Unicode tables for non-ASCII URL hosts, lol-html's WebAssembly for
HTMLRewriter) is served by the host instead. A host op cannot do it, since
``new URL()`` is synchronous; so each isolate gets one privileged JS function and
one shared ArrayBuffer (``V8Isolate.install_loader``): calling the function makes
mini-racer call back into Python on the V8 thread while JavaScript waits, and
``serve`` answers through the buffer, never calling into V8. The prelude captures
both before any script runs (resources/prelude/src/chunks.ts).

Buffer layout: ``[u32 op][u32 name length][u32 offset][u32 count][name][payload...]``.
Op 1 (size): the host writes the chunk's size into ``count`` (0xFFFFFFFF if unknown).
Op 2 (read): the host copies up to the payload area's size of the chunk, from
``offset``, into the payload area and writes how many bytes into ``count``.
Op 3 (request body): ``name`` is the id of a request body the isolate's host registered
(``V8Isolate.bodies``, runtime/webapi/request_body.py); the host copies its next bytes
(at most ``offset`` of them when ``offset`` > 0) into the payload area and writes how many
into ``count``: 0 at the body's end, ``BODY_WAIT`` when none has arrived yet (the script
awaits the ``body.wait`` op), ``MISSING`` when the body failed or is unknown.
"""

from __future__ import annotations

import functools
import time
from pathlib import Path
from typing import Any

BUFFER_SIZE = 32 * 1024
"""Bytes of the shared buffer per isolate (a 928 kB chunk takes ~29 reads)."""

CHUNKS: dict[str, str] = {
    "tr46/mappingTable.json": "tr46/lib/mappingTable.json",
    "tr46/regexes.js": "tr46/lib/regexes.js",
    "html-rewriter.wasm": "html-rewriter-wasm/dist/html_rewriter_bg.wasm",
}
"""Chunk name -> path under the toolchain's node_modules."""

OP_SIZE = 1
OP_READ = 2
OP_BODY = 3
BODY_GAP_CREDIT_S_PER_BYTE = 50e-3 / (1024 * 1024)
"""The prelude's side of a body copy (placing bytes in fresh isolate memory, the loop around the
loader calls) runs between two loader calls. Every byte copied adds this much to an allowance
(50 ms per MiB; ~1-3 ms per MiB are typical on the 2-core development machine, but a loaded
machine preempts the V8 thread for tens of ms), and the time between a call that returned bytes
and the next is credited from it. So the credit is bounded by the body's size: a script gains at
most 50 ms of wall time per MiB it was sent, however it meddles with the prelude's copy loop."""
MISSING = 0xFFFFFFFF
BODY_WAIT = 0xFFFFFFFE
HEADER = 16


@functools.cache
def _root() -> Path:
    from runtime import toolchain

    tools = toolchain.ensure()
    if tools.root is None:
        raise FileNotFoundError("the JS toolchain has no node_modules folder")
    return tools.root / "node_modules"


@functools.cache
def chunk(name: str) -> bytes | None:
    """The bytes of a named chunk, or None if the name is not one of ``CHUNKS``."""
    rel = CHUNKS.get(name)
    if rel is None:
        return None
    return (_root() / rel).read_bytes()


def _u32(buf: memoryview, at: int) -> int:
    return int.from_bytes(buf[at:at + 4], "little")


def serve(buf: memoryview, bodies: dict[str, Any] | None = None, clock: Any = None) -> None:
    """Answer one loader request in place (runs on the V8 thread; must not raise).

    ``bodies`` are the isolate's request bodies by id (op 3); ``clock`` (a V8Isolate) is
    credited with the time a body copy takes, which does not count against ``timeout_ms``.
    """
    try:
        op, n, offset = _u32(buf, 0), _u32(buf, 4), _u32(buf, 8)
        if HEADER + n > len(buf):
            buf[12:16] = MISSING.to_bytes(4, "little")
            return
        if op == OP_BODY:
            _serve_body(buf, bodies, clock, bytes(buf[HEADER:HEADER + n]).decode("ascii", "replace"), offset,
                        HEADER + n)
            return
        data = chunk(bytes(buf[HEADER:HEADER + n]).decode("ascii", "replace"))
        if data is None:
            buf[12:16] = MISSING.to_bytes(4, "little")
        elif op == OP_SIZE:
            buf[12:16] = len(data).to_bytes(4, "little")
        elif op == OP_READ:
            start = HEADER + n
            piece = data[offset:offset + len(buf) - start]
            buf[start:start + len(piece)] = piece
            buf[12:16] = len(piece).to_bytes(4, "little")
    except Exception:  # noqa: BLE001 - a ctypes callback must not raise; JS sees MISSING or no data
        buf[12:16] = MISSING.to_bytes(4, "little")


def _serve_body(buf: memoryview, bodies: dict[str, Any] | None, clock: Any, name: str, most: int,
                start: int) -> None:
    from runtime.webapi.request_body import BodyFailed

    body = bodies.get(name) if bodies is not None else None
    if body is None:
        buf[12:16] = MISSING.to_bytes(4, "little")
        return
    began = time.perf_counter()
    end = len(buf) if most <= 0 else min(len(buf), start + most)
    try:
        got = body.read_into(buf[start:end])
    except BodyFailed:
        got = MISSING
    if got is None:
        got = BODY_WAIT
    buf[12:16] = got.to_bytes(4, "little")
    if clock is not None:
        done = time.perf_counter()
        credit = done - began
        gap = began - clock.body_last_at
        if clock.body_last_bytes > 0 and gap > 0:
            take = min(gap, clock.body_allowance)
            credit += take
            clock.body_allowance -= take
        got_bytes = got if got < BODY_WAIT else 0
        clock.body_allowance += got_bytes * BODY_GAP_CREDIT_S_PER_BYTE
        clock.body_seconds += credit
        clock.body_bytes += got_bytes
        clock.body_last_at = done
        clock.body_last_bytes = got_bytes
