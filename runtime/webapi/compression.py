"""CompressionStream / DecompressionStream as host ops on zlib.

The isolate pushes chunks with ``compression.push`` (``{h, format, mode, data,
final}``, data base64) and gets the output back. The first push opens a codec and
returns its handle; the final push flushes it (compression) or checks that the
input ended exactly at the end of the compressed data (decompression) and closes
it. Decompression output is produced at most ``MAX_OUT`` bytes per push
(``more`` asks the isolate to push again), so a small bomb cannot make the host
hold gigabytes at once; the isolate's own memory limit bounds the rest.
"""

from __future__ import annotations

import base64
import binascii
import secrets
import zlib
from collections import OrderedDict
from typing import Any

from runtime.hostops import INLINE_WHEN, SYNC_OPS, HostContext, HostOpError, host_op

WBITS = {"deflate": zlib.MAX_WBITS, "deflate-raw": -zlib.MAX_WBITS, "gzip": zlib.MAX_WBITS | 16}
"""zlib window bits per Compression-spec format."""
MAX_OUT = 4 * 1024 * 1024
"""Decompressed bytes returned per push at most."""
MAX_IN = 16 * 1024 * 1024
"""Bytes one push may carry."""
MAX_OPEN = 64
"""Open codecs per script host; opening more closes the least recently used."""


class _Codec:
    __slots__ = ("compress", "obj", "pending")

    def __init__(self, fmt: str, mode: str) -> None:
        self.compress = mode == "compress"
        self.obj: Any = (zlib.compressobj(wbits=WBITS[fmt]) if self.compress
                         else zlib.decompressobj(wbits=WBITS[fmt]))
        self.pending = b""
        """Decompression input not yet consumed (beyond MAX_OUT)."""


def _codecs(ctx: HostContext) -> OrderedDict[str, _Codec]:
    table: OrderedDict[str, _Codec] | None = getattr(ctx, "codecs", None)
    if table is None:
        table = OrderedDict()
        try:
            ctx.codecs = table  # type: ignore[attr-defined]
        except AttributeError:  # a context without room for state: codecs live for this call only
            pass
    return table


def _open(ctx: HostContext, args: dict[str, Any]) -> tuple[str, _Codec]:
    fmt, mode = args.get("format"), args.get("mode")
    if not isinstance(fmt, str) or fmt not in WBITS or mode not in ("compress", "decompress"):
        raise HostOpError("TypeError", f"Unsupported compression format: {str(fmt)[:40]!r}")
    table = _codecs(ctx)
    while len(table) >= MAX_OPEN:
        table.popitem(last=False)
    handle = secrets.token_hex(8)
    codec = table[handle] = _Codec(fmt, mode)
    return handle, codec


def _decode(args: dict[str, Any]) -> bytes:
    data = args.get("data") or ""
    if not isinstance(data, str) or len(data) > MAX_IN * 4 // 3 + 4:
        raise HostOpError("RangeError", f"a compression chunk may carry at most {MAX_IN} bytes")
    try:
        return base64.b64decode(data, validate=True)
    except (binascii.Error, ValueError):
        raise HostOpError("TypeError", "invalid chunk encoding") from None


INLINE_MAX = 256 * 1024
"""Pushes carrying at most this much (base64) are answered on the loop at once (no task)."""


@host_op("compression.push")
async def push(ctx: HostContext, args: Any) -> dict[str, Any]:
    """Feed a chunk (and, if ``final``, the end) to a codec; returns ``{h, data, more}``."""
    return push_now(ctx, args)


def push_now(ctx: HostContext, args: Any) -> dict[str, Any]:
    """``compression.push``, synchronously (zlib needs no I/O)."""
    if not isinstance(args, dict):
        raise HostOpError("TypeError", "compression.push: bad arguments")
    handle = args.get("h")
    if handle is not None and not isinstance(handle, str):
        raise HostOpError("TypeError", "compression.push: the stream handle must be text")
    table = _codecs(ctx)
    if handle is None:
        handle, codec = _open(ctx, args)
    else:
        found = table.get(handle)
        if found is None:
            raise HostOpError("TypeError", "the compression stream is closed (too many were open at once)")
        codec = found
        table.move_to_end(handle)
    data = _decode(args)
    final = bool(args.get("final"))
    try:
        out, more = _step(codec, data, final)
    except zlib.error as exc:
        table.pop(handle, None)
        raise HostOpError("TypeError", f"The compressed data is invalid: {exc}") from None
    if final and not more:
        table.pop(handle, None)
    return {"h": handle, "data": base64.b64encode(out).decode("ascii"), "more": more}


def _step(codec: _Codec, data: bytes, final: bool) -> tuple[bytes, bool]:
    obj = codec.obj
    if codec.compress:
        out = obj.compress(data) if data else b""
        return (out + obj.flush(zlib.Z_FINISH) if final else out), False
    if obj.eof and data:
        raise zlib.error("data after the end of the compressed stream")
    src = codec.pending + data
    out = obj.decompress(src, MAX_OUT)
    codec.pending = obj.unconsumed_tail
    if obj.unused_data:
        raise zlib.error("data after the end of the compressed stream")
    if codec.pending:
        return out, True
    if final and not obj.eof:
        raise zlib.error("the compressed stream ended early (truncated input)")
    return out, False


@host_op("compression.close")
async def close(ctx: HostContext, args: Any) -> None:
    """Drop a codec (its stream was cancelled or aborted)."""
    close_now(ctx, args)


def close_now(ctx: HostContext, args: Any) -> None:
    """``compression.close``, synchronously."""
    if isinstance(args, dict):
        _codecs(ctx).pop(str(args.get("h")), None)


SYNC_OPS["compression.push"] = push_now
SYNC_OPS["compression.close"] = close_now
INLINE_WHEN["compression.push"] = lambda args: isinstance(args, dict) and len(str(args.get("data") or "")) <= INLINE_MAX
INLINE_WHEN["compression.close"] = lambda args: True
