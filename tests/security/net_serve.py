"""A real ``isoplay serve`` process on 127.0.0.1 (port 0) for the network attack tests, with an
app published to it over the deploy API."""

from __future__ import annotations

import os
import queue
import signal
import subprocess
import sys
import threading
from pathlib import Path

import httpx

REPO = Path(__file__).resolve().parents[2]


def _env() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if k not in ("ISOPLAY_TOKEN", "ISOPLAY_SERVER")}


class ServeProcess:
    """``python -m app serve --data DIR --port 0 [args]``; ``url`` is set once it listens."""

    def __init__(self, data: Path, *args: str) -> None:
        self.data = data
        created = subprocess.run([sys.executable, "-m", "app", "serve", "--data", str(data), "--create-token", "net"],
                                 capture_output=True, text=True, cwd=REPO, env=_env(), timeout=60)
        assert created.returncode == 0, created.stderr
        self.token = created.stdout.strip().splitlines()[0]
        self.proc = subprocess.Popen([sys.executable, "-m", "app", "serve", "--data", str(data), "--port", "0", *args],
                                     cwd=REPO, env=_env(), stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, text=True)
        self.lines: queue.Queue[str] = queue.Queue()
        threading.Thread(target=self._read, daemon=True).start()
        banner = ""
        while not banner.startswith("isoplay serve: http"):
            try:
                banner = self.lines.get(timeout=60)
            except queue.Empty:
                self.stop()
                raise AssertionError("isoplay serve did not start") from None
        self.url = banner.split()[2].rstrip("/")

    def _read(self) -> None:
        assert self.proc.stderr is not None
        for line in self.proc.stderr:
            self.lines.put(line.rstrip("\n"))

    def publish(self, project: Path) -> None:
        """Build the project as a release and make it live."""
        from runtime.publish_client import PublishClient, build_release

        with PublishClient(self.url, self.token) as client:
            client.publish(build_release(project))

    def get(self, path: str, **kwargs: object) -> httpx.Response:
        return httpx.get(self.url + path, timeout=30, **kwargs)  # type: ignore[arg-type]

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=10)
        if self.proc.stderr is not None:
            self.proc.stderr.close()


def write_project(root: Path, name: str, source: str, manifest_extra: str = "") -> Path:
    """A project folder with ``src/index.ts`` = ``source``."""
    (root / "src").mkdir(parents=True, exist_ok=True)
    (root / "isoplay.toml").write_text(f'name = "{name}"\nversion = "1.0.0"\nmain = "src/index.ts"\n\n'
                                       f'[limits]\ntimeout_ms = 10000\nmin_idle = 0\n\n{manifest_extra}',
                                       encoding="utf-8")
    (root / "src" / "index.ts").write_text(source, encoding="utf-8")
    return root
