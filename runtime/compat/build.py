"""What a Workers project adds to isoplay's esbuild command line.

- ``cloudflare:workers`` resolves to ``resources/compat/cloudflare-workers.js``
  (which reads what the prelude's ``workers.ts`` publishes); ``cloudflare:sockets`` to a
  module whose ``connect()`` says TCP sockets are not supported yet and what to use.
- Module rules (wrangler's defaults after the project's own ``rules``): Text
  (``.txt``, ``.html``, ``.sql``) imports as a string, Data (``.bin``) as bytes
  (a ``Uint8Array``; workerd gives an ``ArrayBuffer``); CompiledWasm (``.wasm``) gives a
  compiled ``WebAssembly.Module`` that ships with the bundle (``runtime.compat.wasm``).
- ``nodejs_compat`` (or ``nodejs_compat_v2``): every ``node:*`` module (and its
  bare name) resolves to a polyfill, as wrangler wires unenv into esbuild:
  unenv 2's modules, except where workerd implements a module natively and
  unenv only stubs it -- there isoplay uses a library (``readable-stream``,
  ``string_decoder``, ``@noble/hashes`` for ``node:crypto`` hashing) or its own
  module (``node:async_hooks``: AsyncLocalStorage carried across ``await``).
  ``Buffer``, ``process``, ``global`` and ``setImmediate`` are injected as
  globals (``resources/compat/node/globals.js``).
- Without the flag a ``node:`` import fails with a message naming the flag.

The shim files are copied next to the toolchain's ``node_modules`` (once per
content hash) so their own imports (``unenv/...``, ``@noble/hashes/...``)
resolve there and never from the user's project.
"""

from __future__ import annotations

import functools
import hashlib
import os
import re
import shutil
from pathlib import Path

from runtime.errors import BundleError, Diagnostic

COMPAT_RESOURCES = Path(__file__).resolve().parent.parent.parent / "resources" / "compat"
"""cloudflare:workers and the node:* shims, as shipped."""

NODE_COMPAT_FLAGS = frozenset({"nodejs_compat", "nodejs_compat_v2"})

OVERRIDES = {
    "assert": "node/assert.js",
    "buffer": "node/buffer.js",
    "crypto": "node/crypto.js",
    "events": "node/events.js",
    "async_hooks": "node/async_hooks.js",
    "stream": "node/stream.js",
    "stream/promises": "node/stream_promises.js",
    "string_decoder": "node/string_decoder.js",
    "util": "node/util.js",
}
"""Modules workerd implements natively where unenv has only stubs: isoplay's own files."""

LOWERED_OVERRIDES: dict[str, str] = {}
"""Replacements in bundles built with await lowered (see uses_async_hooks)."""

ASYNC_HOOKS_SHIM = "node/async_hooks.js"

_TEXT_LOADERS = {"Text": "text", "Data": "binary", "ESModule": "js", "CommonJS": "js"}
_GLOB_EXT = re.compile(r"^(?:\*\*/)?\*(\.[A-Za-z0-9_.-]+)(\?module)?$")

TLA_IIFE_ERROR = "Top-level await is currently not supported with the \"iife\" output format"


def node_compat_enabled(flags: tuple[str, ...] | list[str]) -> bool:
    """Whether the compatibility flags turn Node.js compatibility on."""
    return bool(NODE_COMPAT_FLAGS & set(flags)) and "no_nodejs_compat_v2" not in flags


@functools.cache
def _compat_hash() -> str:
    digest = hashlib.sha256()
    for path in sorted(COMPAT_RESOURCES.rglob("*")):
        if path.is_file():
            digest.update(path.relative_to(COMPAT_RESOURCES).as_posix().encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()[:12]


def compat_dir(toolchain_root: Path | None) -> Path:
    """The shims, materialised beside the toolchain's node_modules (copied once per content hash)."""
    if toolchain_root is None:
        return COMPAT_RESOURCES
    target = toolchain_root / f".isoplay-compat-{_compat_hash()}"
    if not target.is_dir():
        staging = toolchain_root / f".isoplay-compat-{_compat_hash()}.{os.getpid()}.tmp"
        shutil.rmtree(staging, ignore_errors=True)
        shutil.copytree(COMPAT_RESOURCES, staging)
        try:
            staging.rename(target)
        except OSError:
            shutil.rmtree(staging, ignore_errors=True)  # another process won the race
    return target


@functools.cache
def node_modules_table(toolchain_root: Path) -> dict[str, Path]:
    """Node built-in module name (``buffer``, ``path/posix`` ...) -> the file that implements it."""
    base = toolchain_root / "node_modules" / "unenv" / "dist" / "runtime" / "node"
    table: dict[str, Path] = {}
    if base.is_dir():
        for path in sorted(base.rglob("*.mjs")):
            rel = path.relative_to(base).as_posix()
            if rel.startswith("internal/"):
                continue
            table[rel.removesuffix(".mjs")] = path
    shims = compat_dir(toolchain_root)
    for name, rel in OVERRIDES.items():
        table[name] = shims / rel
    return table


def effective_rules(rules: tuple = ()) -> tuple[list[tuple[str, tuple[str, ...]]], list[tuple[str, str]]]:
    """The project's rules, then wrangler's defaults, as wrangler applies them: a project rule without
    ``fallthrough = true`` hides the later rules of its type (wrangler then refuses files only those
    matched). Returns the rules in force and the hidden default (type, glob) pairs."""
    from runtime.compat.wrangler import DEFAULT_RULES

    closed: set[str] = set()
    out: list[tuple[str, tuple[str, ...]]] = []
    for rtype, globs, *rest in rules:
        out.append((rtype, tuple(globs)))
        if not (rest and rest[0]):
            closed.add(rtype)
    hidden = [(t, g) for t, globs in DEFAULT_RULES if t in closed for g in globs]
    out += [(t, g) for t, g in DEFAULT_RULES if t not in closed]
    return out, hidden


def loader_args(rules: tuple[tuple[str, tuple[str, ...], bool], ...] | tuple[()] = ()) -> list[str]:
    """``--loader:.ext=...`` flags for the module rules (the project's first, then wrangler's defaults)."""
    seen: dict[str, str] = {}
    for rtype, globs in effective_rules(rules)[0]:
        for glob in globs:
            match = _GLOB_EXT.match(glob)
            if not match:
                continue
            ext = match.group(1)
            if ext in seen or ext in (".js", ".mjs", ".cjs", ".ts", ".tsx", ".jsx", ".mts", ".cts"):
                continue
            if rtype == "CompiledWasm":
                seen[ext] = "wasm"
                continue
            seen[ext] = _TEXT_LOADERS.get(rtype, "text")
    return [f"--loader:{ext}={loader}" for ext, loader in seen.items() if loader != "wasm"]


def wasm_extensions(rules: tuple[tuple[str, tuple[str, ...], bool], ...] | tuple[()] = ()) -> list[str]:
    """Extensions a CompiledWasm rule claims (imported as compiled modules, see runtime.compat.wasm)."""
    out = []
    for rtype, globs in effective_rules(rules)[0]:
        if rtype != "CompiledWasm":
            continue
        for glob in globs:
            match = _GLOB_EXT.match(glob)
            if match and match.group(1) not in out:
                out.append(match.group(1))
    return out


def esbuild_compat_args(flags: tuple[str, ...], rules: tuple, toolchain_root: Path | None,
                        lowered: bool = False) -> list[str]:
    """Aliases, loaders and injects a Workers project needs (see the module docstring)."""
    shims = compat_dir(toolchain_root)
    args = [f"--alias:cloudflare:workers={shims / 'cloudflare-workers.js'}",
            f"--alias:cloudflare:sockets={shims / 'cloudflare-sockets.js'}", *loader_args(rules)]
    if node_compat_enabled(flags) and toolchain_root is not None:
        table = dict(node_modules_table(toolchain_root))
        if lowered:
            table.update({name: shims / rel for name, rel in LOWERED_OVERRIDES.items()})
        for name, path in table.items():
            args.append(f"--alias:node:{name}={path}")
            args.append(f"--alias:{name}={path}")
        args.append(f"--inject:{shims / 'node' / 'globals.js'}")
    return args


def uses_async_hooks(sources: list[tuple[str, str]], toolchain_root: Path | None) -> bool:
    """Whether code outside isoplay's shims imports ``async_hooks`` (then await is lowered, so that
    AsyncLocalStorage context follows every await; see resources/compat/node/async_hooks.js)."""
    skip = str(toolchain_root).replace("\\", "/") if toolchain_root else None
    for path, content in sources:
        where = path.replace("\\", "/")
        if skip and skip.lstrip("/") in where:
            continue
        if "async_hooks" in content and re.search(r"""["'](?:node:)?async_hooks["']""", content):
            return True
    return False


_NODE_BUILTIN_RE = re.compile(r'^Could not resolve "(node:[^"]+)"')
_BARE_BUILTIN_HINT = re.compile(r'^Could not resolve "([^"]+)"')


def _hidden_rule(message: str, rules: tuple) -> tuple[str, str] | None:
    for rtype, glob in effective_rules(rules)[1]:
        match = _GLOB_EXT.match(glob)
        if match and f'"{match.group(1)}"' in message:
            return rtype, glob
    return None


def explain(errors: list[Diagnostic], flags: tuple[str, ...], config: str, wasm_exts: list[str],
            rules: tuple = ()) -> list[Diagnostic]:
    """esbuild errors with isoplay's advice for Workers features (the nodejs_compat flag, wasm, ...)."""
    out = []
    for diag in errors:
        message = diag.message
        node = _NODE_BUILTIN_RE.match(message)
        bare = _BARE_BUILTIN_HINT.match(message)
        if node and not node_compat_enabled(flags):
            message = (f'{message}: Node.js built-in modules need the nodejs_compat compatibility flag; add '
                       f'compatibility_flags = ["nodejs_compat"] to {config}')
        elif bare and _is_builtin(bare.group(1)) and not node_compat_enabled(flags):
            message = (f'{message}: "{bare.group(1)}" is a Node.js built-in module; add compatibility_flags = '
                       f'["nodejs_compat"] to {config} (or install a package of that name with `isoplay npm install`)')
        elif bare and not bare.group(1).startswith((".", "/")):
            message = f"{message}: is the package installed? Run `isoplay npm install` in the project folder"
        elif "No loader is configured for" in message and (hidden := _hidden_rule(message, rules)):
            rtype, glob = hidden
            message = (f"{message}: the file matches wrangler's default {rtype} rule ({glob}), which is ignored because "
                       f"a {rtype} rule in {config} comes first without fallthrough = true (wrangler refuses it the "
                       "same way); add fallthrough = true to that rule, or add the glob to it")
        elif "No loader is configured for" in message and not any(f'"{e}"' in message for e in wasm_exts):
            message = (f'{message}: add a module rule to {config}, e.g. [[rules]] type = "Text" '
                       'globs = ["**/*.ext"] (Text, Data, CompiledWasm or ESModule)')
        out.append(Diagnostic(message, diag.location, diag.severity))
    return out


_BUILTINS = frozenset({
    "assert", "async_hooks", "buffer", "child_process", "cluster", "console", "constants", "crypto", "dgram",
    "diagnostics_channel", "dns", "domain", "events", "fs", "http", "http2", "https", "inspector", "module", "net",
    "os", "path", "perf_hooks", "process", "punycode", "querystring", "readline", "repl", "stream",
    "string_decoder", "sys", "timers", "tls", "trace_events", "tty", "url", "util", "v8", "vm", "wasi",
    "worker_threads", "zlib",
})


def _is_builtin(name: str) -> bool:
    return name.split("/")[0] in _BUILTINS


def wrap_esm(code: str, sourcemap_json: str) -> tuple[str, str]:
    """Turn esbuild's ESM output (with top-level await) into a script assigning a Promise of the module.

    The body runs inside an async arrow function; the final ``export { a as default, b as c }``
    becomes its return value. One line is prepended, so the source map gains one empty line.

    Raises:
        BundleError: the output does not end with the export statement esbuild writes.
    """
    import json

    # esbuild ends the module with its export statement: on a line of its own, or after the
    # last statement on the same line when minified.
    match = re.search(r"(?:\n|;|\})\s*export\s*\{([^}]*)\};?\s*$", "\n" + code)
    if match:
        body = ("\n" + code)[: match.start() + (0 if match.group(0).startswith("\n") else 1)].lstrip("\n")
        pairs = []
        for part in match.group(1).split(","):
            part = part.strip()
            if not part:
                continue
            local, _, exported = part.partition(" as ")
            exported = exported.strip() or local.strip()
            pairs.append(f"{json.dumps(exported)}: {local.strip()}")
        ret = "return { " + ", ".join(pairs) + " };"
    elif re.search(r"^\s*export\s", code, re.M):
        raise BundleError("cannot load this module's exports (an export form isoplay does not recognise)")
    else:
        body, ret = code, "return {};"
    wrapped = "var __isoplay_module = (async () => {\n" + body + "\n" + ret + "\n})();"
    data = json.loads(sourcemap_json)
    data["mappings"] = ";" + data.get("mappings", "")
    return wrapped, json.dumps(data)
