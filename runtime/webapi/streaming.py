"""The host end of a streamed Response body.

When a script's Response body is still being written after its handler returned,
the isolate's driver (``ScriptIsolate.finish``) pushes the chunks it gets from the
isolate into a ``ResponseStream`` and the HTTP front reads them out and writes them
as they come. Backpressure runs both ways: the driver only asks the isolate for
more (a pull crossing) while fewer than ``HIGH_WATER`` bytes wait here, and the
front only takes the next chunk once the socket has room. ``cancel()`` (the client
went away) drops what waits and tells the driver to cancel the script's stream.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Callable

HIGH_WATER = 256 * 1024
"""Bytes that may wait here before the isolate is asked for no more."""


class StreamFailed(Exception):
    """The script's body stream errored (or its invocation hit a limit) after the head was sent."""


class ResponseStream:
    """Chunks of one streamed response body, in order, then its end or its failure."""

    def __init__(self, length: int | None = None) -> None:
        self.length = length
        """The body's byte length when the script declared it (FixedLengthStream), else None (chunked)."""
        self.cancelled = False
        """The reader went away; further chunks are dropped."""
        self.on_cancel: Callable[[], None] | None = None
        """Called once by cancel() (the driver wakes up to cancel the script's stream)."""
        self._chunks: deque[bytes] = deque()
        self._size = 0
        self._ended = False
        self._error: StreamFailed | None = None
        self._readable = asyncio.Event()
        self._room = asyncio.Event()
        self._room.set()

    # ---- producer (the isolate's driver) -------------------------------------------
    def push(self, chunk: bytes) -> None:
        """Queue a chunk for the reader."""
        if self.cancelled or not chunk:
            return
        self._chunks.append(chunk)
        self._size += len(chunk)
        self._readable.set()
        if self._size >= HIGH_WATER:
            self._room.clear()

    def end(self) -> None:
        """The body is complete."""
        self._ended = True
        self._readable.set()

    def fail(self, message: str) -> None:
        """The body cannot be completed; the reader gets StreamFailed after the queued chunks."""
        if not self._ended:
            self._error = StreamFailed(message)
            self._readable.set()

    async def wait_room(self) -> None:
        """Wait until the reader has taken enough that more may be produced."""
        await self._room.wait()

    @property
    def finished(self) -> bool:
        """Ended, failed or cancelled."""
        return self._ended or self._error is not None or self.cancelled

    # ---- consumer (the HTTP front) -----------------------------------------------------
    async def next(self) -> bytes | None:
        """The next chunk, or None at the end (or after cancel()).

        Raises:
            StreamFailed: the body failed after the chunks before it.
        """
        while True:
            if self._chunks:
                chunk = self._chunks.popleft()
                self._size -= len(chunk)
                if self._size < HIGH_WATER:
                    self._room.set()
                return chunk
            if self._error is not None:
                raise self._error
            if self._ended or self.cancelled:
                return None
            self._readable.clear()
            await self._readable.wait()

    def take_all(self) -> bytes:
        """Everything queued so far, at once (for callers that want the whole body)."""
        out = b"".join(self._chunks)
        self._chunks.clear()
        self._size = 0
        self._room.set()
        return out

    def cancel(self) -> None:
        """The reader is gone: drop queued chunks and ask the producer to stop."""
        if self.cancelled:
            return
        self.cancelled = True
        self._chunks.clear()
        self._size = 0
        self._room.set()
        self._readable.set()
        if self.on_cancel is not None:
            callback, self.on_cancel = self.on_cancel, None
            callback()
