"""Record and replay: an invocation's inputs captured at the isolate boundary, and fed back.

Guarantees:

- **What is recorded.** A recording holds the trigger (request with headers,
  body and ``cf``; cron; event; run input), the bundle's content hash, and every
  value that entered the isolate, in order and grouped by crossing: host-op
  results (KV, Cache API, fetch status/headers/body, host-side crypto), clock
  readings (``Date.now``, ``new Date()``, ``performance.now``, timer deadlines,
  log stamps), random bytes (``getRandomValues``, ``randomUUID``, keys the prelude
  makes) and ``Math.random``. Timers fire in the recorded order because their
  deadlines are clock readings and the host crosses with the recorded grouping.
- **Deterministic replay.** Replaying a recording with the same bundle in a fresh
  isolate produces the same response, byte for byte, and the same logs
  (timestamps included), without running a host op or waiting for a timer.
- **Divergence is reported, never papered over.** The first time the code asks
  for something the recording does not have at that point (another KV key,
  another URL, more random bytes, a clock reading more), the replay stops with
  ``ReplayDivergence``: where (TypeScript file:line:column), what was recorded,
  what was asked.
- **Redaction.** The values of the secrets and vars the manifest names never
  appear in a kept recording (``redact.Redactor``; values shorter than
  ``redact.MIN_LENGTH`` are left alone and reported); a replay fills the
  placeholders from the local project, or replays the placeholder text.
- **Recording off costs nothing measurable**: one integer comparison per clock or
  random reading in the prelude, one attribute check per crossing on the host.

Not recorded: state an isolate kept from earlier invocations (module-level
variables of a warm isolate), ``performance.timeOrigin``, WebSocket events
(socket triggers are not recordable), ``new Date()`` through a reference to
``Date`` a script saved before the recording began, and a response body
streamed to its caller past ``runtime.isolate.RECORD_STREAMED_BODY_MAX`` (4 MiB;
a shorter one is kept with the recording, so its replay answers the same body), nor a request body the
server streamed into the isolate (an upload over 64 KiB or chunked: the server does not keep those).

Public API (used by the server, the CLI and the IDE):

- ``Recording`` (``format``): the file, ``to_jsonl``/``from_jsonl``, ``summary()``.
- ``Tape`` (``tape``): what ``ScriptIsolate.record`` attaches to each result;
  ``Tape.to_recording(result, bundle_hash=..., redactor=...)`` keeps one.
- ``Redactor`` (``redact``).
- ``replay(recording, bundle, secrets=...)`` -> ``ReplayResult`` (``replayer``):
  ``.result``, ``.divergence``, ``.warnings``, ``.differences()``.
- ``RecordingPolicy`` (``policy``): which invocations the server keeps.
"""

from __future__ import annotations

from typing import Any

from runtime.replay.format import FORMAT, SUFFIX, VERSION, Recording, RecordingFormatError
from runtime.replay.redact import Redactor
from runtime.replay.tape import Tape

__all__ = ["FORMAT", "SUFFIX", "VERSION", "Recording", "RecordingFormatError", "Redactor", "ReplayDivergence",
           "ReplayResult", "Tape", "replay"]


def __getattr__(name: str) -> Any:
    # the replayer imports runtime.isolate, which imports this package: load it on first use
    if name in ("replay", "ReplayDivergence", "ReplayResult"):
        from runtime.replay import replayer

        return getattr(replayer, name)
    raise AttributeError(name)
