"""An ``isoplay serve`` subprocess for tests: started, its banner read, stopped (SIGTERM, then kill)."""

from __future__ import annotations

import os
import queue
import signal
import subprocess
import sys
import threading
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


class ServeProcess:
    """``python -m app serve ARGS`` with no inherited token or store; ``url`` comes from its banner.

    Args:
        args: What follows ``serve`` (``--data``, ``--port 0``, ...).
        env: Extra environment variables.
    """

    def __init__(self, args: list[str], env: dict[str, str] | None = None) -> None:
        environ = {k: v for k, v in os.environ.items() if k not in ("ISOPLAY_TOKEN", "ISOPLAY_STORE")}
        environ.update(env or {})
        self.proc = subprocess.Popen([sys.executable, "-m", "app", "serve", *args], cwd=REPO, env=environ,
                                     stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, text=True)
        self.lines: queue.Queue[str] = queue.Queue()
        """Every line the server printed on stderr after its banner."""
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()
        self.banner = self.lines.get(timeout=60)
        if not self.banner.startswith("isoplay serve: http://127.0.0.1:"):
            self.stop()  # a server that did not start is not left running (nor its pipe open)
            rest = []
            while not self.lines.empty():
                rest.append(self.lines.get_nowait())
            raise AssertionError("isoplay serve did not start:\n" + self.banner + "".join(rest))
        self.url = self.banner.split()[2].rstrip("/")

    def _read(self) -> None:
        assert self.proc.stderr is not None
        for line in self.proc.stderr:
            self.lines.put(line)

    def stop(self) -> int | None:
        """SIGTERM (a graceful drain), SIGKILL after 30 s; returns the exit code."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(10)
        self.reader.join(10)
        assert self.proc.stderr is not None
        self.proc.stderr.close()
        return self.proc.returncode
