"""wrangler.toml / wrangler.json / wrangler.jsonc read as an isoplay manifest.

A folder whose config is a wrangler file opens, runs, bundles, type-checks,
debugs and publishes as it is: ``load(root, env)`` returns the same
``runtime.manifest.Manifest`` that ``isoplay.toml`` gives. Guarantees:

- The file is found as wrangler finds it: ``wrangler.json``, then
  ``wrangler.jsonc``, then ``wrangler.toml``; JSON files may have comments and
  trailing commas (``runtime.compat.jsonc``).
- ``[env.NAME]`` (``--env NAME`` or ``CLOUDFLARE_ENV=NAME``) is resolved as
  wrangler does: inheritable keys (name, main, compatibility_*, routes,
  triggers, limits, rules ...) come from the top level unless the environment
  sets them; bindings and vars are not inherited (a warning says so when the
  top level has them and the environment does not); the worker is named
  ``NAME-ENV``. An unknown environment name is an error listing the known ones.
- Validation errors carry ``file:line:column`` and name the key
  (``wrangler.toml:7:1: compatibility_date must be a real date ...``).
- Keys wrangler knows but isoplay does not implement (Durable Objects, R2, D1,
  queues, services ...) and keys nobody knows produce warnings
  (``Manifest.warnings``), never failures, as wrangler warns about unexpected
  fields. Bindings isoplay lacks are listed on ``env`` as objects whose every
  use throws an error naming the binding and what is missing.
- Secrets come from ``.dev.vars`` (or ``.dev.vars.ENV``) when present, else from
  ``.env`` / ``.env.ENV`` (as wrangler reads them), merged under
  ``.isoplay/secrets.toml``.
"""

from __future__ import annotations

import datetime as _dt
import os
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from runtime.compat import jsonc, tomlpos
from runtime.errors import Location, ManifestError

if TYPE_CHECKING:
    from runtime.manifest import Manifest

CONFIG_NAMES = ("wrangler.json", "wrangler.jsonc", "wrangler.toml")
"""wrangler's own lookup order."""

ENV_VARIABLE = "CLOUDFLARE_ENV"
"""Selects the environment when no ``--env`` is given (as in wrangler)."""

_DATE_RE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_FLAG_RE = re.compile(r"^[a-z0-9_]+$")
_BINDING_RE = re.compile(r"^[A-Za-z_$][A-Za-z0-9_$]*$")

INHERITABLE = frozenset({
    "name", "account_id", "compatibility_date", "compatibility_flags", "main", "find_additional_modules",
    "preserve_file_names", "base_dir", "workers_dev", "preview_urls", "routes", "route", "tsconfig",
    "jsx_factory", "jsx_fragment", "migrations", "triggers", "usage_model", "limits", "rules", "build",
    "no_bundle", "minify", "keep_names", "node_compat", "first_party_worker", "zone_id", "logfwdr", "logpush",
    "upload_source_maps", "placement", "assets", "observability", "tail_consumers", "alias", "python_modules",
    "compliance_region",
})
"""Keys an ``[env.NAME]`` takes from the top level unless it sets them."""

NOT_INHERITABLE = frozenset({
    "define", "vars", "durable_objects", "workflows", "kv_namespaces", "r2_buckets", "d1_databases",
    "vectorize", "hyperdrive", "services", "analytics_engine_datasets", "dispatch_namespaces", "mtls_certificates",
    "queues", "ai", "browser", "images", "cloudchamber", "containers", "send_email", "pipelines", "version_metadata",
    "unsafe", "secrets_store_secrets", "unsafe_hello_world", "worker_loaders", "ratelimits", "vpc_services",
    "media", "secrets", "logfwdr", "wasm_modules", "text_blobs", "data_blobs", "assets",
})
"""Keys (mostly bindings) each environment must declare itself."""

TOP_LEVEL_ONLY = frozenset({
    "$schema", "env", "legacy_env", "send_metrics", "keep_vars", "dev", "site", "pages_build_output_dir",
    "configPath", "userConfigPath", "topLevelName", "definedEnvironments", "targetEnvironment", "send_email",
})

SUPPORTED = frozenset({
    "name", "main", "compatibility_date", "compatibility_flags", "vars", "kv_namespaces", "d1_databases", "r2_buckets", "assets", "triggers",
    "limits",
    "rules", "routes", "route", "env", "$schema", "workers_dev", "account_id", "preview_urls", "observability",
    "upload_source_maps", "minify", "keep_names", "send_metrics", "keep_vars", "legacy_env", "tsconfig",
    "placement", "logpush", "dev", "zone_id", "usage_model", "compliance_region",
})
"""Keys isoplay either acts on or that have no local effect under ``wrangler dev`` either."""

BINDING_KEYS = {
    "durable_objects": "Durable Object",
    "services": "service binding", "queues": "queue", "ai": "Workers AI", "vectorize": "Vectorize index",
    "hyperdrive": "Hyperdrive", "analytics_engine_datasets": "Analytics Engine dataset", "browser": "Browser Rendering",
    "images": "Images", "send_email": "send_email", "dispatch_namespaces": "dispatch namespace",
    "mtls_certificates": "mTLS certificate", "workflows": "Workflow", "version_metadata": "version metadata",
    "ratelimits": "rate limiter", "secrets_store_secrets": "Secrets Store secret", "pipelines": "pipeline",
    "worker_loaders": "worker loader", "vpc_services": "VPC service", "media": "Media",
}
"""Bindings isoplay does not implement: the binding names appear on ``env`` as explaining stubs."""

RULE_TYPES = ("ESModule", "CommonJS", "CompiledWasm", "Text", "Data", "PythonModule", "PythonRequirement")
DEFAULT_RULES: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("ESModule", ("**/*.js", "**/*.mjs")),
    ("CommonJS", ("**/*.cjs",)),
    ("CompiledWasm", ("**/*.wasm", "**/*.wasm?module")),
    ("Text", ("**/*.txt", "**/*.html", "**/*.sql")),
    ("Data", ("**/*.bin",)),
)
"""wrangler's default module rules (appended after the project's own)."""

NODE_COMPAT_FLAGS = frozenset({"nodejs_compat", "nodejs_compat_v2"})
HANDLED_FLAGS = frozenset({
    "nodejs_compat", "nodejs_compat_v2", "nodejs_als", "no_nodejs_compat_v2",
    "global_fetch_strictly_public", "nodejs_compat_populate_process_env", "nodejs_compat_do_not_populate_process_env",
})


def find_config(root: Path) -> Path | None:
    """The wrangler config file in ``root``, in wrangler's order of preference."""
    for name in CONFIG_NAMES:
        path = root / name
        if path.is_file():
            return path
    return None


def latest_supported_date() -> str:
    """The newest compatibility date isoplay claims: the pinned @cloudflare/workers-types' date."""
    from runtime import toolchain

    version = toolchain.pinned_versions().get("@cloudflare/workers-types", "")
    match = re.search(r"\.(\d{4})(\d{2})(\d{2})\.", version + ".")
    if match:
        return "-".join(match.groups())
    return _dt.date.today().isoformat()


@dataclass
class RawConfig:
    """A wrangler config file as read: its data and where each key sits."""

    path: Path
    data: dict[str, Any]
    positions: dict[tuple[str | int, ...], tuple[int, int]]

    @property
    def label(self) -> str:
        """The file name errors start with."""
        return self.path.name

    def where(self, path: tuple[str | int, ...]) -> Location:
        """The location of ``path`` (or of its nearest located parent)."""
        probe = tuple(path)
        while probe:
            if probe in self.positions:
                line, col = self.positions[probe]
                return Location(self.label, line, col)
            probe = probe[:-1]
        return Location(self.label, 1, 1)


def read_config(path: Path) -> RawConfig:
    """Read a wrangler.toml / .json / .jsonc file (syntax errors carry file:line:column).

    Raises:
        ManifestError: the file is not valid TOML / JSONC or not a table at the top.
    """
    from runtime.manifest import read_text_file

    text = read_text_file(path, path.name)  # bounded size, UTF-8 only: a config is hostile input too
    if path.suffix == ".toml":
        try:
            data = tomllib.loads(text)
        except tomllib.TOMLDecodeError as exc:
            line, col = _toml_error_position(str(exc))
            raise ManifestError(f"invalid TOML: {exc}", location=Location(path.name, line, col)) from None
        except (RecursionError, ValueError) as exc:
            raise ManifestError(f"{path.name}: {_deep_or_big(exc)}") from None
        positions = tomlpos.key_positions(text)
    else:
        try:
            data = jsonc.loads(text)
        except jsonc.JsoncError as exc:
            raise ManifestError(f"invalid JSON: {exc.message}", location=Location(path.name, exc.line, exc.column)) from None
        except (RecursionError, ValueError) as exc:
            raise ManifestError(f"{path.name}: {_deep_or_big(exc)}") from None
        if not isinstance(data, dict):
            raise ManifestError("the top level must be an object", location=Location(path.name, 1, 1))
        positions = jsonc.key_positions(text)
    return RawConfig(path, data, positions)


def _deep_or_big(exc: Exception) -> str:
    if isinstance(exc, RecursionError):
        return "arrays or tables are nested too deeply"
    return "a number has too many digits" if "digits" in str(exc) else str(exc).splitlines()[0][:200]


def _toml_error_position(message: str) -> tuple[int, int]:
    match = re.search(r"line (\d+), column (\d+)", message)
    return (int(match[1]), int(match[2])) if match else (1, 1)


class _Checker:
    """Validation helpers that raise ManifestError at the key's position."""

    def __init__(self, raw: RawConfig, base: tuple[str | int, ...], origin: dict[str, tuple[str | int, ...]]) -> None:
        self.raw = raw
        self.base = base
        self.origin = origin
        """key -> the path prefix it came from (top level or env.NAME)."""

    def path(self, key: str, *rest: str | int) -> tuple[str | int, ...]:
        return (*self.origin.get(key, self.base), key, *rest)

    def fail(self, message: str, key: str, *rest: str | int) -> ManifestError:
        return ManifestError(message, location=self.raw.where(self.path(key, *rest)))

    def dotted(self, key: str, *rest: str | int) -> str:
        prefix = [p for p in self.origin.get(key, self.base)]
        parts = [str(p) for p in (*prefix, key, *rest)]
        out = parts[0]
        for part in parts[1:]:
            out += f"[{part}]" if part.isdigit() else f".{part}"
        return out


def _type_name(value: Any) -> str:
    return {str: "a string", int: "an integer", bool: "a boolean", float: "a number", list: "an array",
            dict: "a table", type(None): "null"}.get(type(value), type(value).__name__)


def resolve(raw: RawConfig, env: str | None) -> tuple[dict[str, Any], dict[str, tuple[str | int, ...]], list[str]]:
    """Flatten the top level and ``[env.NAME]`` into one table, as wrangler does.

    Returns the table, where each key came from, and warnings.
    """
    data = raw.data
    warnings: list[str] = []
    envs = data.get("env", {})
    if not isinstance(envs, dict):
        raise ManifestError(f"env must be a table of environments (got {_type_name(envs)})", location=raw.where(("env",)))
    if not env:
        flat = {k: v for k, v in data.items() if k != "env"}
        return flat, {k: () for k in flat}, warnings
    if env not in envs:
        known = ", ".join(sorted(envs)) or "none are defined"
        raise ManifestError(f"no environment {env!r} in {raw.label} (environments: {known})",
                            location=raw.where(("env",)))
    section = envs[env]
    if not isinstance(section, dict):
        raise ManifestError(f"env.{env} must be a table", location=raw.where(("env", env)))
    origin: dict[str, tuple[str | int, ...]] = {}
    flat = {}
    for key, value in data.items():
        if key == "env":
            continue
        if key in INHERITABLE or key in TOP_LEVEL_ONLY or key not in NOT_INHERITABLE:
            flat[key] = value
            origin[key] = ()
    for key, value in section.items():
        if key in TOP_LEVEL_ONLY and key != "send_email":
            warnings.append(f"{raw.where(('env', env, key))}: {key} is only valid at the top level; ignored in env.{env}")
            continue
        flat[key] = value
        origin[key] = ("env", env)
    for key in NOT_INHERITABLE:
        if key in data and key not in section:
            warnings.append(
                f"{raw.where((key,))}: {key} exists at the top level but not in env.{env}: it is not inherited "
                f"by environments, so env.{env} has none (as in wrangler)")
    if "name" in flat and origin.get("name") == () and data.get("legacy_env", True) is not False:
        flat["name"] = f"{flat['name']}-{env}"
    return flat, origin, warnings


@dataclass(frozen=True)
class ModuleRule:
    """One wrangler module rule: files matching ``globs`` are imported as ``type``."""

    type: str
    globs: tuple[str, ...]
    fallthrough: bool = False


@dataclass
class WranglerSettings:
    """What the wrangler file says, validated, before it becomes a Manifest."""

    name: str
    main: str
    compatibility_date: str
    compatibility_flags: tuple[str, ...]
    vars: dict[str, Any]
    kv: list[dict[str, str]]
    crons: tuple[str, ...]
    cpu_ms: int | None
    routes: tuple[str, ...]
    rules: tuple[ModuleRule, ...]
    unsupported_bindings: list[tuple[str, str]] = field(default_factory=list)
    """(binding name, what it is) for bindings isoplay does not implement."""
    d1: list[dict[str, str]] = field(default_factory=list)
    """``d1_databases`` entries: binding, database_name?, database_id?, migrations_dir?."""
    r2: list[dict[str, str]] = field(default_factory=list)
    """``r2_buckets`` entries: binding, bucket_name?, preview_bucket_name?, jurisdiction?."""
    assets: dict[str, Any] | None = None
    """The ``assets`` table as written (checked when the Manifest is made)."""
    warnings: list[str] = field(default_factory=list)


def validate(raw: RawConfig, env: str | None, root: Path, today: _dt.date | None = None) -> WranglerSettings:
    """Check the (environment-resolved) config and return its settings.

    Raises:
        ManifestError: at the position of the first bad key.
    """
    flat, origin, warnings = resolve(raw, env)
    check = _Checker(raw, ("env", env) if env else (), origin)
    warnings.extend(_unknown_key_warnings(raw, flat, check))

    name = flat.get("name")
    if name is None:
        name = re.sub(r"[^a-z0-9-]+", "-", root.resolve().name.lower()).strip("-")[:63] or "worker"
        warnings.append(f"{raw.label}: no name given; using {name!r} (the folder's name)")
    elif not isinstance(name, str) or not name:
        raise check.fail(f"name must be a non-empty string (got {_type_name(name)})", "name")
    else:
        normal = re.sub(r"[^a-z0-9-]+", "-", name.lower()).strip("-")[:63]
        if normal != name:
            if not normal:
                raise check.fail(f"name {name!r} has no letters or digits", "name")
            warnings.append(f"{raw.where(check.path('name'))}: name {name!r} is used as {normal!r} "
                            "(isoplay names are lowercase letters, digits and dashes)")
            name = normal

    main = flat.get("main")
    if main is None:
        raise ManifestError(f"{raw.label} has no main: isoplay needs the Worker's entry file "
                            '(e.g. main = "src/index.ts")', location=Location(raw.label, 1, 1))
    if not isinstance(main, str) or not main.strip():
        raise check.fail(f"main must be a path to the entry file (got {_type_name(main)})", "main")

    date = _compat_date(flat, check, warnings, today)
    flags = _compat_flags(flat, check, warnings)
    return WranglerSettings(
        name=name, main=main, compatibility_date=date, compatibility_flags=flags,
        vars=_vars(flat, check), kv=_kv(flat, check), crons=_crons(flat, check), cpu_ms=_limits(flat, check, warnings),
        routes=_routes(flat, check), rules=_rules(flat, check),
        unsupported_bindings=_unsupported(flat, check, warnings), warnings=warnings, d1=_d1(flat, check),
        r2=_binding_tables(flat, check, "r2_buckets", ("bucket_name", "preview_bucket_name", "jurisdiction")),
        assets=flat.get("assets") if isinstance(flat.get("assets"), dict) else None,
    )


def _unknown_key_warnings(raw: RawConfig, flat: Mapping[str, Any], check: _Checker) -> list[str]:
    out = []
    known = INHERITABLE | NOT_INHERITABLE | TOP_LEVEL_ONLY | SUPPORTED
    for key in flat:
        where = raw.where(check.path(key))
        if key not in known:
            out.append(f"{where}: unexpected field {key!r} (wrangler does not know it either); ignored")
        elif key not in SUPPORTED and key not in BINDING_KEYS:
            out.append(f"{where}: {key} is not supported by isoplay; ignored")
    return out


def _compat_date(flat: Mapping[str, Any], check: _Checker, warnings: list[str], today: _dt.date | None) -> str:
    latest = latest_supported_date()
    value = flat.get("compatibility_date")
    if value is None:
        warnings.append(f"{check.raw.label}: no compatibility_date; using {latest}, the newest isoplay supports "
                        f'(add compatibility_date = "{latest}")')
        return latest
    if isinstance(value, _dt.date):  # TOML's bare date literal
        value = value.isoformat()
    if not isinstance(value, str) or not _DATE_RE.match(value):
        raise check.fail(f'compatibility_date must be a date written "YYYY-MM-DD" (got {value!r})',
                         "compatibility_date")
    try:
        parsed = _dt.date.fromisoformat(value)
    except ValueError:
        raise check.fail(f"compatibility_date {value!r} is not a real date", "compatibility_date") from None
    now = today or _dt.datetime.now(_dt.timezone.utc).date()
    if parsed > now + _dt.timedelta(days=1):
        raise check.fail(f"compatibility_date {value!r} is in the future (today is {now.isoformat()})",
                         "compatibility_date")
    if value > latest:
        warnings.append(f"{check.raw.where(check.path('compatibility_date'))}: compatibility_date {value} is newer "
                        f"than the newest isoplay supports ({latest}); running with {latest}")
        return latest
    return value


def _compat_flags(flat: Mapping[str, Any], check: _Checker, warnings: list[str]) -> tuple[str, ...]:
    value = flat.get("compatibility_flags", [])
    if not isinstance(value, list):
        raise check.fail(f"compatibility_flags must be an array of strings (got {_type_name(value)})",
                         "compatibility_flags")
    out = []
    for i, flag in enumerate(value):
        if not isinstance(flag, str) or not _FLAG_RE.match(flag):
            raise check.fail(f"compatibility_flags[{i}] must be a flag name like \"nodejs_compat\" (got {flag!r})",
                             "compatibility_flags", i)
        if flag not in HANDLED_FLAGS:
            warnings.append(f"{check.raw.where(check.path('compatibility_flags', i))}: compatibility flag {flag!r} "
                            "has no effect in isoplay")
        out.append(flag)
    if "node_compat" in flat:
        warnings.append(f"{check.raw.where(check.path('node_compat'))}: node_compat is gone from wrangler 4; "
                        'use compatibility_flags = ["nodejs_compat"]')
    return tuple(out)


def _vars(flat: Mapping[str, Any], check: _Checker) -> dict[str, Any]:
    table = flat.get("vars", {})
    if not isinstance(table, dict):
        raise check.fail(f"vars must be a table (got {_type_name(table)})", "vars")
    out: dict[str, Any] = {}
    for key, value in table.items():
        if not _BINDING_RE.match(key):
            raise check.fail(f"vars.{key}: {key!r} is not a valid JavaScript identifier", "vars", key)
        out[key] = _plain_json(value, check, "vars", key)
    return out


def _plain_json(value: Any, check: _Checker, *path: str | int) -> Any:
    """TOML values as JSON: dates and times become strings (as wrangler sends them)."""
    if isinstance(value, (_dt.date, _dt.time, _dt.datetime)):
        return value.isoformat()
    if isinstance(value, float) and value != value:
        raise check.fail(f"{check.dotted(*path)}: NaN is not a JSON value", *path)  # type: ignore[arg-type]
    if isinstance(value, dict):
        return {k: _plain_json(v, check, *path, k) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain_json(v, check, *path, i) for i, v in enumerate(value)]
    return value


def _kv(flat: Mapping[str, Any], check: _Checker) -> list[dict[str, str]]:
    return _binding_tables(flat, check, "kv_namespaces", ("id", "preview_id"))


def _d1(flat: Mapping[str, Any], check: _Checker) -> list[dict[str, str]]:
    return _binding_tables(flat, check, "d1_databases", ("database_name", "database_id", "preview_database_id",
                                                          "migrations_dir", "migrations_table"))


def _binding_tables(flat: Mapping[str, Any], check: _Checker, key: str, fields: tuple[str, ...]) -> list[dict[str, str]]:
    """The entries of a binding array (``kv_namespaces``, ``d1_databases``): each a table with a ``binding``
    (a JavaScript identifier, declared once) and string ``fields``; ``remote`` flags are accepted."""
    items = flat.get(key, [])
    if not isinstance(items, list):
        raise check.fail(f"{key} must be an array of tables (got {_type_name(items)})", key)
    seen: set[str] = set()
    out = []
    for i, item in enumerate(items):
        if not isinstance(item, dict):
            raise check.fail(f"{key}[{i}] must be a table with a binding", key, i)
        binding = item.get("binding")
        if not isinstance(binding, str) or not _BINDING_RE.match(binding):
            raise check.fail(f"{key}[{i}].binding must be a JavaScript identifier (got {binding!r})", key, i, "binding")
        if binding in seen:
            raise check.fail(f"{key}: binding {binding!r} is declared twice", key, i, "binding")
        seen.add(binding)
        entry = {"binding": binding}
        for field in fields:
            if field in item:
                if not isinstance(item[field], str):
                    raise check.fail(f"{key}[{i}].{field} must be a string (got {_type_name(item[field])})",
                                     key, i, field)
                entry[field] = item[field]
        for field in item:
            if field not in ("binding", *fields, "remote", "experimental_remote"):
                raise check.fail(f"{key}[{i}]: unexpected field {field!r} (known: {', '.join(('binding', *fields))})",
                                 key, i, field)
        out.append(entry)
    return out


def _crons(flat: Mapping[str, Any], check: _Checker) -> tuple[str, ...]:
    table = flat.get("triggers", {})
    if not isinstance(table, dict):
        raise check.fail(f"triggers must be a table (got {_type_name(table)})", "triggers")
    crons = table.get("crons", [])
    if not isinstance(crons, list):
        raise check.fail(f"triggers.crons must be an array of cron strings (got {_type_name(crons)})", "triggers", "crons")
    from runtime.cron import validate_cron
    from runtime.errors import CronSyntaxError

    for i, expr in enumerate(crons):
        if not isinstance(expr, str):
            raise check.fail(f"triggers.crons[{i}] must be a cron string (got {_type_name(expr)})", "triggers", "crons", i)
        try:
            validate_cron(expr, source=f"triggers.crons[{i}]")
        except CronSyntaxError as exc:
            raise check.fail(exc.message, "triggers", "crons", i) from None
    return tuple(crons)


def _limits(flat: Mapping[str, Any], check: _Checker, warnings: list[str]) -> int | None:
    table = flat.get("limits", {})
    if not isinstance(table, dict):
        raise check.fail(f"limits must be a table (got {_type_name(table)})", "limits")
    cpu = table.get("cpu_ms")
    if cpu is not None and (not isinstance(cpu, int) or isinstance(cpu, bool) or cpu <= 0):
        raise check.fail(f"limits.cpu_ms must be a positive integer (got {cpu!r})", "limits", "cpu_ms")
    for key in table:
        if key != "cpu_ms":
            warnings.append(f"{check.raw.where(check.path('limits', key))}: limits.{key} is not supported by isoplay; "
                            "ignored")
    return cpu


def _routes(flat: Mapping[str, Any], check: _Checker) -> tuple[str, ...]:
    out: list[str] = []
    items: list[tuple[Any, tuple[str | int, ...]]] = []
    if "route" in flat:
        items.append((flat["route"], ("route",)))
    routes = flat.get("routes", [])
    if not isinstance(routes, list):
        raise check.fail(f"routes must be an array (got {_type_name(routes)})", "routes")
    items.extend((r, ("routes", i)) for i, r in enumerate(routes))
    for value, path in items:
        if isinstance(value, str):
            out.append(value)
        elif isinstance(value, dict) and isinstance(value.get("pattern"), str):
            extra = value.get("zone_name") or value.get("zone_id")
            suffix = " (custom domain)" if value.get("custom_domain") else f" (zone {extra})" if extra else ""
            out.append(value["pattern"] + suffix)
        else:
            raise check.fail(f"{check.dotted(*path)}: a route is a pattern string or a table with a pattern "  # type: ignore[arg-type]
                             f"(got {_type_name(value)})", *path)  # type: ignore[arg-type]
    return tuple(out)


def _rules(flat: Mapping[str, Any], check: _Checker) -> tuple[ModuleRule, ...]:
    items = flat.get("rules", [])
    if not isinstance(items, list):
        raise check.fail(f"rules must be an array of tables (got {_type_name(items)})", "rules")
    out = []
    for i, item in enumerate(items):
        if not isinstance(item, dict):
            raise check.fail(f"rules[{i}] must be a table with type and globs", "rules", i)
        rtype = item.get("type")
        if rtype not in RULE_TYPES:
            raise check.fail(f"rules[{i}].type must be one of {', '.join(RULE_TYPES)} (got {rtype!r})", "rules", i, "type")
        if rtype.startswith("Python"):
            raise check.fail(f"rules[{i}]: Python Workers are not supported by isoplay", "rules", i, "type")
        globs = item.get("globs")
        if not isinstance(globs, list) or not globs or not all(isinstance(g, str) for g in globs):
            raise check.fail(f"rules[{i}].globs must be a non-empty array of glob strings", "rules", i, "globs")
        out.append(ModuleRule(rtype, tuple(globs), bool(item.get("fallthrough", False))))
    return tuple(out)


def _unsupported(flat: Mapping[str, Any], check: _Checker, warnings: list[str]) -> list[tuple[str, str]]:
    out = []
    for key, what in BINDING_KEYS.items():
        if key not in flat:
            continue
        value = flat[key]
        names: list[str] = []
        if key == "durable_objects" and isinstance(value, dict):
            value = value.get("bindings", [])
        elif key == "queues" and isinstance(value, dict):
            value = value.get("producers", [])  # consumers name queues, not env bindings
        if isinstance(value, dict) and isinstance(value.get("binding"), str):
            names = [value["binding"]]
        elif isinstance(value, list):
            names = [v.get("binding") or v.get("name") for v in value if isinstance(v, dict)]
            names = [n for n in names if isinstance(n, str)]
        for binding in names:
            if _BINDING_RE.match(binding):
                out.append((binding, what))
        shown = ", ".join(names) or key
        warnings.append(f"{check.raw.where(check.path(key))}: {what} bindings are not supported by isoplay yet "
                        f"({shown}); using them throws an error that says so")
    return out


def check_path(raw: RawConfig, env: str | None, *path: str | int) -> tuple[str | int, ...]:
    """``path`` inside ``env.NAME`` when that environment sets its first key, else at the top level."""
    if env and isinstance(raw.data.get("env", {}).get(env), dict) and path[0] in raw.data["env"][env]:
        return ("env", env, *path)
    return tuple(path)


def select_env(env: str | None) -> str | None:
    """The environment to use: ``env`` if given, else ``$CLOUDFLARE_ENV``, else the top level."""
    return env if env else (os.environ.get(ENV_VARIABLE) or None)


def dev_vars(root: Path, env: str | None = None) -> dict[str, str]:
    """Secrets from ``.dev.vars[.ENV]``, or else ``.env[.ENV]`` (wrangler's rule: .dev.vars wins whole).

    Raises:
        ManifestError: a name that is not a JavaScript identifier.
    """
    from dotenv import dotenv_values

    candidates: list[Path] = []
    for base in (".dev.vars", ".env"):
        named = root / f"{base}.{env}" if env else None
        if named is not None and named.is_file():
            candidates = [named]
        elif (root / base).is_file():
            candidates = [root / base]
        if candidates:
            if base == ".env":
                local = root / ".env.local"
                candidates = [*candidates, *([local] if local.is_file() else [])]
            break
    out: dict[str, str] = {}
    for path in candidates:
        for key, value in dotenv_values(path, interpolate=False).items():
            if not _BINDING_RE.match(key):
                raise ManifestError(f"{path.name}: {key!r} is not a valid JavaScript identifier")
            out[key] = value or ""
    return out


def load_manifest(root: Path, env: str | None = None, *, today: _dt.date | None = None) -> Manifest:
    """The Manifest of the wrangler project at ``root`` (environment ``env``, or ``$CLOUDFLARE_ENV``).

    Raises:
        ManifestError: no wrangler config, or an invalid one (with file:line:column).
    """
    from runtime.manifest import DEFAULT_TIMEOUT_MS, D1Binding, KVBinding, Limits, Manifest, R2Binding

    path = find_config(root)
    if path is None:
        raise ManifestError(f"{root}: no {', '.join(CONFIG_NAMES)} here")
    env = select_env(env)
    raw = read_config(path)
    settings = validate(raw, env, root, today)
    kv = tuple(KVBinding(k["binding"], k.get("id"), k.get("preview_id")) for k in settings.kv)
    d1 = tuple(D1Binding(d["binding"], d.get("database_name"), d.get("database_id"), d.get("migrations_dir"),
                         d.get("migrations_table")) for d in settings.d1)
    r2 = tuple(R2Binding(r["binding"], r.get("bucket_name") or r["binding"], r.get("jurisdiction"))
               for r in settings.r2)
    assets = None
    if settings.assets is not None:
        from runtime.manifest import parse_assets

        try:
            assets = parse_assets(settings.assets, raw.label)
        except ManifestError as exc:
            raise ManifestError(str(exc).removeprefix(f"{raw.label}: "),
                                location=raw.where(check_path(raw, env, "assets"))) from None
    for index, bucket in enumerate(r2):
        if bucket.binding in settings.vars:
            raise ManifestError(f"[vars] {bucket.binding} has the same name as the R2 bucket binding "
                                f"{bucket.binding!r}; rename one (both would be env.{bucket.binding})",
                                location=raw.where(check_path(raw, env, "vars", bucket.binding)))
        if any(other.binding == bucket.binding for other in (*kv, *d1)):
            raise ManifestError(f"r2_buckets binding {bucket.binding} has the name of another binding; rename one",
                                location=raw.where(check_path(raw, env, "r2_buckets", index, "binding")))
    for index, binding in enumerate(d1):
        if any(k.binding == binding.binding for k in kv):
            raise ManifestError(f"d1_databases binding {binding.binding} has the name of a kv_namespaces binding; "
                                f"rename one (both would be env.{binding.binding})",
                                location=raw.where(check_path(raw, env, "d1_databases", index, "binding")))
        if binding.binding in settings.vars:
            raise ManifestError(f"[vars] {binding.binding} has the same name as the D1 database binding "
                                f"{binding.binding!r}; rename one (both would be env.{binding.binding})",
                                location=raw.where(check_path(raw, env, "vars", binding.binding)))
    for binding in kv:
        if binding.binding in settings.vars:
            raise ManifestError(f"vars.{binding.binding} has the name of a kv_namespaces binding; rename one "
                                f"(both would be env.{binding.binding})", location=raw.where(check_path(raw, env, "vars", binding.binding)))
    for name, what in settings.unsupported_bindings:
        if name in settings.vars:
            raise ManifestError(f"[vars] {name} has the same name as the {what} binding {name!r}; rename one "
                                f"(both would be env.{name})", location=raw.where(check_path(raw, env, "vars", name)))
    limits = Limits()
    if settings.cpu_ms is not None:
        from dataclasses import replace

        limits = replace(limits, timeout_ms=max(DEFAULT_TIMEOUT_MS, settings.cpu_ms), cpu_ms=settings.cpu_ms)
    return Manifest(
        name=settings.name,
        version="0.1.0",
        main=settings.main,
        vars=settings.vars,
        kv_namespaces=kv,
        d1_databases=d1,
        r2_buckets=r2,
        assets=assets,
        crons=settings.crons,
        limits=limits,
        fetch_allow=("*",),
        compatibility_date=settings.compatibility_date,
        compatibility_flags=settings.compatibility_flags,
        routes=settings.routes,
        rules=tuple((r.type, r.globs, r.fallthrough) for r in settings.rules),
        unsupported_bindings=tuple(settings.unsupported_bindings),
        source=raw.label,
        environment=env,
        warnings=tuple(settings.warnings),
    )
