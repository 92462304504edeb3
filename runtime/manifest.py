"""isoplay.toml, the project manifest (close to wrangler.toml), and secrets.

Validation names the bad key and the expected type, e.g.
``isoplay.toml: [limits] timeout_ms must be an integer (got "fast")``.

Guarantees (the manifest is hostile input: it may come from an upload):

- Reading a manifest or secrets file never raises anything but ``ManifestError``
  with one line naming the file: binary data, UTF-16/32, invalid UTF-8 (with the
  line and column of the first bad byte), a file over ``MAX_FILE_BYTES``, nesting
  too deep to parse, a directory or an unreadable file.
- Every ``[limits]`` key has an allowed range (``LIMIT_RANGES``); a value outside
  it is refused naming the key and the range, so no later stage sees a number it
  cannot hold (a 23-digit ``timeout_ms`` used to crash a thread with OverflowError).
- Strings are bounded and free of control characters where they become names,
  paths or hosts; counts of vars, bindings, crons and hosts are bounded; a var may
  not share its name with a binding.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import semver

from runtime.errors import ManifestError

MANIFEST_NAME = "isoplay.toml"
SECRETS_PATH = Path(".isoplay") / "secrets.toml"
# \Z, not $: "$" also matches before a trailing newline ("app\n" must not pass)
NAME_RE = re.compile(r"^[a-z0-9-]{1,63}\Z")
BINDING_RE = re.compile(r"^[A-Za-z_$][A-Za-z0-9_$]{0,254}\Z")
HOST_RE = re.compile(r"^(\*\.)?[A-Za-z0-9.-]{1,253}(:\d{1,5})?\Z|^\[[0-9a-fA-F:.]{2,45}\](:\d{1,5})?\Z")
DATE_RE = re.compile(r"^\d{4}-\d{2}-\d{2}\Z")

DEFAULT_TIMEOUT_MS = 30_000
DEFAULT_MEMORY_MB = 128

MAX_FILE_BYTES = 1024 * 1024
"""Largest isoplay.toml / secrets.toml read (a manifest is a few hundred bytes)."""
MAX_MAIN_CHARS = 1024
"""Longest ``main`` path."""
MAX_VARS = 1024
"""Most ``[vars]`` entries."""
MAX_VAR_NAME_CHARS = 255
"""Longest var (and secret) name."""
MAX_VAR_BYTES = 64 * 1024
"""Largest var (and secret) value, in UTF-8 bytes (Workers allows 5 KB)."""
MAX_KV_NAMESPACES = 256
"""Most ``[[kv_namespaces]]`` entries."""
MAX_CRONS = 64
"""Most ``[triggers] crons`` entries."""
MAX_CRON_CHARS = 256
"""Longest cron expression."""
MAX_FETCH_ALLOW = 1024
"""Most ``[fetch] allow`` entries."""

LIMIT_RANGES: dict[str, tuple[int, int]] = {
    "timeout_ms": (1, 3_600_000),
    "memory_mb": (8, 16_384),
    "max_isolates": (1, 1024),
    "min_idle": (0, 1024),
    "max_queue": (0, 1_000_000),
    "queue_timeout_ms": (1, 3_600_000),
    "max_invocations": (0, 1_000_000_000),
    "max_body_bytes": (1, 4 * 1024 * 1024 * 1024),
    "cpu_ms": (1, 300_000),
}
"""Allowed inclusive range of every ``[limits]`` key."""


@dataclass(frozen=True)
class Limits:
    """Per-invocation limits and pool sizing."""

    timeout_ms: int = DEFAULT_TIMEOUT_MS
    """Wall time per invocation."""
    memory_mb: int = DEFAULT_MEMORY_MB
    """Hard heap limit per isolate (Workers: 128 MB)."""
    max_isolates: int = 4
    """Isolates of this script that may run at once."""
    min_idle: int = 1
    """Warm spare isolates kept ready."""
    max_queue: int = 64
    """Invocations that may wait for an isolate; more are refused (503)."""
    queue_timeout_ms: int = 10_000
    """How long an invocation may wait for an isolate."""
    max_invocations: int = 0
    """Recycle an isolate after this many invocations (0: never)."""
    max_body_bytes: int = 100 * 1024 * 1024
    """Largest request body accepted (413 beyond)."""
    cpu_ms: int | None = None
    """wrangler's ``[limits] cpu_ms``: shown, and raises timeout_ms to at least this (isoplay measures wall time)."""


@dataclass(frozen=True)
class RecordPolicy:
    """``[recordings]``: which invocations the server keeps as recordings (runtime/replay)."""

    failures: bool = True
    """Keep every failed invocation (error, timeout, limit hit, 5xx)."""
    sample: float = 0.0
    """Fraction (0-1) of the other invocations kept."""
    max_count: int = 100
    """Recordings kept per app (the oldest go first)."""
    max_mb: int = 50
    """Megabytes of recordings kept per app."""
    retention_hours: int = 168
    """Recordings older than this are dropped."""

    @property
    def active(self) -> bool:
        """Whether any invocation may be kept (isolates then record every invocation)."""
        return self.failures or self.sample > 0


RECORD_RANGES: dict[str, tuple[float, float]] = {"sample": (0.0, 1.0), "max_count": (0, 10_000),
                                                  "max_mb": (1, 10_000), "retention_hours": (1, 24 * 366)}


@dataclass(frozen=True)
class KVBinding:
    """A KV namespace exposed on ``env``."""

    binding: str
    """The name on ``env``."""
    id: str | None = None
    """wrangler's namespace id (shown; local data is kept per binding)."""
    preview_id: str | None = None
    """wrangler's preview namespace id (shown)."""

    def to_dict(self) -> dict[str, str]:
        """The binding as manifest data."""
        out = {"binding": self.binding}
        if self.id is not None:
            out["id"] = self.id
        if self.preview_id is not None:
            out["preview_id"] = self.preview_id
        return out


@dataclass(frozen=True)
class D1Binding:
    """A D1 database exposed on ``env`` (local data: one SQLite file per database, see runtime.d1)."""

    binding: str
    """The name on ``env``."""
    database_name: str | None = None
    database_id: str | None = None
    migrations_dir: str | None = None
    """Where ``isoplay d1 migrations`` finds the .sql files (default ``migrations``, as wrangler)."""
    migrations_table: str | None = None
    """The table that records applied migrations (default ``d1_migrations``, as wrangler)."""

    @property
    def key(self) -> str:
        """What names its local file: the database id, else its name, else the binding (as Miniflare keys by id)."""
        return self.database_id or self.database_name or self.binding

    def to_dict(self) -> dict[str, str]:
        """The binding as manifest data."""
        out = {"binding": self.binding}
        if self.database_name is not None:
            out["database_name"] = self.database_name
        if self.database_id is not None:
            out["database_id"] = self.database_id
        if self.migrations_dir is not None:
            out["migrations_dir"] = self.migrations_dir
        if self.migrations_table is not None:
            out["migrations_table"] = self.migrations_table
        return out


@dataclass(frozen=True)
class R2Binding:
    """An R2 bucket exposed on ``env`` (local data: runtime.r2, keyed by ``bucket_name`` as Miniflare keys it)."""

    binding: str
    bucket_name: str
    jurisdiction: str | None = None

    def to_dict(self) -> dict[str, str]:
        """The binding as manifest data."""
        out = {"binding": self.binding, "bucket_name": self.bucket_name}
        if self.jurisdiction is not None:
            out["jurisdiction"] = self.jurisdiction
        return out


@dataclass(frozen=True)
class Manifest:
    """A validated isoplay.toml (or wrangler config, see runtime.compat.wrangler)."""

    name: str
    version: str
    main: str
    vars: dict[str, Any] = field(default_factory=dict)
    """Strings, or any JSON value (as wrangler allows)."""
    kv_namespaces: tuple[KVBinding, ...] = ()
    d1_databases: tuple[D1Binding, ...] = ()
    r2_buckets: tuple[R2Binding, ...] = ()
    assets: Any = None
    """runtime.assets.AssetsConfig: static files answered before the Worker (``[assets]``), or None."""
    crons: tuple[str, ...] = ()
    limits: Limits = Limits()
    fetch_allow: tuple[str, ...] = ()
    """Hosts a script may fetch; ``*`` is any host (wrangler projects: egress as in Workers)."""
    compatibility_date: str | None = None
    compatibility_flags: tuple[str, ...] = ()
    """``nodejs_compat`` turns on the node:* modules (runtime.compat.build)."""
    routes: tuple[str, ...] = ()
    """wrangler routes: accepted and shown, not used for local routing."""
    rules: tuple[tuple[str, tuple[str, ...], bool], ...] = ()
    """Module rules: (type, globs, fallthrough)."""
    unsupported_bindings: tuple[tuple[str, str], ...] = ()
    """(binding, what it is) for declared bindings isoplay lacks; they throw on use."""
    recordings: RecordPolicy = RecordPolicy()
    """``[recordings]``: what ``isoplay serve`` records of this app."""
    source: str = MANIFEST_NAME
    """The config file the manifest was read from."""
    environment: str | None = None
    """The wrangler environment (``--env``) it was resolved for."""
    warnings: tuple[str, ...] = field(default=(), compare=False)
    """Problems that did not stop loading (unknown keys, features isoplay ignores)."""

    def to_dict(self) -> dict[str, Any]:
        """The manifest as plain data (what a bundle carries); parse_manifest reads it back."""
        limits = {k: getattr(self.limits, k) for k in Limits.__dataclass_fields__ if getattr(self.limits, k) is not None}
        out: dict[str, Any] = {
            "name": self.name,
            "version": self.version,
            "main": self.main,
            "vars": dict(self.vars),
            "kv_namespaces": [kv.to_dict() for kv in self.kv_namespaces],
            "triggers": {"crons": list(self.crons)},
            "limits": limits,
            "fetch": {"allow": list(self.fetch_allow)},
        }
        if self.d1_databases:
            out["d1_databases"] = [d1.to_dict() for d1 in self.d1_databases]
        if self.r2_buckets:
            out["r2_buckets"] = [r2.to_dict() for r2 in self.r2_buckets]
        if self.assets is not None:
            out["assets"] = self.assets.to_dict()
        if self.compatibility_date is not None:
            out["compatibility_date"] = self.compatibility_date
        if self.compatibility_flags:
            out["compatibility_flags"] = list(self.compatibility_flags)
        if self.routes:
            out["routes"] = list(self.routes)
        if self.rules:
            out["rules"] = [{"type": t, "globs": list(g), "fallthrough": f} for t, g, f in self.rules]
        if self.unsupported_bindings:
            out["unsupported_bindings"] = [{"binding": b, "what": w} for b, w in self.unsupported_bindings]
        if self.recordings != RecordPolicy():
            out["recordings"] = dict(vars(self.recordings))
        if self.source != MANIFEST_NAME:
            out["source"] = self.source
        if self.environment is not None:
            out["environment"] = self.environment
        return out


_TOP_KEYS = {"name", "version", "main", "vars", "kv_namespaces", "d1_databases", "r2_buckets", "assets", "triggers", "limits", "fetch", "recordings",
             "compatibility_date",
             "compatibility_flags", "routes", "rules", "unsupported_bindings", "source", "environment",
             "test"}  # [test] is read by runtime.testing.config


def _where(section: str | None, key: str) -> str:
    return f"[{section}] {key}" if section else key


def _type_name(value: Any) -> str:
    return {str: "a string", int: "an integer", bool: "a boolean", float: "a number", list: "an array",
            dict: "a table"}.get(type(value), type(value).__name__)


def _show(value: Any, limit: int = 60) -> str:
    """A short, safe ``repr`` (deep nesting, huge numbers and long strings cannot blow up a message)."""
    if isinstance(value, (dict, list)):
        return f"with {len(value)} entries"
    try:
        text = repr(value)
    except (ValueError, RecursionError):
        return "(too large to show)"
    return text if len(text) <= limit else text[:limit] + f"... ({len(text)} characters)"


def _expect(value: Any, typ: type, what: str, expected: str, source: str) -> Any:
    ok = isinstance(value, typ) and not (typ is int and isinstance(value, bool))
    if not ok:
        raise ManifestError(f"{source}: {what} must be {expected} (got {_type_name(value)} {_show(value)})")
    return value


def _check_unknown(table: dict[str, Any], allowed: set[str], section: str | None, source: str) -> None:
    for key in table:
        if key not in allowed:
            where = f"[{section}] " if section else ""
            raise ManifestError(f"{source}: unknown key {where}{_show(key)} (known: {', '.join(sorted(allowed))})")


def parse_manifest(data: dict[str, Any], source: str = MANIFEST_NAME) -> Manifest:
    """Validate parsed TOML data and build a Manifest.

    Raises:
        ManifestError: naming the bad key and the expected type.
    """
    _check_unknown(data, _TOP_KEYS, None, source)
    for required in ("name", "main"):
        if required not in data:
            raise ManifestError(f"{source}: missing required key {required!r}")
    name = _expect(data["name"], str, "name", "a string", source)
    if not NAME_RE.match(name):
        raise ManifestError(f"{source}: name must match [a-z0-9-]{{1,63}} (got {_short(name)})")
    version = _expect(data.get("version", "0.1.0"), str, "version", "a semver string like \"1.2.3\"", source)
    if len(version) > 256 or not semver.Version.is_valid(version):
        raise ManifestError(f"{source}: version must be semver like \"1.2.3\" of at most 256 characters "
                            f"(got {_short(version)})")
    main = _expect(data["main"], str, "main", "a path to the entry file", source)
    if not main or len(main) > MAX_MAIN_CHARS or _CONTROL_RE.search(main):
        raise ManifestError(f"{source}: main must be a relative path of 1-{MAX_MAIN_CHARS} characters without "
                            f"control characters (got {_short(main)})")
    if "compatibility_date" in data:
        date = _expect(data["compatibility_date"], str, "compatibility_date", 'a date like "2024-09-23"', source)
        if not DATE_RE.match(date):
            raise ManifestError(f"{source}: compatibility_date must be a date like \"2024-09-23\" (got {_short(date)})")
    vars_ = _parse_vars(data.get("vars", {}), source)
    kv = _parse_kv(data.get("kv_namespaces", []), source)
    d1 = _parse_d1(data.get("d1_databases", []), source)
    r2 = _parse_r2(data.get("r2_buckets", []), source)
    assets = parse_assets(data.get("assets"), source) if "assets" in data else None
    compat = _parse_compat(data, source)
    check_binding_clash(vars_, kv, source, others=(*compat.get("unsupported_bindings", ()),
                                                   *((b.binding, "D1 database") for b in d1),
                                                   *((b.binding, "R2 bucket") for b in r2),
                                                   *(((assets.binding, "assets"),) if assets and assets.binding else ())))
    taken = {b.binding: "[[kv_namespaces]]" for b in kv}
    for section, bindings in (("[[d1_databases]]", d1), ("[[r2_buckets]]", r2)):
        for b in bindings:
            if b.binding in taken:
                raise ManifestError(f"{source}: {section} binding {b.binding!r} has the name of a {taken[b.binding]} "
                                    f"binding; rename one of them (both would be env.{b.binding})")
            taken[b.binding] = section
    return Manifest(
        **compat,
        name=name,
        version=version,
        main=main,
        vars=vars_,
        kv_namespaces=kv,
        d1_databases=d1,
        r2_buckets=r2,
        assets=assets,
        crons=_parse_triggers(data.get("triggers", {}), source),
        limits=_parse_limits(data.get("limits", {}), source),
        fetch_allow=_parse_fetch(data.get("fetch", {}), source),
        recordings=_parse_recordings(data.get("recordings", {}), source),
    )


def _parse_recordings(table: Any, source: str) -> RecordPolicy:
    _expect(table, dict, "[recordings]", "a table", source)
    _check_unknown(table, set(RecordPolicy.__dataclass_fields__), "recordings", source)
    values: dict[str, Any] = {}
    for key, value in table.items():
        if key == "failures":
            values[key] = _expect(value, bool, _where("recordings", key), "true or false", source)
            continue
        low, high = RECORD_RANGES[key]
        kind = "a number" if key == "sample" else "an integer"
        if isinstance(value, bool) or not isinstance(value, (int, float)) or (key != "sample" and not isinstance(value, int)):
            raise ManifestError(f"{source}: [recordings] {key} must be {kind} from {low:g} to {high:g} "
                                f"(got {_type_name(value)})")
        if not low <= value <= high:
            raise ManifestError(f"{source}: [recordings] {key} must be from {low:g} to {high:g} (got {value!r})")
        values[key] = float(value) if key == "sample" else value
    return RecordPolicy(**values)


_DATE_SHAPE = re.compile(r"^\d{4}-\d{2}-\d{2}\Z")
_FLAG_RE = re.compile(r"^[a-z0-9_]{1,128}\Z")
_RULE_TYPES = ("ESModule", "CommonJS", "CompiledWasm", "Text", "Data")
_SOURCES = (MANIFEST_NAME, "wrangler.toml", "wrangler.json", "wrangler.jsonc")


def _parse_compat(data: dict[str, Any], source: str) -> dict[str, Any]:
    """The Workers-compatibility keys (compatibility_*, routes, rules, ...), validated."""
    import datetime

    out: dict[str, Any] = {}
    if "compatibility_date" in data:
        date = _expect(data["compatibility_date"], str, "compatibility_date", 'a date like "2024-09-23"', source)
        try:
            ok = bool(_DATE_SHAPE.match(date)) and datetime.date.fromisoformat(date) is not None
        except ValueError:
            ok = False
        if not ok:
            raise ManifestError(f"{source}: compatibility_date must be a real date written \"YYYY-MM-DD\" (got {date[:40]!r})")
        out["compatibility_date"] = date
    flags = _expect(data.get("compatibility_flags", []), list, "compatibility_flags", "an array of flag names", source)
    if len(flags) > 64:
        raise ManifestError(f"{source}: compatibility_flags has {len(flags)} entries (at most 64 allowed)")
    for flag in flags:
        if not isinstance(flag, str) or not _FLAG_RE.match(flag):
            raise ManifestError(f"{source}: compatibility_flags entry {str(flag)[:40]!r} is not a flag name like \"nodejs_compat\"")
    out["compatibility_flags"] = tuple(flags)
    routes = _expect(data.get("routes", []), list, "routes", "an array of route patterns", source)
    if len(routes) > 256 or not all(isinstance(r, str) and 0 < len(r) <= 1024 for r in routes):
        raise ManifestError(f"{source}: routes must be at most 256 patterns of 1-1024 characters")
    out["routes"] = tuple(routes)
    rules = []
    for rule in _expect(data.get("rules", []), list, "rules", "an array of tables", source)[:257]:
        _expect(rule, dict, "each rules entry", "a table with type and globs", source)
        rtype, globs = rule.get("type"), rule.get("globs")
        if rtype not in _RULE_TYPES:
            raise ManifestError(f"{source}: rules type must be one of {', '.join(_RULE_TYPES)} (got {str(rtype)[:40]!r})")
        if not isinstance(globs, list) or not 0 < len(globs) <= 64 or not all(isinstance(g, str) and 0 < len(g) <= 256 for g in globs):
            raise ManifestError(f"{source}: rules globs must be 1-64 glob strings")
        rules.append((rtype, tuple(globs), bool(rule.get("fallthrough", False))))
    if len(rules) > 256:
        raise ManifestError(f"{source}: rules has more than 256 entries")
    out["rules"] = tuple(rules)
    unsupported = []
    for item in _expect(data.get("unsupported_bindings", []), list, "unsupported_bindings", "an array", source)[:257]:
        _expect(item, dict, "each unsupported_bindings entry", "a table", source)
        binding, what = item.get("binding"), item.get("what")
        if not isinstance(binding, str) or not BINDING_RE.match(binding) or not isinstance(what, str) or len(what) > 64:
            raise ManifestError(f"{source}: unsupported_bindings entries need a binding name and what it is")
        unsupported.append((binding, what))
    out["unsupported_bindings"] = tuple(unsupported[:256])
    config = data.get("source", MANIFEST_NAME)
    if config not in _SOURCES:
        raise ManifestError(f"{source}: source must be one of {', '.join(_SOURCES)}")
    out["source"] = config
    env = data.get("environment")
    if env is not None and (not isinstance(env, str) or not re.match(r"^[A-Za-z0-9_-]{1,64}\Z", env)):
        raise ManifestError(f"{source}: environment must be a name of 1-64 letters, digits, _ or -")
    out["environment"] = env
    return out


def _json_value(value: Any, what: str, source: str, depth: int = 0) -> Any:
    """A var value: a string, number, boolean or a JSON array / table of them (as wrangler allows)."""
    if isinstance(value, (str, bool, int)) or (isinstance(value, float) and value == value and abs(value) != float("inf")):
        return value
    if isinstance(value, (list, dict)) and depth >= 16:
        raise ManifestError(f"{source}: {what} is nested deeper than 16 levels")
    if isinstance(value, list):
        return [_json_value(v, what, source, depth + 1) for v in value]
    if isinstance(value, dict):
        return {str(k): _json_value(v, what, source, depth + 1) for k, v in value.items()}
    raise ManifestError(f"{source}: {what} must be a string or a JSON value (got {_type_name(value)})")


def check_binding_clash(vars_: Mapping[str, Any], kv: tuple[KVBinding, ...], source: str, *,
                        what: str = "[vars]", others: tuple[tuple[str, str], ...] = ()) -> None:
    """Refuse a var (or secret) that has the name of a KV binding, or of another binding the config
    declares (``others``: (name, what) of bindings isoplay does not run), since one would silently hide
    the other on ``env``.

    Raises:
        ManifestError: naming both.
    """
    for binding in kv:
        if binding.binding in vars_:
            raise ManifestError(f"{source}: {what} {binding.binding} has the same name as the [[kv_namespaces]] "
                                f"binding {binding.binding!r}; rename one of them (both would be env.{binding.binding})")
    for name, kind in others:
        if name in vars_:
            raise ManifestError(f"{source}: {what} {name} has the same name as the {kind} binding {name!r}; "
                                f"rename one of them (both would be env.{name})")


_CONTROL_RE = re.compile(r"[\x00-\x1f\x7f]")


def _short(text: str, limit: int = 60) -> str:
    """``repr`` of ``text``, cut to ``limit`` characters (long hostile strings stay out of messages)."""
    return repr(text) if len(text) <= limit else repr(text[:limit]) + f"... ({len(text)} characters)"


def _check_name(name: str, what: str, source: str) -> None:
    if not name or len(name) > MAX_VAR_NAME_CHARS or _CONTROL_RE.search(name):
        raise ManifestError(f"{source}: {what} name {_short(name)} must be 1-{MAX_VAR_NAME_CHARS} characters "
                            "without control characters")


def _check_value_size(value: str, what: str, source: str) -> None:
    size = len(value.encode("utf-8", "surrogatepass"))
    if size > MAX_VAR_BYTES:
        raise ManifestError(f"{source}: {what} is {size} bytes (at most {MAX_VAR_BYTES} allowed)")


def _parse_vars(table: Any, source: str) -> dict[str, Any]:
    _expect(table, dict, "[vars]", "a table of strings or JSON values", source)
    if len(table) > MAX_VARS:
        raise ManifestError(f"{source}: [vars] has {len(table)} entries (at most {MAX_VARS} allowed)")
    out: dict[str, Any] = {}
    for key, value in table.items():
        _check_name(key, "[vars]", source)
        out[key] = _json_value(value, _where("vars", key), source)
        import json

        _check_value_size(value if isinstance(value, str) else json.dumps(out[key]), _where("vars", key), source)
    return out


def _parse_kv(items: Any, source: str) -> tuple[KVBinding, ...]:
    return tuple(KVBinding(binding, f.get("id"), f.get("preview_id"))
                 for binding, f in _binding_entries(items, source, "kv_namespaces", ("id", "preview_id")))


def _parse_d1(items: Any, source: str) -> tuple[D1Binding, ...]:
    fields = ("database_name", "database_id", "preview_database_id", "migrations_dir", "migrations_table")
    return tuple(D1Binding(binding, f.get("database_name"), f.get("database_id"), f.get("migrations_dir"),
                           f.get("migrations_table"))
                 for binding, f in _binding_entries(items, source, "d1_databases", fields))


def parse_assets(table: Any, source: str) -> Any:
    """``[assets]`` (isoplay.toml, a bundle's manifest, or a wrangler config's ``assets``) as an AssetsConfig.

    Raises:
        ManifestError: naming the bad field.
    """
    from runtime.assets import HTML_HANDLING, NOT_FOUND_HANDLING, AssetsConfig

    _expect(table, dict, "[assets]", "a table", source)
    _check_unknown(table, {"directory", "binding", "html_handling", "not_found_handling", "run_worker_first",
                           "experimental_serve_directly"}, "assets", source)
    directory = table.get("directory")
    if not isinstance(directory, str) or not directory.strip() or len(directory) > MAX_MAIN_CHARS \
            or _CONTROL_RE.search(directory):
        raise ManifestError(f"{source}: [assets] directory must be the folder of the static files, e.g. \"./public\"")
    binding = table.get("binding")
    if binding is not None and (not isinstance(binding, str) or not BINDING_RE.match(binding)):
        raise ManifestError(f"{source}: [assets] binding must be a JavaScript identifier (got {_show(binding)})")
    html = table.get("html_handling", "auto-trailing-slash")
    if html not in HTML_HANDLING:
        raise ManifestError(f"{source}: [assets] html_handling must be one of {', '.join(HTML_HANDLING)} (got {_show(html)})")
    not_found = table.get("not_found_handling", "none")
    if not_found not in NOT_FOUND_HANDLING:
        raise ManifestError(f"{source}: [assets] not_found_handling must be one of {', '.join(NOT_FOUND_HANDLING)} "
                            f"(got {_show(not_found)})")
    first = table.get("run_worker_first", False)
    if not isinstance(first, bool):
        raise ManifestError(f"{source}: [assets] run_worker_first must be true or false here (route lists are not "
                            "supported by isoplay yet)")
    return AssetsConfig(directory, binding, html, not_found, first)


def _parse_r2(items: Any, source: str) -> tuple[R2Binding, ...]:
    return tuple(R2Binding(binding, f.get("bucket_name") or binding, f.get("jurisdiction"))
                 for binding, f in _binding_entries(items, source, "r2_buckets",
                                                    ("bucket_name", "preview_bucket_name", "jurisdiction")))


def _binding_entries(items: Any, source: str, section: str, fields: tuple[str, ...]) -> list[tuple[str, dict[str, str]]]:
    """(binding, its string fields) of each ``[[section]]`` entry: a valid JavaScript identifier declared once,
    fields of at most 256 characters, no other keys, at most ``MAX_KV_NAMESPACES`` entries."""
    _expect(items, list, f"[[{section}]]", "an array of tables", source)
    if len(items) > MAX_KV_NAMESPACES:
        raise ManifestError(f"{source}: [[{section}]] has {len(items)} entries (at most {MAX_KV_NAMESPACES} allowed)")
    seen: set[str] = set()
    out = []
    for item in items:
        _expect(item, dict, f"each [[{section}]] entry", "a table", source)
        _check_unknown(item, {"binding", *fields}, section, source)
        if "binding" not in item:
            raise ManifestError(f"{source}: [[{section}]] entry needs a binding name")
        binding = _expect(item["binding"], str, f"[{section}] binding", "a string", source)
        if not BINDING_RE.match(binding):
            raise ManifestError(f"{source}: [{section}] binding {_short(binding)} is not a valid JavaScript "
                                "identifier of at most 255 characters")
        if binding in seen:
            raise ManifestError(f"{source}: [{section}] binding {binding!r} is declared twice")
        seen.add(binding)
        for k in fields:
            if k in item and (not isinstance(item[k], str) or len(item[k]) > 256):
                raise ManifestError(f"{source}: [{section}] {k} must be a string of at most 256 characters")
        out.append((binding, {k: item[k] for k in fields if k in item}))
    return out


def _parse_triggers(table: Any, source: str) -> tuple[str, ...]:
    _expect(table, dict, "[triggers]", "a table", source)
    _check_unknown(table, {"crons"}, "triggers", source)
    crons = _expect(table.get("crons", []), list, "[triggers] crons", "an array of cron strings", source)
    if len(crons) > MAX_CRONS:
        raise ManifestError(f"{source}: [triggers] crons has {len(crons)} entries (at most {MAX_CRONS} allowed)")
    from runtime.cron import validate_cron
    from runtime.errors import CronSyntaxError

    for expr in crons:
        _expect(expr, str, "[triggers] crons entry", "a cron string like \"*/5 * * * *\"", source)
        if len(expr) > MAX_CRON_CHARS or _CONTROL_RE.search(expr.replace("\t", " ")):
            raise ManifestError(f"{source}: [triggers] crons entry {_short(expr)} must be at most {MAX_CRON_CHARS} "
                                "characters without control characters")
        try:
            validate_cron(expr, source=f"{source}: [triggers] crons")
        except CronSyntaxError as exc:
            raise ManifestError(exc.message) from None
    return tuple(crons)


def _parse_limits(table: Any, source: str) -> Limits:
    _expect(table, dict, "[limits]", "a table", source)
    fields = set(Limits.__dataclass_fields__)
    _check_unknown(table, fields, "limits", source)
    values: dict[str, int] = {}
    for key, value in table.items():
        low, high = LIMIT_RANGES[key]
        _expect(value, int, _where("limits", key), f"an integer from {low} to {high}", source)
        if not low <= value <= high:
            shown = str(value) if abs(value) < 10**30 else f"a {len(str(abs(value)))}-digit number"
            raise ManifestError(f"{source}: [limits] {key} must be from {low} to {high} (got {shown})")
        values[key] = value
    limits = Limits(**values)
    if limits.min_idle > limits.max_isolates:
        raise ManifestError(f"{source}: [limits] min_idle ({limits.min_idle}) exceeds max_isolates ({limits.max_isolates})")
    return limits


def _parse_fetch(table: Any, source: str) -> tuple[str, ...]:
    _expect(table, dict, "[fetch]", "a table", source)
    _check_unknown(table, {"allow"}, "fetch", source)
    allow = _expect(table.get("allow", []), list, "[fetch] allow", "an array of host names", source)
    if len(allow) > MAX_FETCH_ALLOW:
        raise ManifestError(f"{source}: [fetch] allow has {len(allow)} entries (at most {MAX_FETCH_ALLOW} allowed)")
    for host in allow:
        _expect(host, str, "[fetch] allow entry", "a host name like \"api.example.com\" or \"127.0.0.1:8080\"", source)
        if host == "*":
            continue  # any host (wrangler projects: egress as in Workers)
        match = HOST_RE.match(host)
        port = host.rpartition(":")[2] if match and host.rpartition(":")[2].isdigit() and not host.endswith("]") else ""
        if not match or (port and not 1 <= int(port) <= 65535):
            raise ManifestError(f"{source}: [fetch] allow entry {_short(host)} is not a host or host:port "
                                "(port 1-65535)")
    return tuple(h.lower() for h in allow)


_BOMS = ((b"\x00\x00\xfe\xff", "UTF-32"), (b"\xff\xfe\x00\x00", "UTF-32"), (b"\xfe\xff", "UTF-16"),
         (b"\xff\xfe", "UTF-16"))


def decode_text(data: bytes, label: str) -> str:
    """``data`` as UTF-8 text, or a one-line ManifestError naming ``label`` and what is wrong.

    A UTF-8 byte-order mark is dropped. UTF-16/32 (with or without a mark), binary
    data (NUL bytes) and invalid UTF-8 are refused; the last with the line and
    column of the first bad byte.
    """
    for bom, name in _BOMS:
        if data.startswith(bom):
            raise ManifestError(f"{label}: the file is {name} text; save it as UTF-8")
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    if b"\x00" in data:
        even, odd = data[0::2].count(0), data[1::2].count(0)
        half = len(data) // 2
        if half >= 4 and max(even, odd) >= 0.9 * half and min(even, odd) <= 0.1 * half:  # UTF-16 without a mark
            raise ManifestError(f"{label}: the file looks like UTF-16 text; save it as UTF-8")
        offset = data.index(b"\x00")
        line = data.count(b"\n", 0, offset) + 1
        raise ManifestError(f"{label}:{line}: the file holds a NUL byte (binary data?); it must be UTF-8 text")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        column = exc.start - (data.rfind(b"\n", 0, exc.start) + 1) + 1
        raise ManifestError(f"{label}:{line}:{column}: the file is not UTF-8 text (byte 0x{data[exc.start]:02x}); "
                            "save it as UTF-8") from None


def read_text_file(path: Path, label: str, max_bytes: int = MAX_FILE_BYTES) -> str:
    """Read a small UTF-8 config file; every failure is a one-line ManifestError naming ``label``."""
    try:
        with open(path, "rb") as fh:
            data = fh.read(max_bytes + 1)
    except FileNotFoundError:
        raise ManifestError(f"{label}: not found") from None
    except IsADirectoryError:
        raise ManifestError(f"{label}: is a directory, not a file") from None
    except (OSError, ValueError) as exc:
        reason = getattr(exc, "strerror", None) or str(exc)
        raise ManifestError(f"{label}: cannot be read ({reason})") from None
    if len(data) > max_bytes:
        raise ManifestError(f"{label}: the file is larger than {max_bytes} bytes")
    return decode_text(data, label)


def parse_toml(text: str, label: str) -> dict[str, Any]:
    """TOML text to data; a syntax error or nesting too deep is a one-line ManifestError."""
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ManifestError(f"{label}: {exc}") from None
    except RecursionError:
        raise ManifestError(f"{label}: arrays or tables are nested too deeply") from None
    except ValueError as exc:  # Python refuses to convert an integer of more than 4300 digits
        if "digits" in str(exc):
            raise ManifestError(f"{label}: a number has too many digits (at most 4300)") from None
        raise ManifestError(f"{label}: {str(exc).splitlines()[0][:200]}") from None


def _read_toml(path: Path, label: str) -> dict[str, Any]:
    return parse_toml(read_text_file(path, label), label)


def load_manifest(root: Path, env: str | None = None) -> Manifest:
    """Read and validate ``root/isoplay.toml`` -- or, without one, the folder's wrangler config
    (in environment ``env``, default ``$CLOUDFLARE_ENV``; see runtime.compat.wrangler).

    Raises:
        ManifestError: the file is missing, not TOML, or invalid.
    """
    path = root / MANIFEST_NAME
    if not path.is_file():
        from runtime.compat import wrangler

        if wrangler.find_config(root) is not None:
            return wrangler.load_manifest(root, env)
        raise ManifestError(f"{path}: not found (is {root} an isoplay project? create one with `isoplay new`)")
    return parse_manifest(_read_toml(path, str(path)), MANIFEST_NAME)


def load_secrets(root: Path) -> dict[str, str]:
    """Read ``.isoplay/secrets.toml`` (string values only); empty when absent."""
    path = root / SECRETS_PATH
    if not path.is_file():
        return {}
    data = _read_toml(path, str(SECRETS_PATH))
    out: dict[str, str] = {}
    if len(data) > MAX_VARS:
        raise ManifestError(f"{SECRETS_PATH}: has {len(data)} secrets (at most {MAX_VARS} allowed)")
    for key, value in data.items():
        if not BINDING_RE.match(key):
            raise ManifestError(f"{SECRETS_PATH}: secret name {_short(key)} is not a valid JavaScript identifier")
        out[key] = _expect(value, str, key, "a string", str(SECRETS_PATH))
        _check_value_size(value, f"secret {key}", str(SECRETS_PATH))
    return out
