"""Debugging one test of ``isoplay test``: the same session, a test file instead of a trigger.

``build_debug_test`` builds the test file the way ``isoplay test`` does
(runtime/testing/build.py: the file, the project's worker, the ``vitest`` and
``cloudflare:test`` shims), but from the instrumented mirror of the project, so
breakpoints hold in the test and in the worker code it calls. A test file that
does not build reports its errors at their real positions first, from a normal
test build.

``run_test`` is the debuggee side (``debugger.worker`` calls it): a
``runtime.testing.session.FileSession`` whose isolate carries the debug agent,
whose name filter keeps only the chosen test, and whose timeouts are lifted
(the test's own timeout becomes a warning, as ``timeout_ms`` does for a
debugged request). The test runs as ``isoplay test`` runs it: the file's
``beforeAll`` hooks first, KV and the Cache API in temporary stores.
"""

from __future__ import annotations

import asyncio
import json
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from debugger.build import DEBUG_TIMEOUT_MS, DebugBuild, _mirror, _with_prefix
from runtime.errors import BundleError

if TYPE_CHECKING:
    from debugger.worker import Bridge, WorkerConfig
    from runtime.invocation import InvocationResult


@dataclass(frozen=True)
class TestSelection:
    """The test a session debugs: its file (project-relative) and full name (``describe > test``)."""

    __test__ = False  # not a pytest test class

    file: str
    name: str


def build_debug_test(root: Path | str, test_file: str) -> DebugBuild:
    """Instrument the project and bundle ``test_file`` (project-relative) with it.

    Raises:
        ManifestError: the manifest is invalid.
        BundleError: the test file or the worker does not build (positions are the original ones).
    """
    from runtime.project import Project
    from runtime.testing.build import build_tests

    project = Project.open(root)
    root = project.root
    manifest = project.manifest()
    rel = Path(test_file).as_posix().removeprefix("./")
    _built(asyncio.run(build_tests(root, manifest, [root / rel])), root / rel)  # real positions first
    with tempfile.TemporaryDirectory(prefix="isoplay-debug-test-") as tmp:
        mirror = Path(tmp).resolve()
        files = _mirror(root, mirror)
        plain = _built(asyncio.run(build_tests(mirror, manifest, [mirror / rel])), mirror / rel)
    probes: list[Any] = [None]
    for f in files:
        probes.extend(f.probes)
    return DebugBuild(root, _with_prefix(plain, manifest), tuple(files), tuple(probes), manifest.limits.timeout_ms)


def _built(result: Any, file: Path) -> Any:
    outcome = result.bundles[file.resolve()] if file.resolve() in result.bundles else result.bundles[file]
    if isinstance(outcome, BundleError):
        raise outcome
    return outcome


async def run_test(cfg: WorkerConfig, bridge: Bridge, selection: TestSelection) -> dict[str, Any]:
    """Run the selected test under the agent; the ``exited`` event's fields."""
    from debugger import agent
    from runtime.engine import V8Isolate
    from runtime.isolate import MB, ScriptHost, ScriptIsolate
    from runtime.project import Project
    from runtime.stock import load_prelude
    from runtime.testing import harness
    from runtime.testing.models import TestCase, TestFinished
    from runtime.testing.session import FileSession

    class DebugTestIsolate(ScriptIsolate):
        def close(self) -> None:
            bridge.detach()  # let go of the shared memory before the isolate goes
            super().close()

    class DebugFileSession(FileSession):
        started = False

        def _new_isolate(self, ready: V8Isolate | None = None) -> ScriptIsolate:  # (never given one here)
            loop = asyncio.get_running_loop()
            v8 = V8Isolate(loop, memory_limit=self.bundle.manifest.limits.memory_mb * MB)
            v8.eval(agent.build())
            bridge.attach(v8.eval(f"$__dInit({json.dumps(cfg.agent_config)})"))
            load_prelude(v8)
            v8.eval(harness.script())
            isolate = DebugTestIsolate(self.bundle, self.host, loop=loop, smap=self.smap, ready=v8)
            if cfg.stop_on_entry:  # the file's top level ran: the next statement is a hook's or the test's
                bridge.handle({"op": "pause"})
            return isolate

        async def _start(self) -> bool:
            if self.started:  # one isolate per session: the agent is attached once
                return False
            self.started = True
            return await super()._start()

        async def _op(self, op: dict[str, Any], timeout_ms: int) -> InvocationResult:
            return await super()._op(op, DEBUG_TIMEOUT_MS)

    project = Project.open(cfg.root)
    host = ScriptHost(script_name=cfg.bundle.manifest.name, fetch_allow=cfg.bundle.manifest.fetch_allow,
                      secrets=project.secrets())
    finished: list[Any] = []

    def emit(event: object) -> None:
        if isinstance(event, TestFinished) and not event.result.case.filtered_out:
            finished.append(event.result)

    def only(case: TestCase) -> bool:
        return case.full_name == selection.name

    session = DebugFileSession(project.root, selection.file, cfg.bundle, host, default_timeout_ms=DEBUG_TIMEOUT_MS,
                               emit=emit, name_filter=only)
    started = time.monotonic()
    try:
        file_result = await session.run()
    finally:
        await host.aclose()
    running_ms = (time.monotonic() - started - bridge.paused_seconds) * 1000
    ran = [r for r in finished if r.status != "skip" or r.case.full_name == selection.name]
    for err in file_result.errors:
        bridge.send({"k": "output", "level": "error", "text": f"{selection.file}: {err.summary()}"})
    if not ran:
        error = f"no test named {selection.name!r} in {selection.file}"
        return {"k": "exited", "status": "error", "error": error, "result": None}
    result = ran[0]
    for entry in result.logs:
        bridge.send({"k": "output", "level": entry.level, "text": entry.message})
    timeout = result.case.timeout_ms
    if running_ms > timeout:
        bridge.send({"k": "output", "level": "warn", "text": (
            f"the test ran {running_ms:,.0f} ms, not counting time paused in the debugger: over its timeout "
            f"({timeout:,} ms). The debugger lifts it; isoplay test would have stopped it.")})
    error = result.errors[0].summary() if result.errors else None
    status = {"pass": "ok", "fail": "error"}.get(result.status, result.status)
    return {"k": "exited", "status": status, "error": error, "result": None, "test": result.to_json()}
