"""One language-server process and its JSON-RPC traffic, on an asyncio loop.

The connection knows nothing about documents or Qt: it starts a process, writes
requests and notifications in call order, resolves request futures when
responses arrive, answers the few server-to-client requests an editor must
answer, and reports notifications and the process exit through callbacks.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from editor.lsp.jsonrpc import encode_message, read_message

log = logging.getLogger(__name__)

NotificationHandler = Callable[[str, Any], None]
ExitHandler = Callable[[int | None], None]

METHOD_NOT_FOUND = -32601
STREAM_LIMIT = 16 * 1024 * 1024


class ServerRequestError(Exception):
    """The server answered a request with a JSON-RPC error."""

    def __init__(self, method: str, error: dict[str, Any]) -> None:
        super().__init__(f"{method}: {error.get('message', error)}")
        self.method = method
        self.code: int = int(error.get("code", 0))


class ConnectionClosed(Exception):
    """The server process exited before answering."""


def answer_server_request(method: str, params: Any) -> Any:
    """Return the result an editor client gives for a server-to-client request."""
    if method == "workspace/configuration":
        return [None] * len((params or {}).get("items", []))
    if method == "workspace/workspaceFolders":
        return []
    return None


KNOWN_SERVER_REQUESTS = frozenset(
    {
        "workspace/configuration",
        "workspace/workspaceFolders",
        "client/registerCapability",
        "client/unregisterCapability",
        "window/workDoneProgress/create",
        "window/showMessageRequest",
        "workspace/semanticTokens/refresh",
        "workspace/diagnostic/refresh",
        "workspace/inlayHint/refresh",
        "workspace/codeLens/refresh",
    }
)


def _message(method: str, params: Any, request_id: int | None = None) -> dict[str, Any]:
    """Build a request/notification; ``params`` is omitted when None (tsc rejects null)."""
    message: dict[str, Any] = {"jsonrpc": "2.0", "method": method}
    if request_id is not None:
        message["id"] = request_id
    if params is not None:
        message["params"] = params
    return message


class LspConnection:
    """A running language server: framed JSON-RPC over its stdin/stdout."""

    def __init__(
        self,
        argv: Sequence[str],
        cwd: Path,
        on_notification: NotificationHandler,
        on_exit: ExitHandler,
    ) -> None:
        self._argv = list(argv)
        self._cwd = cwd
        self._on_notification = on_notification
        self._on_exit = on_exit
        self._ids = itertools.count(1)
        self._pending: dict[int, tuple[str, asyncio.Future[Any]]] = {}
        self._process: asyncio.subprocess.Process | None = None
        self._tasks: list[asyncio.Task[None]] = []

    @property
    def pid(self) -> int | None:
        """The server's process id, or None before start / after exit."""
        proc = self._process
        return proc.pid if proc is not None and proc.returncode is None else None

    async def start(self) -> None:
        """Spawn the server process and start reading its output."""
        self._process = await asyncio.create_subprocess_exec(
            *self._argv,
            cwd=self._cwd,
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
            limit=STREAM_LIMIT,
        )
        self._tasks = [
            asyncio.create_task(self._read_loop()),
            asyncio.create_task(self._drain_stderr()),
        ]

    def notify(self, method: str, params: Any) -> None:
        """Send a notification (dropped with a log line if the server is gone)."""
        self._write(_message(method, params))

    def request(self, method: str, params: Any) -> asyncio.Future[Any]:
        """Send a request; the future resolves to its result or raises."""
        future: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        if self.pid is None:
            future.set_exception(ConnectionClosed(f"{method}: server not running"))
            return future
        request_id = next(self._ids)
        self._pending[request_id] = (method, future)
        self._write(_message(method, params, request_id))
        return future

    async def close(self, timeout: float = 1.0) -> None:
        """Ask the server to shut down, then kill it if it lingers."""
        if self.pid is not None:
            try:
                await asyncio.wait_for(self.request("shutdown", None), timeout)
                self.notify("exit", None)
            except (asyncio.TimeoutError, ConnectionClosed, ServerRequestError) as exc:
                log.info("language server shutdown: %s", exc)
        await self._reap(timeout)
        await asyncio.gather(*self._tasks, return_exceptions=True)

    async def _reap(self, timeout: float) -> None:
        proc = self._process
        if proc is None:
            return
        try:
            await asyncio.wait_for(proc.wait(), timeout)
        except asyncio.TimeoutError:
            proc.kill()
            await proc.wait()

    def kill(self) -> None:
        """Kill the process at once (the exit is reported as usual)."""
        if self._process is not None and self._process.returncode is None:
            self._process.kill()

    def _write(self, payload: dict[str, Any]) -> None:
        proc = self._process
        if proc is None or proc.returncode is not None or proc.stdin is None:
            log.debug("dropped %s: server not running", payload.get("method"))
            return
        if proc.stdin.is_closing():
            return
        proc.stdin.write(encode_message(payload))

    async def _read_loop(self) -> None:
        proc = self._process
        assert proc is not None and proc.stdout is not None
        try:
            while (message := await read_message(proc.stdout)) is not None:
                self._dispatch(message)
        finally:
            returncode = await proc.wait()
            self._fail_pending(returncode)
            self._on_exit(returncode)

    async def _drain_stderr(self) -> None:
        proc = self._process
        assert proc is not None and proc.stderr is not None
        while line := await proc.stderr.readline():
            log.debug("tsc stderr: %s", line.decode("utf-8", "replace").rstrip())

    def _fail_pending(self, returncode: int | None) -> None:
        pending, self._pending = self._pending, {}
        for method, future in pending.values():
            if not future.done():
                future.set_exception(ConnectionClosed(f"{method}: server exited ({returncode})"))

    def _dispatch(self, message: dict[str, Any]) -> None:
        if "method" not in message:
            self._resolve(message)
        elif "id" in message:
            self._answer(message["id"], message["method"], message.get("params"))
        else:
            self._on_notification(message["method"], message.get("params"))

    def _resolve(self, message: dict[str, Any]) -> None:
        method, future = self._pending.pop(message.get("id"), ("", None))  # type: ignore[arg-type]
        if future is None or future.done():
            return
        if "error" in message:
            future.set_exception(ServerRequestError(method, message["error"]))
        else:
            future.set_result(message.get("result"))

    def _answer(self, request_id: Any, method: str, params: Any) -> None:
        if method in KNOWN_SERVER_REQUESTS:
            result = answer_server_request(method, params)
            self._write({"jsonrpc": "2.0", "id": request_id, "result": result})
            return
        error = {"code": METHOD_NOT_FOUND, "message": f"unsupported: {method}"}
        self._write({"jsonrpc": "2.0", "id": request_id, "error": error})
