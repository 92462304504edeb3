"""Run one test file: its isolate, its KV sandbox, its hooks and tests, one invocation each.

The order is: load (the file's top level declares tests) -> ``list`` ->
``beforeAll`` -> snapshot KV and the Cache API -> for each test: restore them, ``test`` -> ``afterAll``.
A test that hits its timeout or ``memory_mb`` leaves its isolate poisoned; the
session then builds a new one, runs ``beforeAll`` there from the empty store
again, takes a new snapshot and goes on with the next test.
"""

from __future__ import annotations

import asyncio
import dataclasses
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from runtime.d1.store import store_for
from runtime.r2.store import store_for as r2_store_for
from runtime.bundler import Bundle
from runtime.engine import V8Isolate
from runtime.invocation import ErrorInfo, InvocationResult, RunTrigger
from runtime.isolate import MB, ScriptHost, ScriptIsolate
from runtime.sourcemap import SourceMap, StackFrame, map_stack
from runtime.testing.isolates import HarnessIsolates, make_harness_isolate
from runtime.testing.sandbox import StorageSandbox
from runtime.testing.snapshots import FileSnapshotMismatch, Mode as SnapshotMode, SnapshotStore
from runtime.testing.models import (
    Event, FileCollected, FileResult, FileStarted, Mode, TestCase, TestError, TestFinished, TestResult,
)

HOOK_TIMEOUT_MS = 10_000
"""Wall time for all ``beforeAll`` (or all ``afterAll``) hooks of a file (vitest's hookTimeout)."""
LIST_TIMEOUT_MS = 5_000


def _is_project_source(file: str) -> bool:
    return not (file.startswith("/") or file.startswith("..") or "node_modules/" in file
                or file.startswith("isoplay://"))


class FileSession:
    """One test file's run."""

    def __init__(self, root: Path, rel: str, bundle: Bundle, host: ScriptHost, *, default_timeout_ms: int,
                 emit: Callable[[Event], None], name_filter: Callable[[TestCase], bool] | None = None,
                 stop: Callable[[], bool] = lambda: False, collect_only: bool = False,
                 snapshot_mode: SnapshotMode = "new", isolates: HarnessIsolates | None = None) -> None:
        self.root = root
        self.isolates = isolates
        """Where the file's isolates come from (made ahead by the run), or None to make them here."""
        self.snapshots = SnapshotStore(root, rel, snapshot_mode)
        self.collect_only = collect_only
        self.rel = rel
        self.stop = stop
        self.bundle = bundle
        self.host = host
        self.kv = StorageSandbox()
        self.host.kv_store = self.kv.store
        self.host.cache_store = self.kv.cache
        self.host.d1_store = self.kv.d1 = store_for(bundle.manifest, self.kv.directory / "d1")
        self.host.r2_store = r2_store_for(bundle.manifest, self.kv.r2_path)
        self.default_timeout_ms = default_timeout_ms
        self.emit = emit
        self.name_filter = name_filter
        self.smap: SourceMap = bundle.decoded_map()
        self.isolate: ScriptIsolate | None = None
        self.file_errors: list[TestError] = []

    # ---- isolates -------------------------------------------------------------------------------
    def _new_isolate(self, ready: V8Isolate | None = None) -> ScriptIsolate:
        """The file's isolate: ``ready`` (prelude and harness loaded) or a new one, with the bundle loaded."""
        loop = asyncio.get_running_loop()
        v8 = ready or make_harness_isolate(loop, self.bundle.manifest.limits.memory_mb * MB)
        return ScriptIsolate(self.bundle, self.host, loop=loop, smap=self.smap, ready=v8)

    async def _op(self, op: dict[str, Any], timeout_ms: int) -> InvocationResult:
        assert self.isolate is not None
        return await self.isolate.invoke(RunTrigger(op), timeout_ms=timeout_ms)

    async def _start(self) -> bool:
        """A new isolate with beforeAll run and KV snapshotted; False if the file cannot run."""
        if self.isolate is not None:
            self.isolate.close()
        ready = await self.isolates.take() if self.isolates is not None else None
        self.isolate = self._new_isolate(ready)
        if self.isolate.load_error is not None:
            self.file_errors.append(self._error_info(self.isolate.load_error, "the file failed to load"))
            return False
        return True

    async def _before_all(self) -> bool:
        self.kv.reset()
        result = await self._op({"op": "beforeAll"}, HOOK_TIMEOUT_MS)
        errors = self._op_errors(result, "beforeAll")
        self.kv.snapshot()
        if errors:
            self.file_errors.extend(errors)
            return False
        return True

    # ---- the run --------------------------------------------------------------------------------
    async def run(self) -> FileResult:
        """Run every test of the file; never raises for the file's own failures."""
        started = time.perf_counter()
        self.emit(FileStarted(self.rel))
        results: list[TestResult] = []
        summary = None
        if self.snapshots.load_error is not None:
            self.file_errors.append(TestError("SnapshotError", self.snapshots.load_error))
        try:
            cases = await self._collect()
            if cases is not None and not self.collect_only:
                results = await self._run_cases(cases)
                complete = not self.file_errors and not any(r.case.filtered_out for r in results)
                summary = self.snapshots.finish(complete)
        finally:
            if self.isolate is not None:
                self.isolate.close()
            self.kv.close()
        return FileResult(self.rel, tuple(results), tuple(self.file_errors), (time.perf_counter() - started) * 1000,
                          snapshots=summary)

    async def _collect(self) -> list[TestCase] | None:
        if not await self._start():
            self.emit(FileCollected(self.rel, ()))
            return None
        listed = await self._op({"op": "list"}, LIST_TIMEOUT_MS)
        if listed.error is not None or not isinstance(listed.value, dict):
            self.file_errors.append(self._error_info(listed.error or ErrorInfo("Error", "no test list"), "listing tests"))
            self.emit(FileCollected(self.rel, ()))
            return None
        cases = [self._case(raw) for raw in listed.value["tests"]]
        self.emit(FileCollected(self.rel, tuple(cases)))
        return cases

    def _case(self, raw: dict[str, Any]) -> TestCase:
        _text, frames = map_stack(raw.get("stack", ""), self.bundle.script_url, self.smap)
        at = next((f for f in frames if f.file == self.rel), None) or next(
            (f for f in frames if _is_project_source(f.file)), None)
        mode: Mode = raw["mode"] if raw["mode"] in ("skip", "todo") else "run"
        case = TestCase(self.rel, int(raw["id"]), str(raw["name"]), tuple(raw.get("path", ())), mode,
                        int(raw.get("timeout") or self.default_timeout_ms),
                        at.line if at else 0, at.column if at else 0)
        if mode == "run" and self.name_filter is not None and not self.name_filter(case):
            case = dataclasses.replace(case, mode="skip", filtered_out=True)
        return case

    async def _run_cases(self, cases: list[TestCase]) -> list[TestResult]:
        results: list[TestResult] = []
        runnable = [c for c in cases if c.mode == "run"]
        ready = await self._before_all() if runnable else True
        for case in cases:
            if case.mode != "run" or self.stop():
                result = TestResult(case, "todo" if case.mode == "todo" else "skip")  # (or --bail stopped the run)
                self.snapshots.checked.update(self.snapshots.for_test(case.full_name))  # kept, not obsolete
            elif not ready:
                result = TestResult(case, "fail", errors=(TestError(
                    "Error", "not run: a beforeAll hook of this file failed (see the file's errors)"),))
            else:
                result = await self._run_one(case)
                if self.isolate is None or self.isolate.poisoned:
                    ready = await self._start() and await self._before_all()
            results.append(result)
            self.emit(TestFinished(result))
        if runnable and ready and self.isolate is not None and not self.isolate.poisoned:
            after = await self._op({"op": "afterAll"}, HOOK_TIMEOUT_MS)
            self.file_errors.extend(self._op_errors(after, "afterAll"))
        return results

    async def _run_one(self, case: TestCase) -> TestResult:
        self.kv.restore()
        started = time.perf_counter()
        op = {"op": "test", "id": case.id, "snapshots": self.snapshots.for_test(case.full_name),
              "snapshotMode": self.snapshots.mode}
        result = await self._op(op, case.timeout_ms)
        duration = (time.perf_counter() - started) * 1000
        logs = result.logs
        value = result.value if isinstance(result.value, dict) else {}
        if value.get("status") != "pass":
            # a test that stopped early did not reach all its snapshots: they are kept, not obsolete
            self.snapshots.checked.update(self.snapshots.for_test(case.full_name))
        if result.outcome == "timeout":
            err = TestError("TimeoutError", f"Test timed out in {case.timeout_ms} ms (timeout_ms; give it more "
                            f"with it(name, fn, ms) or [test] timeout_ms)", at=self._case_frame(case))
            return TestResult(case, "fail", duration, (self._with_line(err),), logs, limit="timeout_ms")
        if result.outcome == "memory":
            mb = self.bundle.manifest.limits.memory_mb
            err = TestError("MemoryError", f"Test exceeded memory_mb ({mb} MB) and its isolate was stopped",
                            at=self._case_frame(case))
            return TestResult(case, "fail", duration, (self._with_line(err),), logs, limit="memory_mb")
        if result.error is not None:
            if self.isolate is not None:
                self.isolate.poisoned = True  # the harness did not finish the test: start clean
            return TestResult(case, "fail", duration, (self._error_info(result.error, None),), logs)
        errors = tuple(self._error(raw) for raw in value.get("errors", []))
        report = value.get("snapshots") if isinstance(value.get("snapshots"), dict) else {}
        self.snapshots.record(report)
        for raw in report.get("files", []):
            mismatch = self.snapshots.compare_file(raw) if isinstance(raw, dict) else None
            if mismatch is not None:
                errors += (self._file_snapshot_error(mismatch),)
        status = value.get("status", "fail")
        if errors and status == "pass":
            status = "fail"
        return TestResult(case, status if status in ("pass", "fail", "skip") else "fail", duration, errors, logs)

    # ---- errors ---------------------------------------------------------------------------------
    def _file_snapshot_error(self, m: FileSnapshotMismatch) -> TestError:
        if m.expected is None and self.snapshots.mode == "none":
            message = (f"File snapshot {m.path} is missing: on CI (the CI variable is set) isoplay test writes "
                       "no snapshots; run it locally and commit the file")
        elif m.expected is None:
            message = f"toMatchFileSnapshot(): {m.path} is outside the project folder"
        else:
            message = f"File snapshot {m.path} mismatched (run isoplay test -u to update it)"
        err = self._error({"name": "SnapshotMismatchError", "message": message, "stack": m.stack})
        return dataclasses.replace(err, diff=text_diff(m.expected, m.received) if m.expected is not None else None)

    def _op_errors(self, result: InvocationResult, hook: str) -> list[TestError]:
        if result.outcome in ("timeout", "memory"):
            return [TestError("Error", f"{hook} hooks stopped: {result.error.message if result.error else result.outcome}")]
        if result.error is not None:
            return [self._error_info(result.error, hook)]
        value = result.value if isinstance(result.value, dict) else {}
        return [self._error(raw, prefix=f"{hook}: ") for raw in value.get("errors", [])]

    def _error(self, raw: dict[str, Any], prefix: str = "") -> TestError:
        stack, frames = map_stack(str(raw.get("stack", "")), self.bundle.script_url, self.smap)
        at = self._user_frame(frames)
        err = TestError(str(raw.get("name") or "Error"), prefix + str(raw.get("message") or ""),
                        stack, tuple(frames), raw.get("diff") or None, at)
        return self._with_line(err)

    def _error_info(self, info: ErrorInfo, context: str | None) -> TestError:
        at = self._user_frame(list(info.frames))
        message = f"{context}: {info.message}" if context else info.message
        return self._with_line(TestError(info.name, message, info.stack, tuple(info.frames), None, at))

    def _user_frame(self, frames: list[StackFrame]) -> StackFrame | None:
        return next((f for f in frames if _is_project_source(f.file)), None)

    def _case_frame(self, case: TestCase) -> StackFrame | None:
        return StackFrame(case.name, case.file, case.line, case.column) if case.line else None

    def _with_line(self, err: TestError) -> TestError:
        if err.at is None:
            return err
        lines = source_lines(self.smap, self.root, err.at.file)
        line = err.at.line
        context = tuple((n, lines[n - 1]) for n in range(max(1, line - 2), min(len(lines), line + 1) + 1))
        text = lines[line - 1] if 0 < line <= len(lines) else ""
        return dataclasses.replace(err, source_line=text, context=context)


def source_lines(smap: SourceMap, root: Path, file: str) -> list[str]:
    """The lines of ``file`` from the map's embedded sources, else from disk ([] if unreadable)."""
    text: str | None = None
    if file in smap.sources:
        index = smap.sources.index(file)
        if index < len(smap.sources_content):
            text = smap.sources_content[index]
    if text is None:
        try:
            text = (root / file).read_text(encoding="utf-8")
        except OSError:
            return []
    return text.splitlines()


def text_diff(expected: str, received: str) -> str:
    """A line diff of two texts, coloured as the harness colours its diffs (green expected, red received)."""
    import difflib

    lines = ["\x1b[32m- Expected\x1b[39m", "\x1b[31m+ Received\x1b[39m", ""]
    for line in difflib.unified_diff(expected.splitlines(), received.splitlines(), lineterm="", n=2):
        if line.startswith(("---", "+++")):
            continue
        if line.startswith("-"):
            lines.append(f"\x1b[32m{line}\x1b[39m")
        elif line.startswith("+"):
            lines.append(f"\x1b[31m{line}\x1b[39m")
        elif line.startswith("@@"):
            lines.append(f"\x1b[33m{line}\x1b[39m")
        else:
            lines.append(f"\x1b[2m{line}\x1b[22m")
    return "\n".join(lines)
