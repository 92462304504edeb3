"""A whole ``isoplay test`` run: discover, bundle, run files (a few at once), report events."""

from __future__ import annotations

import asyncio
import os
import re
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from runtime.bundler import Bundle
from runtime.errors import BundleError
from runtime.isolate import MB, ScriptHost
from runtime.project import Project
from runtime.testing.build import build_tests
from runtime.testing.config import discover, load_config
from runtime.testing.models import Event, FileCollected, FileFinished, FileResult, RunResult, TestCase, TestError
from runtime.testing.isolates import HarnessIsolates
from runtime.testing.session import FileSession
from runtime.testing.snapshots import Mode as SnapshotMode, default_mode
from runtime.sourcemap import StackFrame


def default_jobs() -> int:
    """Files run at once: one per core (V8 runs isolates in parallel), at most 4."""
    return max(1, min(4, os.cpu_count() or 1))


class TestRun:
    """One run over a project's test files; ``emit`` receives events as they happen."""

    __test__ = False  # not a pytest test class

    def __init__(self, root: Path | str, *, filters: list[str] | tuple[str, ...] = (), name_pattern: str | None = None,
                 bail: bool = False, emit: Callable[[Event], None] | None = None, files: list[Path] | None = None,
                 jobs: int | None = None, collect_only: bool = False, update_snapshots: bool = False,
                 snapshot_mode: SnapshotMode | None = None) -> None:
        self.project = Project.open(root)
        self.root = self.project.root
        self.filters = tuple(filters)
        self.name_re = re.compile(name_pattern) if name_pattern else None
        self.bail = bail
        self.emit: Callable[[Event], None] = emit or (lambda event: None)
        self.files = files
        self.jobs = jobs or default_jobs()
        self.collect_only = collect_only
        """Only load each file and report its tests (FileCollected), running none (the IDE's test tree)."""
        self.snapshot_mode: SnapshotMode = snapshot_mode or default_mode(update_snapshots)
        """``new``, ``all`` (-u) or ``none`` (CI): see runtime/testing/snapshots.py."""
        self.failed = False
        self.inputs: dict[Path, frozenset[str]] = {}
        """Each test file's sources after run() (see TestBuild.inputs)."""

    def discover(self) -> list[Path]:
        """The test files this run covers."""
        if self.files is not None:
            return [Path(f).resolve() for f in self.files]
        return discover(self.root, load_config(self.root), self.filters)

    async def run(self) -> RunResult:
        """Bundle and run every file; never raises for failing tests.

        Raises:
            ManifestError: isoplay.toml (or its ``[test]`` table) is invalid.
        """
        started = time.perf_counter()
        manifest = self.project.manifest()
        config = load_config(self.root)
        files = self.discover()
        # isolates with the prelude and harness load on threads while esbuild builds the files
        isolates = HarnessIsolates(manifest.limits.memory_mb * MB, planned=len(files), ahead=self.jobs) \
            if files else None
        try:
            return await self._run_files(manifest, files, config.timeout_ms, isolates, started)
        finally:
            if isolates is not None:
                await isolates.aclose()

    async def _run_files(self, manifest: Any, files: list[Path], timeout_ms: int, isolates: HarnessIsolates | None,
                         started: float) -> RunResult:
        built = await build_tests(self.root, manifest, files)
        self.inputs = built.inputs
        secrets = self.project.secrets()
        gate = asyncio.Semaphore(self.jobs)

        async def one(file: Path) -> FileResult:
            rel = self.project.relpath(file)
            outcome = built.bundles[file]
            if isinstance(outcome, BundleError):
                result = FileResult(rel, errors=tuple(_build_errors(outcome)))
                self.emit(FileCollected(rel, ()))
            else:
                async with gate:
                    result = await self._run_file(rel, outcome, secrets, timeout_ms, isolates)
            if not result.ok:
                self.failed = True
            self.emit(FileFinished(result))
            return result

        results = await asyncio.gather(*(one(f) for f in files))
        return RunResult(tuple(results), (time.perf_counter() - started) * 1000)

    async def _run_file(self, rel: str, bundle: Bundle, secrets: dict[str, str], timeout_ms: int,
                        isolates: HarnessIsolates | None = None) -> FileResult:
        if self.bail and self.failed:
            return FileResult(rel)
        host = ScriptHost(script_name=bundle.manifest.name, fetch_allow=bundle.manifest.fetch_allow, secrets=secrets)
        session = FileSession(self.root, rel, bundle, host, default_timeout_ms=timeout_ms, emit=self._emit_test,
                              name_filter=self._name_ok if self.name_re else None,
                              stop=lambda: self.bail and self.failed, collect_only=self.collect_only,
                              snapshot_mode=self.snapshot_mode,
                              isolates=isolates if bundle.manifest.limits.memory_mb * MB == getattr(
                                  isolates, "memory_limit", None) else None)
        try:
            return await session.run()
        finally:
            await host.aclose()

    def _emit_test(self, event: Event) -> None:
        from runtime.testing.models import TestFinished

        if isinstance(event, TestFinished) and event.result.status == "fail":
            self.failed = True
        self.emit(event)

    def _name_ok(self, case: TestCase) -> bool:
        assert self.name_re is not None
        return self.name_re.search(case.full_name) is not None


def _build_errors(exc: BundleError) -> list[TestError]:
    out = []
    for diag in exc.diagnostics or []:
        loc = diag.location
        at = StackFrame("", loc.file, loc.line, loc.column) if loc is not None else None
        out.append(TestError("BuildError", diag.message, at=at))
    return out or [TestError("BuildError", str(exc))]


async def run_tests(root: Path | str, **options: object) -> RunResult:
    """``TestRun(root, **options).run()``."""
    return await TestRun(root, **options).run()  # type: ignore[arg-type]
