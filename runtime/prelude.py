"""Build the isolate prelude (resources/prelude/src, TypeScript) into one script.

The prelude is bundled by esbuild into a minified IIFE once per source hash and
cached under the user cache folder, so isolates load it as plain JS. The IIFE is
wrapped in a function that receives ``__drain``, the microtask drain the engine
installs as a global (``runtime.engine.DRAIN_GLOBAL``); the wrapper takes it and
deletes the global before any other code runs, so only the prelude holds it.
"""

from __future__ import annotations

import functools
import hashlib
import os
import subprocess
from pathlib import Path

import platformdirs

from runtime import prelude_patches, toolchain
from runtime.errors import BundleError, Diagnostic

PRELUDE_DIR = Path(__file__).resolve().parent.parent / "resources" / "prelude"
"""The prelude's TypeScript project."""

_WRAP_HEAD = "(function (__drain) {\n"
_WRAP_TAIL = (
    "\n})((() => { const d = globalThis.__isoplay_drain; delete globalThis.__isoplay_drain;"
    " if (typeof d !== 'function') throw new Error('isoplay: the host installed no microtask drain');"
    " return d; })());\n"
)


PRELUDE_URL = "isoplay://prelude.js"
"""The prelude's script name in stack traces."""


@functools.cache
def source_hash() -> str:
    """Hash of the prelude sources and the toolchain lock (once per process: they ship with isoplay,
    and hashing them for every new isolate cost 0.5 ms of disk reads on the loop thread)."""
    digest = hashlib.sha256(toolchain.lock_hash().encode())
    digest.update((_WRAP_HEAD + _WRAP_TAIL).encode())
    digest.update(prelude_patches.fingerprint().encode())
    for path in sorted((PRELUDE_DIR / "src").rglob("*")):
        if path.is_file():
            digest.update(path.relative_to(PRELUDE_DIR).as_posix().encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def _cache_path(digest: str) -> Path:
    return Path(platformdirs.user_cache_dir("isoplay")) / "prelude" / f"prelude-{digest}.js"


def build(tools: toolchain.Toolchain | None = None) -> str:
    """Return the wrapped prelude script, building it if its sources changed.

    Raises:
        BundleError: the prelude sources do not build (a bug in isoplay itself).
    """
    digest = source_hash()
    return _build_cached(digest, tools)


@functools.cache
def script() -> str:
    """The prelude as isolates evaluate it: ``build()`` with its source URL."""
    return build() + f"\n//# sourceURL={PRELUDE_URL}\n"


@functools.cache
def script_bytes() -> bytes:
    """``script()`` as UTF-8 (what V8's compile API takes)."""
    return script().encode("utf-8")


def code_cache_path() -> Path:
    """Where the prelude's V8 code cache is kept: one file per prelude build, mini-racer
    (V8) version and V8 flag set, since V8 refuses a cache made under any other."""
    from importlib.metadata import version

    from runtime.engine import V8_FLAGS

    key = hashlib.sha256(f"{source_hash()}|{version('mini-racer')}|{' '.join(V8_FLAGS)}".encode()).hexdigest()[:16]
    return _cache_path(source_hash()).with_name(f"prelude-{key}.v8cache")


def read_code_cache() -> bytes | None:
    """The stored code cache, if present and intact (its SHA-256 leads the file)."""
    try:
        raw = code_cache_path().read_bytes()
    except OSError:
        return None
    data = raw[32:]
    if len(raw) <= 32 or hashlib.sha256(data).digest() != raw[:32]:
        return None
    return data


def write_code_cache(data: bytes) -> None:
    """Store the code cache atomically (a failure only means the next process makes it again)."""
    out = code_cache_path()
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        tmp = out.with_suffix(f".{os.getpid()}.tmp")
        tmp.write_bytes(hashlib.sha256(data).digest() + data)
        tmp.replace(out)
    except OSError:
        pass


@functools.lru_cache(maxsize=4)
def _build_cached(digest: str, tools: toolchain.Toolchain | None) -> str:
    out = _cache_path(digest)
    if out.is_file():
        return out.read_text(encoding="utf-8")
    tools = tools or toolchain.ensure()
    cmd = [
        str(tools.esbuild),
        str(PRELUDE_DIR / "src" / "index.ts"),
        "--bundle",
        "--format=iife",
        "--platform=neutral",
        "--target=es2022",
        "--minify",
        "--legal-comments=none",
        "--log-level=error",
        "--color=false",
        # The neutral platform reads no package.json main field by default; tr46 (IDNA,
        # required lazily by web/url.ts) asks for its dependency as "punycode/".
        "--main-fields=module,main",
        # tr46's tables are prelude chunks (web/idna.ts answers these two requires).
        "--external:./lib/mappingTable.json",
        "--external:./lib/regexes.js",
        # html-rewriter-wasm's Node glue (web/htmlrewriter.ts answers these while it loads).
        "--external:util",
        "--external:assert",
        "--external:path",
        "--external:fs",
    ]
    env = dict(os.environ)
    if tools.root is not None:
        env["NODE_PATH"] = str(tools.root / "node_modules")
        # pinned packages that trail their spec are bundled patched (runtime/prelude_patches.py)
        for specifier, path in prelude_patches.apply(tools.root / "node_modules", out.parent / "patched").items():
            cmd.append(f"--alias:{specifier}={path}")
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env, cwd=PRELUDE_DIR, timeout=120)
    if proc.returncode != 0:
        from runtime.bundler import parse_esbuild_log

        errors, _warnings = parse_esbuild_log(proc.stderr)
        raise BundleError("the isolate prelude failed to build (an isoplay bug)",
                          diagnostics=errors or [Diagnostic(proc.stderr.strip())])
    script = _WRAP_HEAD + proc.stdout + _WRAP_TAIL
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_suffix(f".{os.getpid()}.tmp")
    tmp.write_text(script, encoding="utf-8")
    tmp.replace(out)
    return script
