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
"""

from __future__ import annotations

import functools
from pathlib import Path

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
MISSING = 0xFFFFFFFF
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


def serve(buf: memoryview) -> None:
    """Answer one loader request in place (runs on the V8 thread; must not raise)."""
    try:
        op, n, offset = _u32(buf, 0), _u32(buf, 4), _u32(buf, 8)
        if HEADER + n > len(buf):
            buf[12:16] = MISSING.to_bytes(4, "little")
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
