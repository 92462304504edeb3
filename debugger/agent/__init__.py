"""Build the in-isolate debug agent (agent.ts) into one script, cached by source hash."""

from __future__ import annotations

import functools
import hashlib
import os
import subprocess
from pathlib import Path

import platformdirs

from runtime import toolchain
from runtime.errors import BundleError

AGENT_SOURCE = Path(__file__).resolve().parent / "agent.ts"
"""The agent's TypeScript source."""
AGENT_URL = "isoplay://debug-agent.js"
"""The script name V8 shows for agent frames (they are filtered out of stacks)."""


def source_hash() -> str:
    """Hash of the agent source and the toolchain lock."""
    digest = hashlib.sha256(toolchain.lock_hash().encode())
    digest.update(AGENT_SOURCE.read_bytes())
    return digest.hexdigest()[:16]


def build() -> str:
    """The agent as a plain script ending in its sourceURL, built on first use.

    Raises:
        BundleError: the agent does not build (a bug in isoplay itself).
    """
    return _build_cached(source_hash())


@functools.lru_cache(maxsize=2)
def _build_cached(digest: str) -> str:
    out = Path(platformdirs.user_cache_dir("isoplay")) / "debug-agent" / f"agent-{digest}.js"
    if out.is_file():
        return out.read_text(encoding="utf-8")
    tools = toolchain.ensure()
    cmd = [str(tools.esbuild), str(AGENT_SOURCE), "--bundle", "--format=iife", "--platform=neutral",
           "--target=es2022", "--log-level=error", "--color=false"]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
    if proc.returncode != 0:
        raise BundleError(f"the debug agent failed to build: {proc.stderr.strip()[:2000]}")
    script = proc.stdout + f"\n//# sourceURL={AGENT_URL}\n"
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_suffix(f".{os.getpid()}.tmp")
    tmp.write_text(script, encoding="utf-8")
    tmp.replace(out)
    return script
