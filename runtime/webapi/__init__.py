"""Host-side parts of the isolate's Web APIs (the prelude's ``resources/prelude/src/web``).

Guarantees:

- Primitives come from well-kept libraries (the ``cryptography`` package, zlib,
  wsproto, lol-html, tr46), never from hand-written code.
- Every op treats its arguments as hostile: sizes are bounded, and bad input from a
  script becomes the error the Web specs name (a DOMException name or TypeError) for
  that call; it never raises into the runtime.
- The crypto ops keep no state between calls: whatever an isolate sends (key
  material included) is used for that one call and dropped, so nothing passes from
  one isolate to another through them, and nothing of it is logged.
- ``compression``: CompressionStream / DecompressionStream on zlib, with the checks the
  Compression spec requires (checksums, truncation, trailing data). Its codecs are
  the one state kept between calls: scoped to the script host that opened them (one
  app version), under random handles, at most 64 open per host.
- ``streaming``: the host end of a streamed Response body (chunks the isolate
  pushes, read by the HTTP front with backpressure).
- ``chunks``: large, rarely used prelude data (tr46's IDNA tables, HTMLRewriter's
  WebAssembly) that an isolate loads on first use through a synchronous, privileged
  loader instead of parsing with every prelude. Only the prelude can reach the loader
  (it captures and deletes it while loading), and it serves only the named chunks
  listed there, read from the pinned toolchain.
- ``cache``: the Cache API store (``caches.default`` / ``caches.open``), beside KV;
  entries persist per project (dev) or per app (server), apps never share one.
- ``websocket``: WebSockets between the HTTP front / outbound fetch and the isolate
  holding them; frames bounded to 1 MiB, every event under the script's limits.
"""
