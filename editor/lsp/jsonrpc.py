"""JSON-RPC 2.0 framing for the Language Server Protocol (Content-Length headers)."""

from __future__ import annotations

import asyncio
import json
from typing import Any

HEADER_END = b"\r\n\r\n"


class ProtocolError(Exception):
    """The server sent bytes that are not a valid LSP message."""


def encode_message(payload: dict[str, Any]) -> bytes:
    """Return `payload` serialized as one framed LSP message."""
    body = json.dumps(payload, separators=(",", ":")).encode("utf-8")
    return b"Content-Length: %d\r\n\r\n" % len(body) + body


def parse_content_length(header: bytes) -> int:
    """Return the Content-Length of a raw header block.

    Raises:
        ProtocolError: when the header has no valid Content-Length.
    """
    for line in header.split(b"\r\n"):
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            try:
                return int(value.strip())
            except ValueError as exc:
                raise ProtocolError(f"bad Content-Length: {value!r}") from exc
    raise ProtocolError(f"no Content-Length in header: {header!r}")


async def read_message(stream: asyncio.StreamReader) -> dict[str, Any] | None:
    """Read one message from `stream`; return None at end of stream."""
    try:
        header = await stream.readuntil(HEADER_END)
        body = await stream.readexactly(parse_content_length(header))
    except (asyncio.IncompleteReadError, ConnectionError):
        return None
    message = json.loads(body)
    if not isinstance(message, dict):
        raise ProtocolError(f"message is not an object: {body[:200]!r}")
    return message
