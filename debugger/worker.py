"""The debuggee process: one isolate, one invocation, driven by the session over a pipe.

Run as ``python -m debugger.worker CONFIG`` with ``ISOPLAY_V8_ALLOW_EVAL=1``
(the agent compiles evaluated expressions with ``new Function``). stdin carries
the session's JSON-line requests; stdout carries the agent's events (as the
agent wrote them) plus ``exited``. Two plain threads bridge the pipe and the
shared memory, so nothing here needs the asyncio loop -- which is blocked
inside V8 while the script is paused -- or a call into the isolate.
"""

from __future__ import annotations

import asyncio
import json
import os
import pickle
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from debugger import agent
from debugger.mailbox import Layout, Mailbox
from runtime.bundler import Bundle
from runtime.engine import V8Isolate
from runtime.invocation import Trigger
from runtime.isolate import ScriptHost, ScriptIsolate

POLL_SECONDS = 0.001


@dataclass(frozen=True)
class WorkerConfig:
    """Everything the worker needs, pickled by the session into a file."""

    root: str
    bundle: Bundle
    agent_config: dict[str, Any]
    trigger: Trigger
    breakpoint_probes: frozenset[int]
    breakpoint_table: dict[int, list[Any]]
    flags: int
    stop_on_entry: bool = False
    """Pause at the handler's first statement (after module code ran), as VS Code's ``stopOnEntry``."""
    timeout_ms: int = 30_000
    """The project's ``timeout_ms``; running longer (pauses excluded) earns a warning, not a stop."""
    test: Any = None
    """A ``debugger.testing.TestSelection``: run that test of ``isoplay test`` instead of ``trigger``."""
    recording: Any = None
    """A runtime.replay Recording: replay it (instead of running ``trigger`` live), with Step Back."""
    secrets: dict[str, str] | None = None
    """The local secrets a replay fills the recording's placeholders with."""


class DebugScriptIsolate(ScriptIsolate):
    """A ScriptIsolate that loads the debug agent first and hands its shared memory over."""

    def __init__(self, bundle: Bundle, host: ScriptHost, *, agent_config: dict[str, Any],
                 on_attach: Any, loop: asyncio.AbstractEventLoop | None = None) -> None:
        def install_agent(v8: V8Isolate) -> None:
            v8.eval(agent.build())
            on_attach(v8.eval(f"$__dInit({json.dumps(agent_config)})"))

        super().__init__(bundle, host, loop=loop, preload=install_agent)


class Bridge:
    """Moves events from the ring to stdout and requests from stdin into shared memory."""

    def __init__(self, out: IO[str], cfg: WorkerConfig) -> None:
        self.out = out
        self.cfg = cfg
        self.mailbox: Mailbox | None = None
        self.paused = False
        self.stepping = False
        self.pause_requested = False
        self.paused_seconds = 0.0
        """Time spent paused (evaluations included), from the pause events the pump forwarded."""
        self._paused_at: float | None = None
        self._out_lock = threading.Lock()
        self._life = threading.RLock()
        self._done = threading.Event()
        self._pump: threading.Thread | None = None
        self._reader: threading.Thread | None = None
        self.isolate: Any = None
        """The V8 isolate being debugged (a restart terminates it)."""
        self.restart: int | None = None
        """A replay was asked to run again to this probe count (Step Back / Reverse Continue)."""
        self.probes = set(cfg.breakpoint_probes)
        self.table = dict(cfg.breakpoint_table)
        self.flags = cfg.flags
        self.history = cfg.recording is not None
        """Replays count every probe (all armed), so Step Back can run to an earlier count."""

    def send(self, event: dict[str, Any]) -> None:
        """Write one event line to the session."""
        with self._out_lock:
            self.out.write(json.dumps(event) + "\n")
            self.out.flush()

    def attach(self, memory: memoryview) -> None:
        """Take the agent's shared memory, apply the initial breakpoints, start the threads."""
        box = Mailbox(memory, Layout(self.cfg.agent_config["layout"]["probes"] - 1))
        box.set_flags(self.flags)
        box.set_breakpoints(set(self.probes), self.table, armed=self.history)
        if self.history:
            box.arm_all()
        with self._life:
            self.mailbox = box
        self._done.clear()
        self._pump = threading.Thread(target=self._pump_events, name="debug-events", daemon=True)
        self._pump.start()
        if self._reader is None:
            self._reader = threading.Thread(target=self._read_requests, name="debug-requests", daemon=True)
            self._reader.start()

    def drain(self) -> None:
        """Forward every event still in the ring."""
        with self._life:
            if self.mailbox is None:
                return
            for event in self.mailbox.read_events():
                self._track(event)
                self.send(event)

    def _track(self, event: dict[str, Any]) -> None:
        if event.get("k") == "paused":
            self.paused, self.stepping, self.pause_requested = True, False, False
            self._paused_at = time.monotonic()
        elif event.get("k") == "resumed":
            self.paused = False
            if self._paused_at is not None:
                self.paused_seconds += time.monotonic() - self._paused_at
                self._paused_at = None

    def _pump_events(self) -> None:
        while not self._done.is_set():
            self.drain()
            time.sleep(POLL_SECONDS)

    def _read_requests(self) -> None:
        for line in sys.stdin:
            if line.strip():
                self.handle(json.loads(line))
        os._exit(1)  # the session went away: nobody can resume this isolate

    def handle(self, request: dict[str, Any]) -> None:
        """Apply one request from the session."""
        if request.get("op") == "stop":
            self.drain()
            self.send({"k": "exited", "status": "stopped"})
            os._exit(0)
        if request.get("op") == "restart":  # run the replay again, to this probe count
            with self._life:
                if not self.history or self.isolate is None:
                    self.send({"k": "error", "req": 0, "message": "only a replayed invocation can go back"})
                    return
                self.restart = max(1, int(request.get("target", 1)))
                self.paused = self.stepping = self.pause_requested = False
                self._paused_at = None
                self.isolate.terminate()  # also ends the agent's Atomics.wait
            return
        with self._life:  # the shared memory dies with the isolate: hold it alive while writing
            if self.mailbox is not None:
                self._apply(self.mailbox, request)

    def _apply(self, box: Mailbox, request: dict[str, Any]) -> None:
        op = request.get("op")
        if op == "pause":
            self.pause_requested = True
            box.request_pause()
        elif op == "breakpoints":
            table = {int(k): v for k, v in request["table"].items()}
            self.probes, self.table = set(request["probes"]), table
            box.set_breakpoints(set(request["probes"]), table,
                                armed=self.stepping or self.paused or self.pause_requested or self.history)
        elif op == "flags":
            self.flags = int(request["flags"])
            box.set_flags(int(request["flags"]))
        elif op == "cmd":
            self._command(box, request["cmd"])

    def _command(self, box: Mailbox, cmd: dict[str, Any]) -> None:
        if not self.paused:
            self.send({"k": "error", "req": cmd.get("req", 0), "message": "the script is not paused"})
            return
        name = cmd.get("cmd")
        if name == "continue" and not self.history:
            box.disarm()
        else:
            box.arm_all()  # stepping, or deadline checks in user code an evaluation calls
            self.stepping = name in ("stepInto", "stepOver", "stepOut")
        if name in ("continue", "stepInto", "stepOver", "stepOut"):
            self.paused = False
        box.send_command(cmd)

    def detach(self) -> None:
        """Forward the last events and let go of the shared memory (before the isolate closes)."""
        self._done.set()
        if self._pump is not None:
            self._pump.join()
        self.drain()
        with self._life:
            self.mailbox = None
            self.isolate = None


async def _replay(cfg: WorkerConfig, bridge: Bridge) -> dict[str, Any]:
    """Replay ``cfg.recording`` with the debug bundle; again from the start to a count on ``restart``."""
    from runtime.replay.format import trigger_from_json
    from runtime.replay.replayer import Feed, ReplayDivergence, local_redactor

    rec = cfg.recording
    redactor, env_secrets, warnings = local_redactor(rec, cfg.bundle, cfg.secrets)
    for warning in warnings:
        bridge.send({"k": "output", "level": "warn", "text": f"replay: {warning}"})
    trigger = trigger_from_json(redactor.fill(rec.trigger))
    seek = 0
    while True:
        host = ScriptHost(script_name=cfg.bundle.manifest.name, secrets=env_secrets)
        agent_config = {**cfg.agent_config, "history": True, "seek": seek}
        divergence: ReplayDivergence | None = None
        result = None
        try:
            isolate = DebugScriptIsolate(cfg.bundle, host, agent_config=agent_config, on_attach=bridge.attach)
            with bridge._life:
                bridge.isolate = isolate.v8
            if cfg.stop_on_entry and seek == 0:
                bridge.handle({"op": "pause"})
            try:
                result = await isolate.replay(trigger, Feed(rec, redactor),
                                              timeout_ms=cfg.bundle.manifest.limits.timeout_ms)
            except ReplayDivergence as exc:
                divergence = exc
            finally:
                bridge.detach()
                isolate.close()
        finally:
            await host.aclose()
        if bridge.restart is not None:
            seek, bridge.restart = bridge.restart, None
            bridge.send({"k": "resumed"})
            continue
        break
    if divergence is not None:
        bridge.send({"k": "output", "level": "error", "text": str(divergence)})
        return {"k": "exited", "status": "diverged", "error": str(divergence), "result": None}
    assert result is not None
    error = result.error.summary() if result.error is not None else None
    return {"k": "exited", "status": result.outcome, "error": error, "result": result.to_json()}


async def _run(cfg: WorkerConfig, bridge: Bridge) -> dict[str, Any]:
    if cfg.recording is not None:
        return await _replay(cfg, bridge)
    if cfg.test is not None:
        from debugger.testing import run_test

        return await run_test(cfg, bridge, cfg.test)
    from runtime.kv.store import KVStore
    from runtime.project import Project
    from runtime.runner import host_for

    project = Project.open(cfg.root)
    store = KVStore(project.kv_path)
    host = host_for(project, cfg.bundle, store)
    try:
        isolate = DebugScriptIsolate(cfg.bundle, host, agent_config=cfg.agent_config, on_attach=bridge.attach)
        if cfg.stop_on_entry:  # module code has run: the next statement is the handler's first
            bridge.handle({"op": "pause"})
        started = time.monotonic()
        try:
            result = await isolate.invoke(cfg.trigger, timeout_ms=cfg.bundle.manifest.limits.timeout_ms)
        finally:
            bridge.detach()
            isolate.close()
        running_ms = (time.monotonic() - started - bridge.paused_seconds) * 1000
        # Time paused in the debugger is not running time: report the two apart (the IDE shows both).
        result.paused_ms = bridge.paused_seconds * 1000
        result.duration_ms = max(0.0, result.duration_ms - result.paused_ms)
    finally:
        await host.aclose()
        store.close()
    for entry in result.logs:
        bridge.send({"k": "output", "level": entry.level, "text": entry.message})
    if running_ms > cfg.timeout_ms:
        bridge.send({"k": "output", "level": "warn", "text": (
            f"the invocation ran {running_ms:,.0f} ms, not counting time paused in the debugger: over its "
            f"timeout_ms ({cfg.timeout_ms:,} ms). The debugger lifts the limit; `isoplay run`, `isoplay dev` "
            "and the server would have stopped it.")})
    error = result.error.summary() if result.error is not None else None
    return {"k": "exited", "status": result.outcome, "error": error, "result": result.to_json()}


def main(argv: list[str]) -> int:
    """Entry point: run the invocation described by the pickled config at ``argv[0]``."""
    with open(argv[0], "rb") as fh:
        cfg: WorkerConfig = pickle.load(fh)
    os.unlink(argv[0])
    out = sys.stdout
    sys.stdout = sys.stderr  # nothing but events may reach the session's pipe
    bridge = Bridge(out, cfg)
    try:
        exited = asyncio.run(_run(cfg, bridge))
    except Exception as exc:  # report, then re-raise for the traceback on stderr
        bridge.send({"k": "exited", "status": "crashed", "error": f"{type(exc).__name__}: {exc}"})
        raise
    bridge.send(exited)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
