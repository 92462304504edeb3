"""The headless server runtime: storage, running apps, deploys, logs and metrics, built once.

``isoplay serve`` and the tests build a :class:`ServerCore` the same way and
serve its :attr:`ServerCore.asgi` app; nothing here imports Qt.
"""

from __future__ import annotations

import asyncio
import os
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from runtime.cluster.watch import StoreWatcher
from runtime.metrics import Metrics
from runtime.server.apps import AppRuntimes
from runtime.server.config import ServerConfig
from runtime.server.logs import LogHub, LogShipper
from runtime.server.service import DeployService
from runtime.server.errors import StoreUnavailable
from runtime.server.storage import AppRecord, DeploymentStorage
from runtime.store import open_store


@dataclass(frozen=True)
class HealthReport:
    """Liveness and readiness of the server."""

    live: bool
    """The process answers (always True when anyone can ask)."""
    ready: bool
    """Storage answers, the server is started and not stopping, and every app's live version was loaded."""
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
        self.storage: DeploymentStorage = storage or open_store(config.store, config.data_dir)
        self.metrics = metrics or Metrics()
        self.logs = LogHub(config.log_buffer)
        open_logs = getattr(self.storage, "open_logs", None)
        self.log_shipper: LogShipper | None = LogShipper(
            self.logs, open_logs(), source=f"{config.node or 'server'}-{os.getpid()}-{id(self):x}") \
            if open_logs else None
        """Shares log events with the other processes on the store, and keeps the history."""
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
        self._loading: asyncio.Task[None] | None = None
        self.apps_loaded = False
        """Every app's live version was loaded (or failed to load, see ``load_failures``) since start."""
        self.load_failures: dict[str, str] = {}
        """``app@version`` -> why its pool could not be loaded at start (the node stays ready for the others)."""

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
        if self.log_shipper is not None:
            self.log_shipper.start()
        await self.runtimes.start()
        try:
            apps: list[AppRecord] | None = self.storage.list_apps()  # the apps there are now; later deploys load
        except StoreUnavailable:                                      # as usual
            apps = None
        self._loading = asyncio.get_running_loop().create_task(self._load_live_apps(apps), name="isoplay-load-apps")

    async def _load_live_apps(self, apps: list[AppRecord] | None) -> None:
        """Load the live version of every app there was at start, so a ready node answers their first
        requests warm.

        An unreachable store is waited out (the node stays unready); an app that cannot
        load is recorded and does not hold up the others.
        """
        while not self._stopped:
            try:
                if apps is None:
                    apps = await asyncio.to_thread(self.storage.list_apps)
                for app in apps:
                    if app.live_version is None or self._stopped:
                        continue
                    key = f"{app.name}@{app.live_version}"
                    try:
                        record = self.runtimes.resolve(app.name, None)
                        await self.runtimes.pool(record)
                        self.load_failures.pop(key, None)
                    except StoreUnavailable:
                        raise
                    except Exception as exc:  # a broken or vanished app: named in /api/health, others load
                        self.load_failures[key] = f"{type(exc).__name__}: {exc}"[:300]
                self.apps_loaded = True
                return
            except StoreUnavailable:
                await asyncio.sleep(1.0)

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
        loading, self._loading = self._loading, None
        if loading is not None:
            loading.cancel()
            await asyncio.gather(loading, return_exceptions=True)
        await self.runtimes.stop()
        if self.recorder is not None:
            self.recorder.close()
        if self.log_shipper is not None:
            await self.log_shipper.stop()
            self.log_shipper.store.close()
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
        checks["apps"] = "ok" if self.apps_loaded else "loading"
        ready = all(v == "ok" for v in checks.values())
        if self.load_failures:
            checks["apps"] = "ok; failed to load: " + "; ".join(f"{k}: {v}" for k, v in self.load_failures.items())
        stats = self.runtimes.statistics()
        return HealthReport(True, ready, checks, apps, len(stats.pools), self.config.node, os.getpid(),
                            len(stats.crons))

    def __repr__(self) -> str:
        return f"<ServerCore {self.config.data_dir} {self.runtimes!r}>"
