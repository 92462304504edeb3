"""isoplay.toml, the project manifest (close to wrangler.toml), and secrets.

Validation names the bad key and the expected type, e.g.
``isoplay.toml: [limits] timeout_ms must be an integer (got "fast")``.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import semver

from runtime.errors import ManifestError

MANIFEST_NAME = "isoplay.toml"
SECRETS_PATH = Path(".isoplay") / "secrets.toml"
NAME_RE = re.compile(r"^[a-z0-9-]{1,63}$")
BINDING_RE = re.compile(r"^[A-Za-z_$][A-Za-z0-9_$]*$")
HOST_RE = re.compile(r"^(\*\.)?[A-Za-z0-9.-]+(:\d{1,5})?$|^\[[0-9a-fA-F:]+\](:\d{1,5})?$")

DEFAULT_TIMEOUT_MS = 30_000
DEFAULT_MEMORY_MB = 128


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


@dataclass(frozen=True)
class KVBinding:
    """A KV namespace exposed on ``env``."""

    binding: str
    """The name on ``env``."""


@dataclass(frozen=True)
class Manifest:
    """A validated isoplay.toml."""

    name: str
    version: str
    main: str
    vars: dict[str, str] = field(default_factory=dict)
    kv_namespaces: tuple[KVBinding, ...] = ()
    crons: tuple[str, ...] = ()
    limits: Limits = Limits()
    fetch_allow: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        """The manifest as plain data (what a bundle carries)."""
        limits = {k: getattr(self.limits, k) for k in Limits.__dataclass_fields__}
        return {
            "name": self.name,
            "version": self.version,
            "main": self.main,
            "vars": dict(self.vars),
            "kv_namespaces": [{"binding": kv.binding} for kv in self.kv_namespaces],
            "triggers": {"crons": list(self.crons)},
            "limits": limits,
            "fetch": {"allow": list(self.fetch_allow)},
        }


_TOP_KEYS = {"name", "version", "main", "vars", "kv_namespaces", "triggers", "limits", "fetch", "compatibility_date"}


def _where(section: str | None, key: str) -> str:
    return f"[{section}] {key}" if section else key


def _type_name(value: Any) -> str:
    return {str: "a string", int: "an integer", bool: "a boolean", float: "a number", list: "an array",
            dict: "a table"}.get(type(value), type(value).__name__)


def _expect(value: Any, typ: type, what: str, expected: str, source: str) -> Any:
    ok = isinstance(value, typ) and not (typ is int and isinstance(value, bool))
    if not ok:
        raise ManifestError(f"{source}: {what} must be {expected} (got {_type_name(value)} {value!r})")
    return value


def _check_unknown(table: dict[str, Any], allowed: set[str], section: str | None, source: str) -> None:
    for key in table:
        if key not in allowed:
            where = f"[{section}] " if section else ""
            raise ManifestError(f"{source}: unknown key {where}{key!r} (known: {', '.join(sorted(allowed))})")


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
        raise ManifestError(f"{source}: name must match [a-z0-9-]{{1,63}} (got {name!r})")
    version = _expect(data.get("version", "0.1.0"), str, "version", "a semver string like \"1.2.3\"", source)
    if not semver.Version.is_valid(version):
        raise ManifestError(f"{source}: version must be semver like \"1.2.3\" (got {version!r})")
    main = _expect(data["main"], str, "main", "a path to the entry file", source)
    return Manifest(
        name=name,
        version=version,
        main=main,
        vars=_parse_vars(data.get("vars", {}), source),
        kv_namespaces=_parse_kv(data.get("kv_namespaces", []), source),
        crons=_parse_triggers(data.get("triggers", {}), source),
        limits=_parse_limits(data.get("limits", {}), source),
        fetch_allow=_parse_fetch(data.get("fetch", {}), source),
    )


def _parse_vars(table: Any, source: str) -> dict[str, str]:
    _expect(table, dict, "[vars]", "a table of strings", source)
    out: dict[str, str] = {}
    for key, value in table.items():
        out[key] = _expect(value, str, _where("vars", key), "a string", source)
    return out


def _parse_kv(items: Any, source: str) -> tuple[KVBinding, ...]:
    _expect(items, list, "[[kv_namespaces]]", "an array of tables", source)
    seen: set[str] = set()
    out = []
    for item in items:
        _expect(item, dict, "each [[kv_namespaces]] entry", "a table", source)
        _check_unknown(item, {"binding", "id", "preview_id"}, "kv_namespaces", source)
        if "binding" not in item:
            raise ManifestError(f"{source}: [[kv_namespaces]] entry needs a binding name")
        binding = _expect(item["binding"], str, "[kv_namespaces] binding", "a string", source)
        if not BINDING_RE.match(binding):
            raise ManifestError(f"{source}: [kv_namespaces] binding {binding!r} is not a valid JavaScript identifier")
        if binding in seen:
            raise ManifestError(f"{source}: [kv_namespaces] binding {binding!r} is declared twice")
        seen.add(binding)
        out.append(KVBinding(binding))
    return tuple(out)


def _parse_triggers(table: Any, source: str) -> tuple[str, ...]:
    _expect(table, dict, "[triggers]", "a table", source)
    _check_unknown(table, {"crons"}, "triggers", source)
    crons = _expect(table.get("crons", []), list, "[triggers] crons", "an array of cron strings", source)
    from runtime.cron import validate_cron
    from runtime.errors import CronSyntaxError

    for expr in crons:
        _expect(expr, str, "[triggers] crons entry", "a cron string like \"*/5 * * * *\"", source)
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
        _expect(value, int, _where("limits", key), "an integer", source)
        if value < 0 or (value == 0 and key not in {"min_idle", "max_invocations", "max_queue"}):
            raise ManifestError(f"{source}: [limits] {key} must be positive (got {value})")
        values[key] = value
    limits = Limits(**values)
    if limits.min_idle > limits.max_isolates:
        raise ManifestError(f"{source}: [limits] min_idle ({limits.min_idle}) exceeds max_isolates ({limits.max_isolates})")
    return limits


def _parse_fetch(table: Any, source: str) -> tuple[str, ...]:
    _expect(table, dict, "[fetch]", "a table", source)
    _check_unknown(table, {"allow"}, "fetch", source)
    allow = _expect(table.get("allow", []), list, "[fetch] allow", "an array of host names", source)
    for host in allow:
        _expect(host, str, "[fetch] allow entry", "a host name like \"api.example.com\" or \"127.0.0.1:8080\"", source)
        if not HOST_RE.match(host):
            raise ManifestError(f"{source}: [fetch] allow entry {host!r} is not a host or host:port")
    return tuple(h.lower() for h in allow)


def _read_toml(path: Path, label: str) -> dict[str, Any]:
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ManifestError(f"{label}: not found") from None
    except tomllib.TOMLDecodeError as exc:
        raise ManifestError(f"{label}: {exc}") from None


def load_manifest(root: Path) -> Manifest:
    """Read and validate ``root/isoplay.toml``.

    Raises:
        ManifestError: the file is missing, not TOML, or invalid.
    """
    path = root / MANIFEST_NAME
    if not path.is_file():
        raise ManifestError(f"{path}: not found (is {root} an isoplay project? create one with `isoplay new`)")
    return parse_manifest(_read_toml(path, str(path)), MANIFEST_NAME)


def load_secrets(root: Path) -> dict[str, str]:
    """Read ``.isoplay/secrets.toml`` (string values only); empty when absent."""
    path = root / SECRETS_PATH
    if not path.is_file():
        return {}
    data = _read_toml(path, str(SECRETS_PATH))
    out: dict[str, str] = {}
    for key, value in data.items():
        if not BINDING_RE.match(key):
            raise ManifestError(f"{SECRETS_PATH}: secret name {key!r} is not a valid JavaScript identifier")
        out[key] = _expect(value, str, key, "a string", str(SECRETS_PATH))
    return out
