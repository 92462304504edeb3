"""Types a Workers project already has, made honest for isoplay's runtime.

- ``workers_types(tools)``: the pinned ``@cloudflare/workers-types`` declarations minus the
  globals isoplay's isolate does not have. The isolate is asked (``runtime_globals``), the
  declarations are parsed with tree-sitter, and every top-level value the runtime lacks is
  taken out: a ``declare var/const/function`` is removed; a ``declare class`` is renamed
  and its name kept as a type alias, so the type still works in annotations while using it
  as a value fails to compile ("only refers to a type"). The result, and the list of what
  was taken out (``missing``), is cached per workers-types version and prelude hash.
- ``check_config(root, manifest, tools)``: ``.isoplay/tsconfig.check.json`` for ``isoplay
  check`` on a wrangler project: it extends the project's own tsconfig, uses that overlay
  instead of an uninstalled ``@cloudflare/workers-types``, adds ``@types/node`` under
  ``nodejs_compat`` when the project has none, and adds the Env generated from the config
  (``.isoplay/types/env.d.ts``) unless the project has ``worker-configuration.d.ts``
  (``wrangler types``' output).
"""

from __future__ import annotations

import asyncio
import functools
import hashlib
import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import platformdirs

if TYPE_CHECKING:
    from runtime.manifest import Manifest
    from runtime.toolchain import Toolchain

NODE_GLOBALS = frozenset({"Buffer", "process", "global", "setImmediate", "clearImmediate"})
"""Globals a nodejs_compat bundle injects (resources/compat/node/globals.js)."""

MISSING_PREFIX = "__isoplay_missing_"


@dataclass(frozen=True)
class Declared:
    """A top-level value declared by a .d.ts file."""

    name: str
    kind: str
    """var, function, class or namespace."""
    start: int
    end: int
    name_start: int = 0
    name_end: int = 0
    type_params: str = ""


@functools.cache
def runtime_globals() -> frozenset[str]:
    """The names on ``globalThis`` of a fresh isolate with isoplay's prelude (asked, not assumed)."""
    from runtime import prelude

    cache = Path(platformdirs.user_cache_dir("isoplay")) / "types" / f"globals-{prelude.source_hash()}.json"
    if cache.is_file():
        return frozenset(json.loads(cache.read_text(encoding="utf-8")))

    async def probe() -> list[str]:
        from runtime.engine import V8Isolate
        from runtime.stock import load_prelude

        v8 = V8Isolate(asyncio.get_running_loop(), memory_limit=128 * 1024 * 1024)
        try:
            load_prelude(v8)
            return list(v8.eval_json("JSON.stringify(Object.getOwnPropertyNames(globalThis))"))
        finally:
            v8.close()

    try:
        asyncio.get_running_loop()
    except RuntimeError:
        names = asyncio.run(probe())
    else:  # called on a running loop (a template written by async code): probe on a thread of its own
        import concurrent.futures

        with concurrent.futures.ThreadPoolExecutor(1, thread_name_prefix="isoplay-globals") as pool:
            names = pool.submit(asyncio.run, probe()).result()
    cache.parent.mkdir(parents=True, exist_ok=True)
    cache.write_text(json.dumps(sorted(names)), encoding="utf-8")
    return frozenset(names)


def declared_values(source: bytes) -> list[Declared]:
    """Top-level ``declare var/const/let/function/class/namespace`` of a .d.ts file (tree-sitter)."""
    import tree_sitter
    import tree_sitter_typescript

    parser = tree_sitter.Parser(tree_sitter.Language(tree_sitter_typescript.language_typescript()))
    tree = parser.parse(source)
    out: list[Declared] = []
    for node in tree.root_node.children:
        if node.type != "ambient_declaration" or len(node.children) < 2:
            continue
        inner = node.children[1]
        if inner.type in ("variable_declaration", "lexical_declaration"):
            for decl in inner.children:
                if decl.type == "variable_declarator":
                    name = decl.child_by_field_name("name")
                    if name is not None:
                        out.append(Declared(source[name.start_byte:name.end_byte].decode(), "var", node.start_byte,
                                            node.end_byte))
        elif inner.type == "function_signature":
            name = inner.child_by_field_name("name")
            if name is not None:
                out.append(Declared(source[name.start_byte:name.end_byte].decode(), "function", node.start_byte,
                                    node.end_byte))
        elif inner.type in ("class_declaration", "abstract_class_declaration"):
            name = inner.child_by_field_name("name")
            params = inner.child_by_field_name("type_parameters")
            if name is not None:
                out.append(Declared(source[name.start_byte:name.end_byte].decode(), "class", node.start_byte,
                                    node.end_byte, name.start_byte, name.end_byte,
                                    source[params.start_byte:params.end_byte].decode() if params else ""))
        elif inner.type == "internal_module":
            name = inner.child_by_field_name("name")
            if name is not None and name.type == "identifier":
                out.append(Declared(source[name.start_byte:name.end_byte].decode(), "namespace", node.start_byte,
                                    node.end_byte))
    return out


def _param_names(type_params: str) -> str:
    """``<T extends X = Y, U>`` -> ``<T, U>``."""
    if not type_params:
        return ""
    inner = type_params.strip()[1:-1]
    names, depth, current = [], 0, ""
    for ch in inner:
        if ch in "<([{":
            depth += 1
        elif ch in ">)]}":
            depth -= 1
        if ch == "," and depth == 0:
            names.append(current)
            current = ""
        else:
            current += ch
    names.append(current)
    return "<" + ", ".join(re.split(r"\s|=", n.strip())[0] for n in names if n.strip()) + ">"


def subtract(source: bytes, present: frozenset[str]) -> tuple[str, list[str], list[str]]:
    """The declarations without the values ``present`` lacks: (text, taken out, kept though missing)."""
    values = declared_values(source)
    interfaces = {m.decode() for m in re.findall(rb"^(?:declare )?interface (\w+)", source, re.M)}
    edits: list[tuple[int, int, bytes]] = []
    removed: list[str] = []
    kept: list[str] = []
    aliases: list[str] = []
    for decl in values:
        if decl.name in present:
            continue
        if decl.kind in ("var", "function"):
            edits.append((decl.start, decl.end, b""))
            removed.append(decl.name)
        elif decl.kind == "class" and decl.name not in interfaces:
            edits.append((decl.name_start, decl.name_end, (MISSING_PREFIX + decl.name).encode()))
            aliases.append(f"type {decl.name}{decl.type_params} = {MISSING_PREFIX}{decl.name}{_param_names(decl.type_params)};")
            removed.append(decl.name)
        else:
            kept.append(decl.name)
    out = bytearray(source)
    for start, end, text in sorted(edits, reverse=True):
        out[start:end] = text
    names = sorted(set(removed))
    header = ("// Generated by isoplay from @cloudflare/workers-types: values isoplay's runtime does not have are\n"
              "// taken out (classes stay usable as types). Missing: " + ", ".join(names) + "\n")
    return header + out.decode("utf-8") + "\n" + "\n".join(aliases) + "\n", names, sorted(set(kept))


@dataclass(frozen=True)
class Overlay:
    """The subtracted workers-types file and what it lacks."""

    path: Path
    missing: tuple[str, ...]
    kept: tuple[str, ...]


def workers_types(tools: Toolchain, node_compat: bool = False) -> Overlay:
    """The pinned workers-types minus what the runtime lacks (generated once per versions);
    with ``node_compat`` the globals a nodejs_compat bundle injects count as present."""
    from runtime import prelude

    assert tools.root is not None
    src = tools.root / "node_modules" / "@cloudflare" / "workers-types" / "index.d.ts"
    data = src.read_bytes()
    key = hashlib.sha256(data + prelude.source_hash().encode() + (b"node" if node_compat else b"")).hexdigest()[:16]
    folder = Path(platformdirs.user_cache_dir("isoplay")) / "types" / f"workers-types-{key}"
    target = folder / "index.d.ts"
    meta = folder / "missing.json"
    if target.is_file() and meta.is_file():
        info = json.loads(meta.read_text(encoding="utf-8"))
        return Overlay(target, tuple(info["missing"]), tuple(info["kept"]))
    present = runtime_globals() | (NODE_GLOBALS if node_compat else frozenset())
    text, missing, kept = subtract(data, present)
    folder.mkdir(parents=True, exist_ok=True)
    tmp = target.with_suffix(".tmp")
    tmp.write_text(text, encoding="utf-8")
    tmp.replace(target)
    meta.write_text(json.dumps({"missing": missing, "kept": kept}), encoding="utf-8")
    return Overlay(target, tuple(missing), tuple(kept))


def _read_tsconfig(path: Path) -> dict[str, Any]:
    from runtime.compat import jsonc

    try:
        data = jsonc.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def check_config(root: Path, manifest: Manifest, tools: Toolchain) -> tuple[Path, Overlay]:
    """Write ``.isoplay/tsconfig.check.json`` for a wrangler project (see the module docstring)."""
    from runtime.compat.build import node_compat_enabled
    from runtime.project import write_wrangler_env

    folder = root / ".isoplay"
    folder.mkdir(exist_ok=True)
    base_path = root / "tsconfig.json"
    base = _read_tsconfig(base_path) if base_path.is_file() else {}
    options = dict(base.get("compilerOptions") or {})
    from runtime.compat.typegen import FILE_NAME, has_runtime_types, refresh

    refresh(root, create=False)  # an isoplay-generated worker-configuration.d.ts follows the config
    configuration = [root / FILE_NAME, root / "src" / FILE_NAME]
    types = []
    for entry in (t for t in (options.get("types") or []) if isinstance(t, str)):
        if entry.startswith("."):  # a path: relative to the project's tsconfig, not to .isoplay/
            if not (root / entry).is_file() and Path(entry).name == FILE_NAME:
                continue  # not generated yet: the Env isoplay generates stands in for it (below)
            entry = str((root / entry).resolve())
        types.append(entry)
    files: list[str] = []
    overlay = workers_types(tools, node_compat_enabled(manifest.compatibility_flags))
    own_workers_types = (root / "node_modules" / "@cloudflare" / "workers-types").is_dir()
    if any(p.is_file() and has_runtime_types(p) for p in configuration):
        # `isoplay types` (or `wrangler types`) put the runtime types in the project already
        types = [t for t in types if not t.startswith("@cloudflare/workers-types")]
    elif not own_workers_types or not any(t.startswith("@cloudflare/workers-types") for t in types):
        types = [t for t in types if not t.startswith("@cloudflare/workers-types")]
        files.append(str(overlay.path))
    if node_compat_enabled(manifest.compatibility_flags) and not (root / "node_modules" / "@types" / "node").is_dir():
        types = [t for t in types if t != "node"]
        assert tools.root is not None
        files.append(str(tools.root / "node_modules" / "@types" / "node" / "index.d.ts"))
    if not any(p.is_file() for p in configuration):
        files.append(str(write_wrangler_env(root, manifest)))
    config: dict[str, Any] = {
        "compilerOptions": {"noEmit": True, "types": types, "skipLibCheck": True},
        "files": files,
    }
    if base_path.is_file():
        config["extends"] = "../tsconfig.json"
    else:
        config["compilerOptions"].update({"target": "ES2022", "module": "ESNext", "moduleResolution": "Bundler",
                                          "lib": ["ES2023"], "strict": True, "allowJs": True})
    if not base.get("include") and not base.get("files"):
        config["include"] = ["../**/*"]
        config["exclude"] = ["../node_modules", "../dist", "../.isoplay", "../.wrangler"]
    path = folder / "tsconfig.check.json"
    path.write_text(json.dumps(config, indent=2) + "\n", encoding="utf-8")
    return path, overlay
