"""The host end of a streamed request body (``request.body`` as a ReadableStream fed by the host).

Guarantees:

- **Held once.** The HTTP front pushes the body's pieces here as they arrive and
  stops reading the socket while more than ``HIGH_WATER`` bytes wait; the isolate
  takes them out as the script reads, so the host holds at most about
  ``HIGH_WATER`` plus one socket read of a body at any moment (a body the caller
  already has whole, ``RequestBody.whole``, is read from in place, not copied).
- **Read without encoding.** The isolate copies bytes out synchronously through its
  loader buffer (``runtime/webapi/chunks.py``, op 3) while JavaScript waits, so a
  body never travels as a JSON or base64 string; when nothing has arrived yet the
  script awaits the ``body.wait`` host op (``runtime/isolate.py``) and reads again.
- **Not the script's time.** Time spent copying a body into the isolate and time
  spent waiting for the client to send more are added to the invocation's
  ``timeout_ms`` deadline (``V8Isolate.body_seconds``; the wait credit is bounded by
  ``MAX_WAIT_CREDIT_S`` per invocation, and a client that sends nothing for
  ``IDLE_S`` fails the read).
- **Failures are named.** A body that passes ``max_body_bytes``, a client that goes
  away mid-body or stalls, reach the script as a TypeError saying which; the
  process and the isolate carry on.

- **Recordable.** An isolate that records (runtime/replay) tapes what each read gave it
  (``record``): the bytes, "nothing yet", the end or the failure, up to a byte cap. A replay
  reads the same pieces in the same order from a ``ReplayedBody``, so a script that reads an
  upload as it arrives sees the same chunks and waits at the same points.

Threads: ``push``/``end``/``fail`` run on the front's event loop; ``read_into`` runs on
the isolate's V8 thread (inside a crossing); ``wait`` on the loop that drives the
invocation. A lock keeps the queue consistent between them.
"""

from __future__ import annotations

import asyncio
import itertools
import threading
from collections import deque
from collections.abc import Callable
from typing import Any

HIGH_WATER = 1024 * 1024
"""Bytes that may wait here before the front stops reading the socket."""
LOW_WATER = 256 * 1024
"""The front reads the socket again once fewer bytes than this wait."""
GATHER = 8 * 1024 * 1024
"""A whole read of a body of declared length (``text()``/``arrayBuffer()``/``json()``) waits until
this much of it (or all that is left) has arrived before it copies (``wait(want=...)``): one
crossing per 8 MiB instead of one per ~1 MiB. Each crossing's thread hand-offs are charged to
the script beyond the per-byte allowance (chunks.py), and under load (10 on 2 cores) a
crossing took 60-140 ms whatever it copied: a 90 MiB body then used up a 250 ms timeout_ms."""
IDLE_S = 30.0
"""A read that waits this long for the client's next byte fails."""
MAX_WAIT_CREDIT_S = 600.0
"""At most this much time spent waiting for a body is added to one invocation's deadline."""
INLINE_BODY_BYTES = 64 * 1024
"""Bodies up to this size that are complete when their request starts travel inline, in the
request's spec (one crossing, as before); larger or still-arriving ones are streamed."""

_ids = itertools.count(1)


class BodyFailed(Exception):
    """The body cannot be read to its end (the message says why)."""


class RequestBody:
    """One request body: pieces in arrival order, then its end or its failure."""

    def __init__(self, length: int | None = None, limit: int | None = None) -> None:
        self.id = str(next(_ids))
        self.length = length
        """The declared length (Content-Length), or None for a chunked body."""
        self.limit = limit
        """max_body_bytes: pushing past it fails the body."""
        self.received = 0
        self._chunks: deque[memoryview] = deque()
        self._buffered = 0
        self._ended = False
        self._error: str | None = None
        self.abandoned = False
        """The invocation ended without reading it all: later pieces are dropped."""
        self._lock = threading.Lock()
        self._waiters: list[tuple[asyncio.AbstractEventLoop, asyncio.Future[None]]] = []
        self.on_room: Callable[[], None] | None = None
        """Called (on any thread) when the buffered bytes fall below LOW_WATER or the body is abandoned."""
        self._full = False
        self._high = HIGH_WATER
        """Bytes that may wait here before the front stops reading (raised to a gathering read's want)."""
        self.unbounded = False
        """The reader wants the whole body at once (``wait(whole=True)``): no backpressure."""
        self.tape: list[Any] | None = None
        """While a recording isolate reads it (``record``): each read's result, in order (``taped``)."""
        self.tape_cut = False
        """The isolate read more than the tape's cap: the tape was dropped (the invocation is not recordable)."""
        self.tape_max = 0
        """The tape's cap in bytes read (``record``)."""
        self._tape_left = 0

    @classmethod
    def whole(cls, data: bytes) -> RequestBody:
        """A body that is already complete (read in place)."""
        body = cls(len(data))
        if data:
            body._chunks.append(memoryview(data))
            body._buffered = body.received = len(data)
        body._ended = True
        return body

    # ---- producer (the front) ------------------------------------------------------
    def push(self, data: bytes) -> bool:
        """Add a piece; returns whether the producer should stop reading for now."""
        if self._error is not None or self._ended:
            return False
        self.received += len(data)
        if self.limit is not None and self.received > self.limit:
            self.fail(f"the request body exceeds max_body_bytes ({self.limit} bytes)")
            return False
        if self.abandoned or not data:
            return False
        with self._lock:
            self._chunks.append(memoryview(data))
            self._buffered += len(data)
            self._full = self._buffered > self._high and not self.unbounded
            full = self._full
        self._wake()
        return full

    def end(self) -> None:
        """The body is complete."""
        self._ended = True
        self._wake()

    def fail(self, message: str) -> None:
        """The body cannot complete (the reader gets a TypeError with ``message``)."""
        if self._ended or self._error is not None:
            return
        self._error = message
        with self._lock:
            self._chunks.clear()
            self._buffered = 0
        self._wake()

    @property
    def complete(self) -> bool:
        """Every byte arrived (it may not all have been read)."""
        return self._ended

    @property
    def error(self) -> str | None:
        """Why the body failed, if it did."""
        return self._error

    def abandon(self) -> None:
        """The reader is done (its invocation ended): drop what waits and what still comes."""
        self.abandoned = True
        with self._lock:
            self._chunks.clear()
            self._buffered = 0
        room = self.on_room
        if room is not None:
            room()

    # ---- consumer (the isolate) --------------------------------------------------------
    def read_into(self, buf: memoryview) -> int | None:
        """Copy the next bytes into ``buf``: how many (> 0), 0 at the end, None if none arrived yet.

        Raises:
            BodyFailed: the body failed (its message says why).
        """
        tape = self.tape
        if self._error is not None:
            if tape is not None:
                tape.append(("fail", self._error))
            raise BodyFailed(self._error)
        room = None
        with self._lock:
            if not self._chunks:
                if self._ended:
                    if tape is not None:
                        tape.append(0)
                    return 0
                if tape is not None:
                    tape.append(None)
                return None
            n = 0
            want = len(buf)
            pieces: list[memoryview] | None = [] if tape is not None else None
            while self._chunks and n < want:
                head = self._chunks[0]
                take = min(len(head), want - n)
                buf[n:n + take] = head[:take]
                if pieces is not None:
                    pieces.append(head[:take])  # a view of the pushed bytes (immutable): no copy
                n += take
                if take == len(head):
                    self._chunks.popleft()
                else:
                    self._chunks[0] = head[take:]
            self._buffered -= n
            if self._full and self._buffered < LOW_WATER:
                self._full = False
                room = self.on_room
        if tape is not None and pieces is not None:
            self._tape_left -= n
            if self._tape_left < 0:
                self.tape, self.tape_cut = None, True
            else:
                tape.append(pieces)
        if room is not None:
            room()
        return n

    # ---- recording (runtime/replay) -------------------------------------------------
    def record(self, most: int) -> None:
        """Tape every read from now on (the reads so far, if any, are lost: call it before the isolate reads),
        up to ``most`` bytes read; past them the tape is dropped and ``tape_cut`` set."""
        if self.tape is None and not self.tape_cut:
            self.tape = []
            self.tape_max = self._tape_left = most

    def taped(self) -> tuple[bytes, list[Any]]:
        """The bytes the isolate read, and what each read gave it: a byte count, None for "nothing had
        arrived yet", 0 for the end, ``{"error": message}`` for a failure (the recording's form)."""
        data: list[memoryview] = []
        reads: list[Any] = []
        for item in self.tape or ():
            if type(item) is list:
                data.extend(item)
                reads.append(sum(len(piece) for piece in item))
            elif type(item) is tuple:
                reads.append({"error": item[1]})
            else:
                reads.append(item)
        return b"".join(data), reads

    async def wait(self, whole: bool = False, want: int = 0) -> int:
        """Until bytes are there to read, the body ended, or it failed (at most IDLE_S without a byte);
        with ``whole``, until the body ended (the front reads on without backpressure meanwhile);
        with ``want``, until that many bytes (at most GATHER) wait or the body ended (the front
        reads on until then). Returns how many bytes wait unread.

        Raises:
            BodyFailed: it failed, or no byte came for IDLE_S.
        """
        loop = asyncio.get_running_loop()
        if whole and not self.unbounded:
            self.unbounded = True
            self._full = False
            room = self.on_room
            if room is not None:
                room()
        want = max(0, min(want, GATHER))
        if want > self._high:
            with self._lock:
                self._high = want
                resume = self._full and self._buffered <= want
                if resume:
                    self._full = False
            room = self.on_room
            if resume and room is not None:
                room()
        while True:
            if self._error is not None:
                raise BodyFailed(self._error)
            with self._lock:
                if self._ended or (self._chunks and not whole and self._buffered >= want):
                    return self._buffered
                future: asyncio.Future[None] = loop.create_future()
                self._waiters.append((loop, future))
            try:
                await asyncio.wait_for(future, IDLE_S)
            except TimeoutError:
                self.fail(f"the client sent no body data for {IDLE_S:.0f} s")

    async def read(self) -> bytes | None:
        """The next piece for a Python reader (the ASGI bridge), None at the end."""
        while True:
            if self._error is not None:
                raise BodyFailed(self._error)
            with self._lock:
                if self._chunks:
                    piece = self._chunks.popleft()
                    self._buffered -= len(piece)
                    room = self.on_room if self._full and self._buffered < LOW_WATER else None
                    if room is not None:
                        self._full = False
                else:
                    piece, room = None, None
            if room is not None:
                room()
            if piece is not None:
                return bytes(piece)
            if self._ended:
                return None
            await self.wait()

    def _wake(self) -> None:
        with self._lock:
            waiters, self._waiters = self._waiters, []
        for loop, future in waiters:
            if loop.is_closed():
                continue
            try:
                running = asyncio.get_running_loop()
            except RuntimeError:
                running = None
            if running is loop:
                if not future.done():
                    future.set_result(None)
            else:
                loop.call_soon_threadsafe(_settle, future)


def _settle(future: asyncio.Future[None]) -> None:
    if not future.done():
        future.set_result(None)


class ReplayedBody:
    """A recorded streamed request body, read again as it was read (``RequestBody.taped``): the same pieces,
    the same "nothing yet" answers (the script then awaits ``body.wait``, whose recorded result the replay
    feeds), the same end or failure. ``reader`` makes a fresh one, so a recording replays as often as needed
    (the debugger's Step Back replays from the start).
    """

    def __init__(self, id_: str, length: int | None, data: bytes, reads: list[Any]) -> None:
        self.id = id_
        """The recorded body's id: the script's ``body.wait`` calls name it, and must match the recording."""
        self.length = length
        self.data = data
        self.reads = reads
        self._at = 0
        self._next = 0
        self._carry = 0
        """Bytes of the current recorded read that a smaller buffer could not take."""

    def reader(self) -> ReplayedBody:
        """A new reader of the same recorded body, from its start."""
        return ReplayedBody(self.id, self.length, self.data, self.reads)

    @property
    def error(self) -> str | None:
        return None

    def read_into(self, buf: memoryview) -> int | None:
        """The next recorded read (see ``RequestBody.read_into``)."""
        if self._carry == 0:
            if self._next >= len(self.reads):  # past the recording: what a changed script reads
                if self.reads and self.reads[-1] == 0:
                    return 0
                raise BodyFailed("the recording has no more of the request body (the recorded invocation "
                                 f"read {len(self.data)} bytes of it)")
            read = self.reads[self._next]
            self._next += 1
            if read is None or read == 0:
                return read  # type: ignore[no-any-return]
            if isinstance(read, dict):
                raise BodyFailed(str(read.get("error", "the request body failed")))
            self._carry = int(read)
        n = min(self._carry, len(buf), len(self.data) - self._at)
        buf[:n] = self.data[self._at:self._at + n]
        self._at += n
        self._carry -= n
        if n == 0:  # a recording whose reads promise more bytes than it holds
            self._carry = 0
            raise BodyFailed("the recording's request body is shorter than its reads say")
        return n

    def abandon(self) -> None:
        """Nothing to release."""

    async def wait(self, whole: bool = False, want: int = 0) -> int:
        """Not used in a replay (the recorded ``body.wait`` results are fed); says what is left."""
        return len(self.data) - self._at
