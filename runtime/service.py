"""A project served locally: build, warm pool, hot swap, cron, metrics.

The dev server, the IDE and load runs all drive a ``ProjectRuntime``. A reload
rebuilds the bundle; when it builds, a new pool replaces the old one atomically
(invocations in flight finish on the old version, new ones get the new one, and
the old pool is stopped once it drains). A build that fails keeps the last good
version serving and is reported through ``on_build``.

The newest reload wins: one that arrives while an older build is still in
esbuild cancels that build (esbuild is killed, see ``runtime.bundler``), so the
newest save builds at once instead of queueing behind stale work; every caller
of a superseded reload gets the newest build's report, and a superseded build
is never reported and never replaces the version serving.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from runtime.assets import Assets, asset_result, assets_for, header_dict
from runtime.bundler import Bundle, bundle
from runtime.errors import BundleError, ManifestError, RuntimeDisposed, UserError
from runtime.invocation import HttpRequest, InvocationResult, ScheduledTrigger, SocketTrigger, Trigger
from runtime.kv.store import KVStore
from runtime.metrics import Metrics
from runtime.pool import IsolatePool, Job, OnDone
from runtime.project import Project, write_types
from runtime.runner import host_for
from runtime.stock import IsolateStock
from runtime.triggers import CronScheduler
from runtime.webapi.cache import SQLiteCacheStore

if TYPE_CHECKING:
    from runtime.webapi.websocket import LocalSocket, PeerEvent

log = logging.getLogger(__name__)

WATCH_IGNORE = (".isoplay", "dist", "node_modules", ".git", "types", ".wrangler")
CONFIG_FILES = frozenset({"isoplay.toml", "wrangler.toml", "wrangler.json", "wrangler.jsonc", ".dev.vars", ".env"})
"""Files whose change regenerates the Env types before the reload."""


@dataclass(frozen=True)
class BuildReport:
    """The outcome of one (re)build."""

    ok: bool
    version: str
    """Content hash prefix of the bundle now serving ('' if none)."""
    duration_ms: float
    error: UserError | None = None


class ProjectRuntime:
    """Serve one local project through an isolate pool, with hot reload."""

    def __init__(self, root: Path | str, *, metrics: Metrics | None = None,
                 on_build: Callable[[BuildReport], None] | None = None,
                 on_logs: Callable[[Trigger, InvocationResult], None] | None = None,
                 run_crons: bool = False, clock: Callable[[], float] = time.time) -> None:
        self.project = Project.open(root)
        self.metrics = metrics or Metrics()
        self.on_build = on_build or (lambda _r: None)
        self.on_logs = on_logs
        self.run_crons = run_crons
        self.clock = clock
        self.kv = KVStore(self.project.kv_path)
        """The project's local KV store, shared by every version's pool."""
        self.cache = SQLiteCacheStore(self.project.cache_path)
        """The project's Cache API store (``.isoplay/cache.sqlite3``, kept across restarts)."""
        self.stock = IsolateStock()
        """Ready isolates: a reload starts its new version from one (see runtime/stock.py)."""
        self.pool: IsolatePool | None = None
        self.bundle: Bundle | None = None
        self.assets: Assets | None = None
        """The serving version's static assets (``[assets]``), answered before its Worker."""
        self.last_error: UserError | None = None
        self.cron: CronScheduler | None = None
        self._lock = asyncio.Lock()
        """Held while a finished build swaps its pool in (one swap at a time)."""
        self._generation = 0
        """Bumped by every reload (and by stop): only the build of the current generation may swap in."""
        self._bundling: asyncio.Future[Bundle] | None = None
        """The esbuild run of the newest build, cancelled when a newer reload arrives."""
        self._latest_build: asyncio.Task[BuildReport | None] | None = None
        self._builds: set[asyncio.Task[BuildReport | None]] = set()
        self._reloads: set[asyncio.Task[None]] = set()
        """Reloads started by the file watcher."""
        self._retiring: set[asyncio.Task[None]] = set()
        self._watch_task: asyncio.Task[None] | None = None
        self._stopped = False

    async def start(self) -> BuildReport:
        """Build and start serving (a failing first build is reported, not raised)."""
        return await self.reload()

    async def reload(self) -> BuildReport:
        """Rebuild; swap to the new version if it builds, else keep the old one.

        A newer reload supersedes this one: the older build's esbuild is killed and this
        call returns the report of the newest build (which is the one that may serve).

        Raises:
            RuntimeDisposed: the runtime is (or was, while building) stopped.
        """
        if self._stopped:
            raise RuntimeDisposed("the project runtime is stopped")
        self._generation += 1
        if self._bundling is not None and not self._bundling.done():
            self._bundling.cancel()  # a newer save: the older build's esbuild is killed, not waited for
        build = asyncio.get_running_loop().create_task(self._build(self._generation), name="isoplay-build")
        self._latest_build = build
        self._builds.add(build)
        build.add_done_callback(self._builds.discard)
        while True:
            report = await asyncio.shield(build)  # (a caller that gives up does not cancel a shared build)
            if report is not None:
                return report
            if self._stopped:
                raise RuntimeDisposed("the project runtime was stopped while it was building")
            build = self._latest_build  # superseded: answer with the newer build's report
            assert build is not None

    async def _build(self, generation: int) -> BuildReport | None:
        """Bundle, then start and swap in a pool; None when a newer reload (or stop) superseded the build."""
        if generation != self._generation:
            return None  # superseded before it even started
        started = time.perf_counter()
        bundling = self._bundling = asyncio.ensure_future(self._bundle(first=self.pool is None))
        built: Bundle | UserError
        try:
            built = await bundling
        except asyncio.CancelledError:
            task = asyncio.current_task()
            if bundling.cancelled() and generation != self._generation and not (task and task.cancelling()):
                return None  # superseded while in esbuild (killed and reaped by the bundler)
            raise
        except (BundleError, ManifestError, UserError) as exc:
            built = exc
        async with self._lock:
            if generation != self._generation:
                return None  # a newer reload came while this one finished bundling or waited to swap
            return await self._swap_in(generation, built, started)

    async def _bundle(self, first: bool = False) -> Bundle:
        """Bundle with the project's manifest (isoplay.toml, or the wrangler config in its environment).

        If the first build takes an early esbuild run (``isoplay dev``) that is still working, a ready
        isolate is made meanwhile (V8's start-up and the prelude, 50-100 ms), not after it."""
        manifest = await asyncio.to_thread(self.project.manifest)
        meanwhile = (lambda: self.stock.fill(up_to=1)) if first else None
        return await bundle(self.project.root, manifest=manifest, meanwhile=meanwhile)

    async def _swap_in(self, generation: int, built: Bundle | UserError, started: float) -> BuildReport | None:
        """Serve ``built`` (or report why it cannot serve); None if superseded while its pool started."""
        def elapsed() -> float:
            return (time.perf_counter() - started) * 1000

        try:
            if isinstance(built, UserError):
                raise built  # reported below like a pool that cannot start
            if self.bundle is not None and built.content_hash == self.bundle.content_hash:
                report = BuildReport(True, built.content_hash[:8], elapsed())
                self.last_error = None
                self.on_build(report)
                return report
            pool = IsolatePool(built, host_for(self.project, built, self.kv, self.cache), metrics=self.metrics,
                               stock=self.stock)
            pool.on_socket_result = self.on_logs
            await pool.start()
        except (BundleError, ManifestError, UserError) as exc:
            self.last_error = exc
            report = BuildReport(False, self.bundle.content_hash[:8] if self.bundle else "", elapsed(), exc)
            self.on_build(report)
            return report
        if generation != self._generation:  # superseded while its pool started: it never serves
            await self._retire(pool)
            return None
        old, self.pool, self.bundle = self.pool, pool, built
        self.assets = assets_for(self.project.root, built.manifest)
        self.last_error = None
        if old is not None:
            task = asyncio.get_running_loop().create_task(self._retire(old))
            self._retiring.add(task)
            task.add_done_callback(self._retiring.discard)
        await self._restart_cron(built)
        report = BuildReport(True, built.content_hash[:8], elapsed())
        self.on_build(report)
        return report

    async def _retire(self, pool: IsolatePool) -> None:
        await pool.stop()
        await pool.host.aclose()

    async def _restart_cron(self, built: Bundle) -> None:
        if self.cron is not None:
            await self.cron.stop()
            self.cron = None
        if self.run_crons and built.manifest.crons:
            self.cron = CronScheduler(built.manifest.crons, self.invoke, clock=self.clock)
            self.cron.start()

    async def invoke(self, trigger: Trigger) -> InvocationResult:
        """Run a trigger on the current version.

        Raises:
            UserError: nothing has built successfully yet (the build error).
        """
        pool = self.pool
        if pool is None:
            raise self.last_error or UserError("the project has not been built yet")
        answered = self._from_assets(trigger)
        if answered is not None:
            return answered
        on_logs = self.on_logs
        if on_logs is None:
            return await pool.invoke(trigger)
        return await pool.invoke(trigger, lambda complete: on_logs(trigger, complete))

    def submit(self, trigger: Trigger, on_done: OnDone) -> Job:
        """Queue a trigger on the current version; ``on_done`` gets the result (the HTTP front's path).

        Raises:
            UserError: nothing has built successfully yet (the build error).
        """
        pool = self.pool
        if pool is None:
            raise self.last_error or UserError("the project has not been built yet")
        answered = self._from_assets(trigger)
        if answered is not None:
            job = Job(trigger, on_done)
            on_done(answered)
            return job
        if self.on_logs is None:
            return pool.submit(trigger, on_done)
        on_logs = self.on_logs

        def logged(outcome: InvocationResult | BaseException) -> None:
            if isinstance(outcome, InvocationResult) and not outcome.head_only:  # a streamed head: not yet
                on_logs(trigger, outcome)
            on_done(outcome)

        return pool.submit(trigger, logged)

    def _from_assets(self, trigger: Trigger) -> InvocationResult | None:
        """The static assets' answer to an HTTP request they take (see runtime/assets.py), else None."""
        assets = self.assets
        if assets is None or not isinstance(trigger, HttpRequest):
            return None
        return asset_result(assets.match(trigger.method, trigger.url, header_dict(trigger.headers)))

    async def open_socket(self, request: HttpRequest, on_peer: PeerEvent,
                          on_result: Callable[[SocketTrigger, InvocationResult], None] | None = None,
                          ) -> tuple[InvocationResult, LocalSocket | None]:
        """Open a WebSocket to the script from this process (the IDE simulator's): ``request`` goes to the
        current version as an upgrade; with a 101 the returned socket carries messages both ways
        (``on_peer`` gets what the script sends and the close) and ``on_result`` each socket event's
        result. The socket lives on this runtime's loop; a reload closes it with 1012.

        Raises:
            UserError: nothing has built successfully yet (the build error).
        """
        from runtime.webapi.websocket import open_local

        pool = self.pool
        if pool is None:
            raise self.last_error or UserError("the project has not been built yet")
        on_logs = self.on_logs
        upgrade_logged = None if on_logs is None else (lambda complete: on_logs(request, complete))
        return await open_local(pool, request, on_peer, on_result, upgrade_logged)

    async def fire_cron(self, cron: str, scheduled_time: float | None = None) -> InvocationResult:
        """Run the scheduled handler now (the "Run cron now" path)."""
        return await self.invoke(ScheduledTrigger(cron, self.clock() if scheduled_time is None else scheduled_time))

    # ---- watching ----------------------------------------------------------------
    def watch(self, *, debounce_ms: int = 20) -> None:
        """Reload on every saved change under the project (watchfiles)."""
        if self._watch_task is None:
            self._watch_task = asyncio.get_running_loop().create_task(self._watch(debounce_ms), name="isoplay-watch")

    async def _watch(self, debounce_ms: int) -> None:
        from watchfiles import awatch

        root = self.project.root

        def interesting(_change: object, path: str) -> bool:
            rel = Path(path).relative_to(root).parts
            return bool(rel) and rel[0] not in WATCH_IGNORE and not rel[-1].endswith(("~", ".swp", ".tmp"))

        async for changes in awatch(root, watch_filter=interesting, debounce=debounce_ms, step=10,
                                    rust_timeout=1000, yield_on_timeout=False):
            if any(Path(p).name in CONFIG_FILES for _c, p in changes):
                try:
                    await asyncio.to_thread(write_types, root)
                except UserError:
                    pass  # the reload below reports the manifest error
            # not awaited: the next change must be able to supersede a build still running
            task = asyncio.get_running_loop().create_task(self._reload_from_watch(), name="isoplay-watch-reload")
            self._reloads.add(task)
            task.add_done_callback(self._reloads.discard)

    async def _reload_from_watch(self) -> None:
        try:
            await self.reload()
        except RuntimeDisposed:
            pass  # stopped meanwhile
        except Exception:  # a watcher reload has no caller to raise to
            log.exception("reloading %s after a change failed", self.project.root)

    async def stop(self) -> None:
        """Stop watching, stop cron, drain and dispose of every pool."""
        self._stopped = True
        self._generation += 1  # whatever is building now never serves
        if self._bundling is not None and not self._bundling.done():
            self._bundling.cancel()  # and its esbuild is killed
        if self._watch_task is not None:
            self._watch_task.cancel()
            try:
                await self._watch_task
            except asyncio.CancelledError:
                pass
        await asyncio.gather(*self._builds, *self._reloads, return_exceptions=True)
        if self.cron is not None:
            await self.cron.stop()
        if self.pool is not None:
            await self._retire(self.pool)
            self.pool = None
        for task in list(self._retiring):
            await task
        self.stock.close()
        self.kv.close()
        self.cache.close()
