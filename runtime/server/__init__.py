"""The server runtime behind ``isoplay serve`` (no Qt).

Modules, from the bottom up:

- ``versions``: app-name and semver validators, range resolution;
- ``errors``: the API's refusals (status + code);
- ``storage`` (the interface) and ``sqlite_storage`` (the embedded default),
  with ``fsutil`` for crash-safe file placement;
- ``tokens``: API tokens, stored as hashes;
- ``upload``: the multipart upload format, encode and decode;
- ``logs``: invocation log events and their SSE fan-out;
- ``apps``: lazy isolate pools per (app, version), a KV store per app, crons;
- ``service``: publish / rollback / delete under one lock;
- ``core``: :class:`ServerCore`, which builds all of the above;
- ``api``/``openapi``/``asgi``: the HTTP surface; ``httpserver``: the HTTP front with start/stop.
"""

from __future__ import annotations

from runtime.server.config import ServerConfig
from runtime.server.core import ServerCore

__all__ = ["ServerConfig", "ServerCore"]
