"""The headless server runtime: storage, running apps, deploys, logs and metrics, built once.

``isoplay serve`` and the tests build a :class:`ServerCore` the same way and
serve its :attr:`ServerCore.asgi` app; nothing here imports Qt.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from runtime.cluster.watch import StoreWatcher
from runtime.metrics import Metrics
from runtime.server.apps import AppRuntimes
from runtime.server.config import ServerConfig
from runtime.server.logs import LogHub
from runtime.server.service import DeployService
from runtime.server.sqlite_storage import SqliteDeploymentStorage
from runtime.server.storage import DeploymentStorage


@dataclass(frozen=True)
class HealthReport:
    """Liveness and readiness of the server."""

    live: bool
    """The process answers (always True when anyone can ask)."""
    ready: bool
    """Storage answers and the server is started and not stopping."""
    checks: dict[str, str]
    """``ok`` or the failure, by check name."""
    apps: int
    pools: int
    node: str = ""
    """Which process answered (``host/worker`` under ``--workers``; empty for a lone server)."""
    pid: int = 0
    crons: int = 0
    """Apps whose cron schedules run in this process."""

    def to_json(self) -> dict[str, Any]:
        """The ``/api/health`` body."""
        return {"status": "ok" if self.ready else "unavailable", "live": self.live, "ready": self.ready,
                "checks": self.checks, "apps": self.apps, "pools": self.pools, "node": self.node,
                "pid": self.pid, "crons": self.crons}


class ServerCore:
    """Everything ``isoplay serve`` runs, with an explicit start/stop lifecycle.

    Args:
        config: Data dir and limits.
        storage: The deployment storage (default: SQLite under ``config.data_dir``).
        metrics: The metrics hub every app's pool records into.
        clock: Epoch-seconds clock for deploy times and cron.
    """

    def __init__(self, config: ServerConfig, *, storage: DeploymentStorage | None = None,
                 metrics: Metrics | None = None, clock: Callable[[], float] = time.time) -> None:
        self.config = config
        self.storage: DeploymentStorage = storage or SqliteDeploymentStorage.open(config.data_dir)
        self.metrics = metrics or Metrics()
        self.logs = LogHub(config.log_buffer)
        self.runtimes = AppRuntimes(self.storage, config, metrics=self.metrics, logs=self.logs, clock=clock)
        self.deploys = DeployService(self.storage, self.runtimes, config, clock=clock)
        self.recorder: Any = None
        """The runtime.replay.policy.ServerRecorder keeping the apps' recordings (None with ``--no-record``)."""
        if config.record:
            from runtime.replay.policy import ServerRecorder
            from runtime.store.recordings import open_recordings

            self.recorder = self.runtimes.recorder = ServerRecorder(open_recordings(self.storage, config.data_dir),
                                                                    clock=clock)
        self.watcher = StoreWatcher(self.storage.changes, self.runtimes.sync,
                                    subscribe=getattr(self.storage, "subscribe", None))
        """Applies deploys made through other processes sharing the store."""
        self._started = False
        self._stopped = False
        self._asgi: Any = None

    @property
    def asgi(self) -> Any:
        """The ASGI app (API, /metrics and app serving)."""
        if self._asgi is None:
            from runtime.server.asgi import ServerApp

            self._asgi = ServerApp(self)
        return self._asgi

    async def start(self) -> None:
        """Start live versions' crons (idempotent)."""
        if self._started:
            return
        self._started = True
        self.watcher.start()  # its baseline first: what is committed after it is applied, not missed
        await self.runtimes.start()

    def begin_stopping(self) -> None:
        """End log streams and refuse deploys, so open connections can finish."""
        self.logs.close()
        self.deploys.stop()

    async def stop(self) -> None:
        """Stop every pool and cron, close KV stores and the storage (idempotent)."""
        if self._stopped:
            return
        self._stopped = True
        self.begin_stopping()
        await self.watcher.stop()
        await self.runtimes.stop()
        if self.recorder is not None:
            self.recorder.close()
        self.storage.close()

    def health(self) -> HealthReport:
        """Check storage; report readiness."""
        checks: dict[str, str] = {}
        apps = 0
        try:
            self.storage.check()
            apps = len(self.storage.list_apps())
            checks["storage"] = "ok"
        except Exception as exc:  # readiness reports any storage failure instead of raising it
            checks["storage"] = f"{type(exc).__name__}: {exc}"
        checks["lifecycle"] = "ok" if self._started and not self._stopped else \
            ("stopping" if self._stopped else "starting")
        ready = all(v == "ok" for v in checks.values())
        stats = self.runtimes.statistics()
        return HealthReport(True, ready, checks, apps, len(stats.pools), self.config.node, os.getpid(),
                            len(stats.crons))

    def __repr__(self) -> str:
        return f"<ServerCore {self.config.data_dir} {self.runtimes!r}>"
