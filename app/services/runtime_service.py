"""``RuntimeService``: one ``ProjectRuntime`` on the ``RuntimeThread``, results as Qt signals.

The GUI thread only submits coroutines (``RuntimeThread.submit``) and receives
their outcome through ``FutureBridge``; the build callback of the runtime (called
on the runtime thread) re-emits through a queued signal. Saving a file calls
``reload()``; a run that starts while that rebuild is in flight waits for it,
so the next run always uses the code that was saved. ``ProjectRuntime.watch``
also rebuilds on changes made outside the IDE.

Latest run wins: every run carries a sequence number and only the newest one
is reported as ``sig_invocation_finished`` (older ones still log to the Console
through ``sig_logs_received``).
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import itertools
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, Qt, Signal

from app.bridge import FutureBridge
from app.services.types import Failure
from runtime.errors import UserError
from runtime.invocation import InvocationResult, Trigger
from runtime.loop import RuntimeThread
from runtime.project import write_types
from runtime.service import BuildReport, ProjectRuntime

RuntimeFactory = Callable[..., ProjectRuntime]


@dataclass(frozen=True)
class ProjectOpened:
    """Payload of ``RuntimeService.sig_project_opened``."""

    root: Path
    """The project folder (resolved)."""
    name: str
    """Script name from the manifest ('' if the manifest does not load)."""
    main: Path
    """Absolute path of the entry file."""
    crons: tuple[str, ...]
    """The manifest's cron schedules."""
    build: BuildReport
    """The first build."""


@dataclass(frozen=True)
class BuildFinished:
    """Payload of ``RuntimeService.sig_build_finished``."""

    root: Path
    """The project that was built."""
    report: BuildReport
    """What the build did (``report.error`` holds a UserError with diagnostics)."""


@dataclass(frozen=True)
class InvocationFinished:
    """Payload of ``RuntimeService.sig_invocation_finished`` and ``sig_logs_received``."""

    root: Path
    """The project that ran."""
    trigger: Trigger
    """What was run."""
    result: InvocationResult
    """What came out (logs, response or error)."""
    sequence: int
    """Run number (increasing)."""
    debugged: bool = False
    """Run by a debug session (built from the sources on disk at its start, never an older build)."""


@dataclass(frozen=True)
class InvocationRefused:
    """Payload of ``RuntimeService.sig_invocation_refused``: the run could not start."""

    root: Path
    """The project."""
    trigger: Trigger
    """What was asked for."""
    error: UserError
    """Why (usually the build error: nothing has built yet)."""


class RuntimeService(QObject):
    """Opens, rebuilds and runs the current project on the runtime thread.

    Args:
        thread: the started runtime thread.
        bridge: delivers futures on the GUI thread.
        on_failure: where system errors go (``ErrorReporter.report``).
        runtime_factory: builds the ``ProjectRuntime`` (tests may wrap it).
    """

    sig_project_opened = Signal(object)
    """ProjectOpened: the runtime for a project is up (its first build may have failed)."""
    sig_project_open_failed = Signal(object)
    """Failure: the folder could not be opened as a project (e.g. no isoplay.toml)."""
    sig_build_finished = Signal(object)
    """BuildFinished: a (re)build ended, successfully or not."""
    sig_invocation_started = Signal(object)
    """Trigger: a run was submitted."""
    sig_invocation_finished = Signal(object)
    """InvocationFinished: the newest run ended (ok, threw, or hit a limit)."""
    sig_logs_received = Signal(object)
    """InvocationFinished: any run ended (the Console shows every run's logs)."""
    sig_invocation_refused = Signal(object)
    """InvocationRefused: the run could not start (the project has not built)."""

    _sig_build_from_thread = Signal(object)

    def __init__(self, thread: RuntimeThread, bridge: FutureBridge, on_failure: Callable[[Failure], None],
                 runtime_factory: RuntimeFactory = ProjectRuntime, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._thread = thread
        self._bridge = bridge
        self._on_failure = on_failure
        self._factory = runtime_factory
        self._runtime: ProjectRuntime | None = None
        self._root: Path | None = None
        self._reload: concurrent.futures.Future[BuildReport] | None = None
        self._sequence = itertools.count(1)
        self._latest = 0
        self._sig_build_from_thread.connect(self.sig_build_finished, Qt.ConnectionType.QueuedConnection)

    @property
    def root(self) -> Path | None:
        """The open project's folder, if any."""
        return self._root

    def is_running(self) -> bool:
        """Whether a project runtime is open."""
        return self._runtime is not None

    # -- lifecycle -----------------------------------------------------------------

    def open_project(self, root: Path) -> None:
        """Close the current project (if any) and open ``root``; see ``sig_project_opened``."""
        previous, self._runtime, self._root = self._runtime, None, root.resolve()
        future = self._thread.submit(self._open(previous, self._root))
        self._bridge.watch(future, self._on_opened, self.sig_project_open_failed.emit, f"opening {root}")

    async def _open(self, previous: ProjectRuntime | None, root: Path) -> tuple[ProjectRuntime, ProjectOpened]:
        if previous is not None:
            await previous.stop()
        runtime = self._factory(root, on_build=lambda report: self._sig_build_from_thread.emit(BuildFinished(root, report)))
        try:
            manifest = await asyncio.to_thread(runtime.project.manifest)
            await asyncio.to_thread(write_types, runtime.project.root, manifest)
            name, main, crons = manifest.name, manifest.main, manifest.crons
        except UserError:
            name, main, crons = "", "src/index.ts", ()  # the build below reports the manifest error
        report = await runtime.start()
        runtime.watch()
        return runtime, ProjectOpened(runtime.project.root, name, runtime.project.root / main, crons, report)

    def _on_opened(self, value: tuple[ProjectRuntime, ProjectOpened]) -> None:
        runtime, opened = value
        if opened.root != self._root:  # another project was opened meanwhile
            self._thread.submit(runtime.stop())
            return
        self._runtime = runtime
        self.sig_project_opened.emit(opened)

    @property
    def thread(self) -> RuntimeThread:
        """The runtime thread every runtime call goes through."""
        return self._thread

    @property
    def project_runtime(self) -> ProjectRuntime | None:
        """The open project's runtime, for panels that observe it (profiler, KV, heap); None when closed."""
        return self._runtime

    def close_project(self) -> concurrent.futures.Future[None] | None:
        """Stop the current project's runtime (returns at once)."""
        runtime, self._runtime, self._root = self._runtime, None, None
        if runtime is None:
            return None
        future = self._thread.submit(runtime.stop())
        self._bridge.watch(future, lambda _v: None, self._on_failure, "stopping the project runtime")
        return future

    # -- build and run ------------------------------------------------------------

    def reload(self) -> None:
        """Rebuild now (after a save); the next run waits for this build."""
        if self._runtime is not None:
            self._reload = self._thread.submit(self._runtime.reload())
            self._bridge.watch(self._reload, lambda _r: None, self._on_failure, "rebuilding the project")

    def run(self, trigger: Trigger) -> int:
        """Run ``trigger`` on the current version; returns the run's sequence number (0: no project)."""
        runtime = self._runtime
        if runtime is None or self._root is None:
            return 0
        sequence = self._latest = next(self._sequence)
        future = self._thread.submit(self._invoke(runtime, trigger, self._reload))
        root = self._root
        self.sig_invocation_started.emit(trigger)
        self._bridge.watch(future, lambda result: self._on_invoked(root, trigger, result, sequence),
                           lambda failure: self._on_invoke_failed(root, trigger, failure), "running the script")
        return sequence

    @staticmethod
    async def _invoke(runtime: ProjectRuntime, trigger: Trigger,
                      reload: concurrent.futures.Future[Any] | None) -> InvocationResult:
        if reload is not None and not reload.done():
            await asyncio.wrap_future(reload)
        return await runtime.invoke(trigger)

    def _on_invoked(self, root: Path, trigger: Trigger, result: InvocationResult, sequence: int) -> None:
        finished = InvocationFinished(root, trigger, result, sequence)
        self.sig_logs_received.emit(finished)
        if sequence == self._latest:
            self.sig_invocation_finished.emit(finished)

    def _on_invoke_failed(self, root: Path, trigger: Trigger, failure: Failure) -> None:
        if isinstance(failure.error, UserError):
            self.sig_invocation_refused.emit(InvocationRefused(root, trigger, failure.error))
        else:
            self._on_failure(failure)

    def shutdown(self, timeout: float = 5.0) -> None:
        """Stop the project and the runtime thread (called once the event loop has ended)."""
        runtime, self._runtime = self._runtime, None
        if runtime is not None:
            try:
                self._thread.submit(runtime.stop()).result(timeout)
            except (concurrent.futures.TimeoutError, RuntimeError):
                pass  # best effort at exit: the thread is stopped below either way
        self._thread.stop(timeout)
