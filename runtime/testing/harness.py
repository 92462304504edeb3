"""Build the test harness (resources/testing/src, TypeScript) into one cached script.

Like the prelude (runtime/prelude.py) it is bundled by esbuild once per source
hash into the user cache, so each test isolate only evaluates plain JS. The
shims the test bundles import instead of ``vitest`` / ``cloudflare:test`` live
in resources/testing/shims and read the harness's ``globalThis.__isoplay_test``.
"""

from __future__ import annotations

import functools
import hashlib
import os
import subprocess
from pathlib import Path

import platformdirs

from runtime import toolchain
from runtime.errors import BundleError, Diagnostic

TESTING_DIR = Path(__file__).resolve().parent.parent.parent / "resources" / "testing"
"""The harness's TypeScript sources and shims."""
SHIMS_DIR = TESTING_DIR / "shims"
BUILD_FLAGS = (
    "--bundle", "--format=iife", "--platform=neutral", "--main-fields=module,main", "--target=es2022", "--minify",
    "--keep-names", "--legal-comments=none", "--log-level=error", "--color=false",
    # @sinonjs/fake-timers reaches for Node's util only when `process` exists (isolates have none);
    # @sinonjs/commons finds the global object as `global`
    "--external:util", "--define:global=globalThis",
)
HARNESS_URL = "isoplay://test-harness.js"
"""The harness's script name in stack traces (its frames are not the user's)."""


@functools.cache
def source_hash() -> str:
    """Hash of the harness sources and the toolchain lock (once per process)."""
    digest = hashlib.sha256(toolchain.lock_hash().encode())
    digest.update(" ".join(BUILD_FLAGS).encode())
    for path in sorted((TESTING_DIR / "src").rglob("*")):
        if path.is_file():
            digest.update(path.relative_to(TESTING_DIR).as_posix().encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


@functools.cache
def script() -> str:
    """The harness as test isolates evaluate it (built on first use, then cached on disk)."""
    out = Path(platformdirs.user_cache_dir("isoplay")) / "testing" / f"harness-{source_hash()}.js"
    if out.is_file():
        code = out.read_text(encoding="utf-8")
    else:
        code = _build(toolchain.ensure())
        out.parent.mkdir(parents=True, exist_ok=True)
        tmp = out.with_suffix(f".{os.getpid()}.tmp")
        tmp.write_text(code, encoding="utf-8")
        tmp.replace(out)
    return code + f"\n//# sourceURL={HARNESS_URL}\n"


def _build(tools: toolchain.Toolchain) -> str:
    cmd = [str(tools.esbuild), str(TESTING_DIR / "src" / "index.ts"), *BUILD_FLAGS]
    env = dict(os.environ)
    if tools.root is not None:
        env["NODE_PATH"] = str(tools.root / "node_modules")
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env, cwd=TESTING_DIR, timeout=120)
    if proc.returncode != 0:
        from runtime.bundler import parse_esbuild_log

        errors, _warnings = parse_esbuild_log(proc.stderr)
        raise BundleError("the test harness failed to build (an isoplay bug)",
                          diagnostics=errors or [Diagnostic(proc.stderr.strip())])
    return proc.stdout
