"""Running deployed apps: lazy pools per (app, version), one KV store per app, live crons.

- A version's :class:`~runtime.pool.IsolatePool` is created on its first
  invocation and kept warm. Pools of versions that are not live are capped
  (least recently used are stopped); the old live version's pool is stopped
  when another version goes live, and every pool of a deleted version or app.
- Every app has one KV store, ``<data>/apps/<app>/kv.sqlite3``, shared by all
  its versions and reachable by no other app.
- The live version's cron schedules run on the server.
- Apps get no secrets and no server environment: ``env`` holds the manifest's
  vars and KV bindings only. Every address a fetch connects to is checked
  after resolution (``runtime.egress.EgressPolicy``:
  no loopback, link-local, unspecified or, unless the operator allows them,
  private addresses), so an app cannot call the deploy API or other local services.
"""

from __future__ import annotations

import asyncio
import ipaddress
import logging
import shutil
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from pathlib import Path
from typing import Any

from runtime.bundler import Bundle
from runtime.errors import RuntimeDisposed
from runtime.egress import EgressPolicy
from runtime.fetch import guarded_client
from runtime.invocation import InvocationResult, ScheduledTrigger, Trigger
from runtime.isolate import ScriptHost
from runtime.kv.store import KVStore
from runtime.metrics import Metrics
from runtime.pool import IsolatePool, Job, PoolStatistics
from runtime.server.config import ServerConfig
from runtime.server.errors import BadRequest, NotFound, PayloadTooLarge
from runtime.server.logs import LogEvent, LogHub
from runtime.server.storage import DeploymentStorage, VersionRecord
from runtime.server.versions import InvalidVersion, parse_range, resolve
from runtime.stock import IsolateStock
from runtime.triggers import CronScheduler
from runtime.webapi.cache import CacheStore, SQLiteCacheStore

log = logging.getLogger(__name__)
APPS_DIR = "apps"
PoolKey = tuple[str, str]


def is_local_host(entry: str) -> bool:
    """Whether a ``host`` or ``host:port`` allow-list entry names this machine."""
    if entry.startswith("["):
        host = entry[1:entry.find("]")]
    else:
        host = entry.rsplit(":", 1)[0] if entry.count(":") == 1 else entry
    host = host.lower()
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return False
    return address.is_loopback or address.is_unspecified or address.is_link_local


def server_fetch_allow(allow: tuple[str, ...]) -> tuple[str, ...]:
    """The manifest's fetch allow-list without entries that reach this machine."""
    return tuple(entry for entry in allow if not is_local_host(entry))


RESOLVED_MAX = 4096
"""Resolved (app, range) answers kept at most (a flood of distinct ranges cannot grow it further)."""


def check_body(pool: IsolatePool, size: int, trigger: Any = None) -> None:
    """Refuse a request body over the version's max_body_bytes (a streamed one of unknown size fails
    its reader, naming the limit, once it passes it)."""
    limit = pool.limits.max_body_bytes
    if size > limit:
        raise PayloadTooLarge(f"Payload Too Large: the body exceeds max_body_bytes ({limit} bytes)", code="body_too_large")
    stream = getattr(trigger, "body_stream", None)
    if stream is not None and (stream.limit is None or stream.limit > limit):
        stream.limit = limit


@dataclass(frozen=True)
class AppRuntimesStatistics:
    """Pools, KV stores and cron schedulers alive."""

    pools: dict[str, PoolStatistics]
    """By ``app@version``."""
    kv_stores: int
    crons: dict[str, int]
    """Cron firings so far, by app."""


class AppRuntimes:
    """The running side of the server: resolves versions and invokes them."""

    def __init__(self, storage: DeploymentStorage, config: ServerConfig, *, metrics: Metrics, logs: LogHub,
                 clock: Callable[[], float] = time.time) -> None:
        self.storage = storage
        self.config = config
        self.metrics = metrics
        self.logs = logs
        self.clock = clock
        self._pools: dict[PoolKey, IsolatePool] = {}
        self._pool_locks: dict[PoolKey, asyncio.Lock] = {}
        self._last_used: dict[PoolKey, float] = {}
        self._kv: dict[str, KVStore] = {}
        self._cache: dict[str, CacheStore] = {}
        self._crons: dict[str, CronScheduler] = {}
        self._live: dict[str, str | None] = {}
        self._served_live: set[PoolKey] = set()
        self._resolved: dict[tuple[str, str | None], VersionRecord] = {}
        """What ``resolve`` answered, until the registry changes (``forget_resolved``)."""
        """Versions requests reached as the live one (not by a pinned range): retired when no longer live."""
        """The live version each app's pools and cron were last brought in line with."""
        self._stopped = False
        self.stock = IsolateStock()
        """Ready isolates for every app's pools (a deploy or a cold app starts from one)."""
        self.recorder: Any = None
        """The runtime.replay.policy.ServerRecorder that keeps recordings (set by ServerCore)."""

    # ---- lifecycle -----------------------------------------------------------
    async def start(self) -> None:
        """Start the cron schedules of every app's live version, and stock ready isolates."""
        self.stock.fill()
        for app in self.storage.list_apps():
            await self.live_changed(app.name)

    async def stop(self) -> None:
        """Stop crons and pools, close KV stores."""
        self._stopped = True
        for app in list(self._crons):
            await self._stop_cron(app)
        for key in list(self._pools):
            await self._stop_pool(key)
        self.stock.close()
        for store in self._kv.values():
            store.close()
        self._kv.clear()
        for cache in self._cache.values():
            cache.close()
        self._cache.clear()

    # ---- resolution ----------------------------------------------------------
    def resolve(self, app: str, range_text: str | None) -> VersionRecord:
        """The version ``/{app}`` (live) or ``/{app}@{range}`` selects.

        Answers are kept until the registry changes: every change made through this
        process forgets them (``forget_resolved``), and so does the store watcher's
        ``sync`` for changes made elsewhere, as PostgreSQL's read cache already did.
        Reading the registry cost two SQLite queries per request (tens of us, more
        than the rest of a hello-world request's Python work).

        Raises:
            NotFound: no such app, nothing live, or no version in range.
            BadRequest: the range is not 1.2.3, 1.2, 1 or latest.
        """
        cached = self._resolved.get((app, range_text))
        if cached is not None:
            if range_text is None:
                self._served_live.add((app, cached.version))
            return cached
        found = self._resolve(app, range_text)
        if len(self._resolved) >= RESOLVED_MAX:
            self._resolved.clear()
        self._resolved[(app, range_text)] = found
        return found

    def forget_resolved(self) -> None:
        """The registry changed: resolve from it again."""
        self._resolved.clear()

    def _resolve(self, app: str, range_text: str | None) -> VersionRecord:
        record = self.storage.get_app(app)
        if record is None:
            raise NotFound(f"no app named {app!r} is deployed here", code="app_not_found")
        if range_text is None:
            version = record.live_version
            if version is None:
                raise NotFound(f"{app} has no live version", code="no_live_version")
            self._served_live.add((app, version))
        else:
            try:
                spec = parse_range(range_text)
            except InvalidVersion as exc:
                raise BadRequest(str(exc), code="bad_version") from None
            version = resolve(spec, [v.version for v in self.storage.list_versions(app)])
            if version is None:
                raise NotFound(f"{app} has no version matching {range_text}", code="version_not_found")
        found = self.storage.get_version(app, version)
        if found is None:
            raise NotFound(f"{app} has no version {version}", code="version_not_found")
        return found

    # ---- invoking --------------------------------------------------------------
    async def invoke(self, app: str, range_text: str | None, trigger: Trigger, *,
                     body_size: int = 0) -> tuple[VersionRecord, InvocationResult]:
        """Run ``trigger`` on the version the range selects; publish its log event.

        Raises:
            NotFound, BadRequest: as ``resolve``.
            PayloadTooLarge: ``body_size`` passes the version's max_body_bytes.
        """
        for attempt in range(3):
            record = self.resolve(app, range_text)
            pool = await self.pool(record)
            check_body(pool, body_size, trigger)
            version, logs, node, recorder, bundle = record.version, self.logs, self.config.node, self.recorder, pool.bundle

            def complete(result: InvocationResult) -> None:  # once, with the whole invocation (a stream at its end)
                logs.publish(LogEvent.of(app, version, trigger, result, node))
                if result.recording is not None and recorder is not None:
                    recorder.keep(app, version, bundle, result)

            try:
                result = await pool.invoke(trigger, complete)
            except RuntimeDisposed:
                if attempt == 2 or self._stopped:
                    raise
                continue  # the pool was retired by a rollback or delete meanwhile: resolve again
            return record, result
        raise AssertionError("unreachable")

    def submit(self, app: str, range_text: str | None, trigger: Trigger,
               on_done: Callable[[VersionRecord, InvocationResult | BaseException], None], *,
               body_size: int = 0) -> Job | None:
        """Queue ``trigger`` on a version whose pool is already warm (the HTTP front's path).

        Returns None when the pool is not loaded yet (or was just retired): the
        caller takes the async ``invoke`` path instead.

        Raises:
            NotFound, BadRequest: as ``resolve``.
            PayloadTooLarge: ``body_size`` passes the version's max_body_bytes.
        """
        record = self.resolve(app, range_text)
        key = (record.app, record.version)
        pool = self._pools.get(key)
        if pool is None or self._stopped:
            return None
        check_body(pool, body_size, trigger)
        self._last_used[key] = time.monotonic()
        logs = self.logs
        node = self.config.node
        recorder = self.recorder

        def done(outcome: InvocationResult | BaseException) -> None:
            whole = isinstance(outcome, InvocationResult) and not outcome.head_only  # a streamed head: not yet
            if whole and isinstance(outcome, InvocationResult):
                logs.publish_result(app, record.version, trigger, outcome, node)
            try:
                on_done(record, outcome)
            finally:  # the recording is kept once the answer is on its way (keep is off the answer's latency)
                if whole and isinstance(outcome, InvocationResult) and outcome.recording is not None and recorder is not None:
                    recorder.keep(app, record.version, pool.bundle, outcome)

        try:
            return pool.submit(trigger, done)
        except RuntimeDisposed:
            return None

    async def pool(self, record: VersionRecord) -> IsolatePool:
        """The warm pool of a version, created on first use."""
        if self._stopped:
            raise RuntimeDisposed("the server is stopping")
        key = (record.app, record.version)
        self._last_used[key] = time.monotonic()
        pool = self._pools.get(key)
        if pool is not None:
            return pool
        async with self._pool_locks.setdefault(key, asyncio.Lock()):
            pool = self._pools.get(key)
            if pool is None:
                bundle = await asyncio.to_thread(self.storage.load_bundle, record)
                pool = IsolatePool(bundle, self._host(record.app, bundle), metrics=self.metrics, stock=self.stock)
                policy = bundle.manifest.recordings
                pool.record = self.recorder is not None and policy.active
                pool.record_ok = policy.sample > 0  # failures only: an invocation that ended well needs no tape
                app, version, logs, node = record.app, record.version, self.logs, self.config.node
                # a WebSocket event (message, close, error) is an invocation of its own, logged like a request
                pool.on_socket_result = lambda trigger, result: logs.publish_result(app, version, trigger, result,
                                                                                    node)
                await pool.start()
                self._pools[key] = pool
                await self._evict_pinned()
        return pool

    def _host(self, app: str, bundle: Bundle) -> ScriptHost:
        policy = EgressPolicy(allow_private=self.config.fetch_allow_private,
                              allow_loopback=self.config.fetch_allow_loopback)
        # Entries naming this machine stay in the list: the guarded client refuses their
        # addresses with the rule named (a dropped entry gave a misleading "add it to allow").
        return ScriptHost(script_name=app, fetch_allow=bundle.manifest.fetch_allow,
                          kv_store=self.kv(app), secrets={}, cache_store=self.cache(app),
                          d1_store=self._d1(app, bundle), r2_store=self._r2(app, bundle), _http=guarded_client(policy))

    def _r2(self, app: str, bundle: Bundle) -> Any:
        """The app's R2 buckets: a SQLite file in its data folder (see ``_node_local``)."""
        from runtime.r2.store import store_for

        return self._node_local("R2", "bucket", lambda: store_for(bundle.manifest, self.app_dir(app) / "r2.sqlite3"))

    def _d1(self, app: str, bundle: Bundle) -> Any:
        """The app's D1 databases: SQLite files in its data folder (see ``_node_local``)."""
        from runtime.d1.store import store_for

        return self._node_local("D1", "database", lambda: store_for(bundle.manifest, self.app_dir(app) / "d1"))

    def _node_local(self, kind: str, what: str, make: Callable[[], Any]) -> Any:
        """A store kept in this node's files, or, on a shared (PostgreSQL) store, one that refuses every binding
        saying why: node-local files would split an app's data between nodes."""
        if not self.config.store:
            return make()
        return _Refusing(kind, f"{kind} is not available on an isoplay server with a PostgreSQL store yet: each "
                               f"node would keep its own copy of the {what}; run this app on a server with the "
                               "embedded (SQLite) store")

    def kv(self, app: str) -> KVStore:
        """The app's KV store (opened on first use)."""
        store = self._kv.get(app)
        if store is None:
            store = self._kv[app] = self.storage.open_kv(app)
        return store

    def cache(self, app: str) -> CacheStore:
        """The app's Cache API store (in the deployment store: its own SQLite file in the app's folder,
        or its rows in PostgreSQL shared by every node), opened on first use."""
        store = self._cache.get(app)
        if store is None:
            opener = getattr(self.storage, "open_cache", None)
            store = self._cache[app] = opener(app) if opener else SQLiteCacheStore.for_data_dir(self.app_dir(app))
        return store

    def app_dir(self, app: str) -> Path:
        """The folder of an app's runtime data (its KV store)."""
        return self.config.data_dir / APPS_DIR / app

    async def _evict_pinned(self) -> None:
        live = {a.name: a.live_version for a in self.storage.list_apps()}
        pinned = [k for k in self._pools if live.get(k[0]) != k[1]]
        excess = len(pinned) - self.config.max_pinned_pools
        for key in sorted(pinned, key=lambda k: self._last_used.get(k, 0.0))[:max(0, excess)]:
            await self._stop_pool(key)

    async def _stop_pool(self, key: PoolKey) -> None:
        self._served_live.discard(key)
        pool = self._pools.pop(key, None)
        self._last_used.pop(key, None)
        if pool is not None:
            await pool.stop()
            await pool.host.aclose()

    # ---- changes -------------------------------------------------------------
    async def live_changed(self, app: str, previous: str | None = None) -> None:
        """Restart the app's cron for its live version; retire the old live pool."""
        self.forget_resolved()
        await self._stop_cron(app)
        record = self.storage.get_app(app)
        if previous is not None and (record is None or record.live_version != previous):
            await self._stop_pool((app, previous))
        if record is None:
            self._live.pop(app, None)
            return
        self._live[app] = record.live_version
        if record.live_version is None:
            return
        version = self.storage.get_version(app, record.live_version)
        if version is not None and version.crons and self.config.run_crons and not self._stopped:
            scheduler = CronScheduler(version.crons, lambda trigger: self._fire_cron(app, trigger), clock=self.clock,
                                      sleep=getattr(self.clock, "sleep", asyncio.sleep))
            self._crons[app] = scheduler
            scheduler.start()

    async def _fire_cron(self, app: str, trigger: ScheduledTrigger) -> InvocationResult | None:
        claim = getattr(self.storage, "claim_tick", None)
        if claim is not None:  # a shared store: every node schedules, one claims each tick
            claimed = await asyncio.to_thread(claim, app, trigger.cron, trigger.scheduled_time, self.config.node)
            if not claimed:
                return None
        _, result = await self.invoke(app, None, trigger)
        return result

    async def _stop_cron(self, app: str) -> None:
        scheduler = self._crons.pop(app, None)
        if scheduler is not None:
            await scheduler.stop()

    async def sync(self) -> int:
        """Bring pools and crons in line with the store after another process changed it.

        Idempotent: what this process already applied is left alone. Returns how
        many apps needed a change.
        """
        self.forget_resolved()
        apps = {record.name: record for record in self.storage.list_apps()}
        changed = 0
        for app in [a for a in self._live if a not in apps]:
            await self.app_deleted(app, remove_data=False)
            changed += 1
        for name, record in apps.items():
            if name not in self._live or self._live[name] != record.live_version:
                await self.live_changed(name, self._live.get(name))
                changed += 1
        for app, version in list(self._pools):
            if app in apps and self.storage.get_version(app, version) is None:
                await self.version_deleted(app, version)
                changed += 1
            elif app in apps and (app, version) in self._served_live and apps[app].live_version != version:
                await self._stop_pool((app, version))  # it was live here once; a change we never saw moved on
                changed += 1
        return changed

    async def version_deleted(self, app: str, version: str) -> None:
        """Stop the pool of a deleted version."""
        self.forget_resolved()
        await self._stop_pool((app, version))

    async def app_deleted(self, app: str, *, remove_data: bool = True) -> None:
        """Stop everything of a deleted app and remove its KV data (unless another process already did)."""
        self.forget_resolved()
        await self._stop_cron(app)
        self._live.pop(app, None)
        for key in [k for k in self._pools if k[0] == app]:
            await self._stop_pool(key)
        store = self._kv.pop(app, None)
        if store is not None:
            store.close()
        cache = self._cache.pop(app, None)
        if cache is not None:
            cache.close()
        if remove_data:
            await asyncio.to_thread(shutil.rmtree, self.app_dir(app), True)
            if self.recorder is not None:
                self.recorder.forget(app)
                await asyncio.to_thread(self.recorder.store.delete_app, app)

    # ---- introspection -------------------------------------------------------
    def statistics(self) -> AppRuntimesStatistics:
        """Pools by app@version, open KV stores, cron firings by app."""
        return AppRuntimesStatistics(
            pools={f"{a}@{v}": p.statistics() for (a, v), p in self._pools.items()},
            kv_stores=len(self._kv), crons={a: c.statistics().fired for a, c in self._crons.items()})

    def __repr__(self) -> str:
        return f"<AppRuntimes pools={len(self._pools)} kv={len(self._kv)} crons={len(self._crons)}>"


class _Refusing:
    """A D1 or R2 store whose every binding refuses with ``reason`` (``AppRuntimes._node_local``)."""

    def __init__(self, kind: str, reason: str) -> None:
        self.kind, self.reason = kind, reason

    def _refuse(self, binding: str) -> Any:
        from runtime.hostops import HostOpError

        raise HostOpError("Error", f"{self.kind} binding {binding}: {self.reason}")

    database = bucket = _refuse
