"""A script project on disk: scaffolding, type declarations, data folders.

A project is a folder with ``isoplay.toml`` or a wrangler config
(``wrangler.json``, ``wrangler.jsonc``, ``wrangler.toml``; see
``runtime.compat.wrangler``). When both exist, ``isoplay.toml`` wins.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path

from runtime.errors import ManifestError
from runtime.manifest import MANIFEST_NAME, NAME_RE, Manifest, load_manifest, load_secrets

RESOURCES = Path(__file__).resolve().parent.parent / "resources"
TEMPLATES = ("hello", "kv", "d1", "cron", "router", "worker")
TYPES_DIR = "types"
"""Project folder that holds isoplay's declarations and the generated Env."""


def config_file(root: Path) -> Path | None:
    """The project's config: isoplay.toml, else the wrangler file wrangler would pick, else None."""
    from runtime.compat.wrangler import find_config

    own = root / MANIFEST_NAME
    return own if own.is_file() else find_config(root)


def is_project(root: Path) -> bool:
    """Whether ``root`` holds isoplay.toml or a wrangler config."""
    return config_file(root) is not None


def project_manifest(root: Path, env: str | None = None) -> Manifest:
    """The manifest of the project at ``root``: isoplay.toml, or the wrangler config in environment ``env``.

    Raises:
        ManifestError: no config, or an invalid one.
    """
    from runtime.compat import wrangler

    if (root / MANIFEST_NAME).is_file() or wrangler.find_config(root) is None:
        return load_manifest(root)  # (an environment name means nothing to isoplay.toml: it has none)
    return wrangler.load_manifest(root, env)


def project_secrets(root: Path, env: str | None = None) -> dict[str, str]:
    """Secrets: ``.dev.vars`` (or ``.env``), overridden by ``.isoplay/secrets.toml``."""
    from runtime.compat.wrangler import dev_vars, select_env

    return {**dev_vars(root, select_env(env)), **load_secrets(root)}


@dataclass(frozen=True)
class Project:
    """A project folder with an isoplay.toml or a wrangler config."""

    root: Path
    env: str | None = None
    """The wrangler environment (``--env``), or None for the top level."""

    @classmethod
    def open(cls, path: Path | str, env: str | None = None) -> Project:
        """A Project for ``path`` (validated to hold isoplay.toml or a wrangler config)."""
        from runtime.compat.wrangler import CONFIG_NAMES, select_env

        root = Path(path).resolve()
        if not is_project(root):
            raise ManifestError(f"{root}: no {MANIFEST_NAME} or {' / '.join(CONFIG_NAMES)} here "
                                f"(create a project with `isoplay new {path}`)")
        return cls(root, select_env(env))

    @property
    def config_path(self) -> Path:
        """The config file this project is read from."""
        found = config_file(self.root)
        return found if found is not None else self.root / MANIFEST_NAME

    def manifest(self) -> Manifest:
        """Read and validate the manifest (fresh each call)."""
        return project_manifest(self.root, self.env)

    def secrets(self) -> dict[str, str]:
        """Secrets from .dev.vars / .env and .isoplay/secrets.toml (the latter wins)."""
        return project_secrets(self.root, self.env)

    @property
    def data_dir(self) -> Path:
        """Local state: KV database, saved requests, breakpoints."""
        return self.root / ".isoplay"

    @property
    def kv_path(self) -> Path:
        """The local KV SQLite file."""
        return self.data_dir / "kv.sqlite3"

    @property
    def d1_dir(self) -> Path:
        """The local D1 databases (one SQLite file per database, runtime.d1)."""
        return self.data_dir / "d1"

    @property
    def r2_path(self) -> Path:
        """The local R2 buckets (one SQLite file, runtime.r2)."""
        return self.data_dir / "r2.sqlite3"

    @property
    def cache_path(self) -> Path:
        """The local Cache API SQLite file (``caches``), beside KV."""
        return self.data_dir / "cache.sqlite3"

    def relpath(self, path: Path | str) -> str:
        """``path`` relative to the root, with forward slashes."""
        return Path(path).resolve().relative_to(self.root).as_posix()


def _ts_type(value: object, depth: int = 0) -> str:
    """The TypeScript type of a JSON var value (as ``wrangler types`` writes it, without literals)."""
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, (int, float)):
        return "number"
    if isinstance(value, str):
        return "string"
    if value is None:
        return "null"
    if depth > 8:
        return "unknown"
    if isinstance(value, list):
        kinds = sorted({_ts_type(v, depth + 1) for v in value})
        inner = kinds[0] if len(kinds) == 1 else f"({' | '.join(kinds)})" if kinds else "unknown"
        return f"{inner}[]"
    if isinstance(value, dict):
        import json

        fields = "; ".join(f"{json.dumps(k)}: {_ts_type(v, depth + 1)}" for k, v in value.items())
        return "{ " + fields + (" }" if fields else "}")
    return "unknown"


def env_declaration(manifest: Manifest, secrets: dict[str, str] | None = None) -> str:
    """TypeScript for ``interface Env``, derived from the manifest (and secret names)."""
    source = getattr(manifest, "source", MANIFEST_NAME)
    lines = [f"// Generated by isoplay from {source} -- edits are overwritten.", "interface Env {"]
    for name, value in manifest.vars.items():
        lines.append(f"  readonly {name}: {_ts_type(value)};")
    for name in sorted(secrets or {}):
        if name not in manifest.vars:
            lines.append(f"  /** secret from .dev.vars / .isoplay/secrets.toml */\n  readonly {name}: string;")
    for kv in manifest.kv_namespaces:
        lines.append(f"  readonly {kv.binding}: KVNamespace;")
    for d1 in getattr(manifest, "d1_databases", ()):
        lines.append(f"  readonly {d1.binding}: D1Database;")
    for r2 in getattr(manifest, "r2_buckets", ()):
        lines.append(f"  readonly {r2.binding}: R2Bucket;")
    assets = getattr(manifest, "assets", None)
    if assets is not None and assets.binding:
        lines.append(f"  /** the static assets of [assets] */\n  readonly {assets.binding}: {{ fetch(input: RequestInfo | URL, init?: RequestInit): Promise<Response> }};")
    for name, what in getattr(manifest, "unsupported_bindings", ()):
        lines.append(f"  /** a {what} binding: not supported by isoplay (any use throws) */\n  readonly {name}: never;")
    lines.append("}")
    return "\n".join(lines) + "\n"


def write_types(root: Path, manifest: Manifest | None = None) -> list[Path]:
    """Copy isoplay's declarations into ``root/types`` and regenerate env.d.ts.

    A wrangler project keeps its own types setup: its Env goes to ``.isoplay/types/env.d.ts``
    (see runtime.typecheck), and nothing is written among its sources.
    """
    manifest = manifest or project_manifest(root)
    if manifest.source != MANIFEST_NAME:
        from runtime.compat.typegen import refresh

        refreshed = refresh(root)  # worker-configuration.d.ts, for the editor's language service
        return [write_wrangler_env(root, manifest), *([refreshed] if refreshed else [])]
    target = root / TYPES_DIR
    target.mkdir(exist_ok=True)
    written = []
    for src in sorted((RESOURCES / "types").glob("*.d.ts")):
        dst = target / src.name
        text = src.read_text(encoding="utf-8")
        if not dst.is_file() or dst.read_text(encoding="utf-8") != text:
            dst.write_text(text, encoding="utf-8")
        written.append(dst)
    env_file = target / "env.d.ts"
    text = env_declaration(manifest, project_secrets(root))
    if not env_file.is_file() or env_file.read_text(encoding="utf-8") != text:
        env_file.write_text(text, encoding="utf-8")
    written.append(env_file)
    lib = write_webworker_lib(root)
    if lib is not None:
        written.append(lib)
    return written


def write_webworker_lib(root: Path) -> Path | None:
    """``.isoplay/types/webworker.d.ts``: the WebWorker lib cut to what the isolate has
    (runtime/webapi/libtypes.py), for a project whose tsconfig does not list the whole ``WebWorker``
    lib (projects made before this keep theirs). None when not written (no toolchain installed yet:
    ``isoplay check`` writes it later)."""
    from runtime import toolchain
    from runtime.compat.types import _read_tsconfig
    from runtime.webapi.libtypes import FILE_NAME, webworker_types

    config = _read_tsconfig(root / "tsconfig.json")
    libs = (config.get("compilerOptions") or {}).get("lib") or []
    if any(isinstance(lib, str) and lib.lower() == "webworker" for lib in libs):
        return None
    tools = toolchain.find()
    if tools is None or tools.root is None:
        return None
    text, _missing = webworker_types(tools)
    target = root / ".isoplay" / "types" / FILE_NAME
    if not target.is_file() or target.read_text(encoding="utf-8") != text:
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")
    return target


def write_wrangler_env(root: Path, manifest: Manifest) -> Path:
    """``.isoplay/types/env.d.ts``: the Env a wrangler project's config declares, as ``wrangler types``
    writes it (``runtime.compat.typegen``; module patterns the project declares itself are left out)."""
    from runtime.compat.typegen import declared_modules, generate

    target = root / ".isoplay" / "types"
    target.mkdir(parents=True, exist_ok=True)
    env_file = target / "env.d.ts"
    text = generate(root, skip_modules=declared_modules(root))
    if not env_file.is_file() or env_file.read_text(encoding="utf-8") != text:
        env_file.write_text(text, encoding="utf-8")
    return env_file


def new_project(path: Path, template: str = "hello", name: str | None = None) -> Project:
    """Scaffold a working project from a template into ``path`` (which must be empty or absent).

    Raises:
        ManifestError: unknown template, bad name, or a non-empty target folder.
    """
    if template not in TEMPLATES:
        raise ManifestError(f"unknown template {template!r} (choose from {', '.join(TEMPLATES)})")
    name = name or path.resolve().name.lower().replace("_", "-").replace(" ", "-")
    if not NAME_RE.match(name):
        raise ManifestError(f"project name {name!r} must match [a-z0-9-]{{1,63}}; pass --name")
    if path.exists() and any(path.iterdir()):
        raise ManifestError(f"{path} is not empty")
    source = RESOURCES / "templates" / template
    shutil.copytree(source, path, dirs_exist_ok=True)
    from runtime.compat.wrangler import CONFIG_NAMES

    for config in (MANIFEST_NAME, *CONFIG_NAMES):
        manifest_path = path / config
        if manifest_path.is_file():
            manifest_path.write_text(manifest_path.read_text(encoding="utf-8").replace("{{name}}", name),
                                     encoding="utf-8")
    if (path / MANIFEST_NAME).is_file():
        write_types(path)
    else:  # a wrangler template: worker-configuration.d.ts as `isoplay types` writes it, and the test types
        from runtime.compat import typegen

        typegen.write(path, include_runtime=True)
        (path / TYPES_DIR).mkdir(exist_ok=True)
        shutil.copyfile(RESOURCES / "types" / "test.d.ts", path / TYPES_DIR / "test.d.ts")
    return Project.open(path)
