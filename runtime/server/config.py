"""Settings of ``isoplay serve``, passed in (never global)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from runtime.httpfront import FrontLimits

MIB = 1024 * 1024
DEFAULT_MAX_BUNDLE_BYTES = 10 * MIB
DEFAULT_PORT = 8788


@dataclass(frozen=True)
class ServerConfig:
    """What a server runtime is configured with."""

    data_dir: Path
    """Registry, bundles and each app's KV store live here."""
    max_bundle_bytes: int = DEFAULT_MAX_BUNDLE_BYTES
    """Largest upload (script + source map + manifest, multipart framing included) accepted; 413 beyond."""
    max_pinned_pools: int = 16
    """Warm pools kept for versions that are not live (least recently used are stopped)."""
    max_timeout_ms: int = 300_000
    """Largest ``[limits] timeout_ms`` a published manifest may ask for."""
    max_memory_mb: int = 1024
    """Largest ``[limits] memory_mb`` a published manifest may ask for."""
    max_isolates: int = 32
    """Largest ``[limits] max_isolates`` a published manifest may ask for."""
    log_buffer: int = 1000
    """Events buffered per log-stream subscriber before the oldest are dropped."""
    dev_errors: bool = False
    """Answer a failing script's requests with its TypeScript stack (else a bare 500)."""
    sse_keepalive_seconds: float = 15.0
    """A comment line is sent on idle log streams this often."""
    public_metrics: bool = False
    """Answer ``/metrics`` without a token (``isoplay serve --public-metrics``); by default it needs a
    ``metrics`` or ``admin`` token, since it names every app."""
    fetch_allow_private: bool = False
    """Let scripts fetch private addresses (10/8, 172.16/12, 192.168/16, 100.64/10, fc00::/7); loopback,
    link-local and unspecified addresses stay refused (runtime/egress.py, EgressPolicy)."""
    fetch_allow_loopback: bool = False
    """Let scripts fetch this machine's loopback addresses (``--fetch-allow-loopback``; for trying a server
    against local services)."""
    record: bool = True
    """Apply each app's ``[recordings]`` policy (``--no-record`` turns recording off for every app)."""
    front_limits: FrontLimits = field(default_factory=FrontLimits)
    """Request-head limits of the HTTP front (URL 414, header bytes and count 431)."""
    store: str = ""
    """``--store``: empty for SQLite files in ``data_dir``, or a ``postgresql://`` URL shared by every node."""
    run_crons: bool = True
    """Run the live versions' cron schedules here (one worker of a ``--workers N`` server does)."""
    node: str = ""
    """This process's name in logs and metrics (``host/worker``); empty for a lone server."""
