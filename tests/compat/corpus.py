"""The compatibility corpus: Workers projects under tests/compat/projects/, installed and exercised.

Each project is a folder with a wrangler config, ``package.json`` with its
``package-lock.json`` (real npm packages, pinned), sources, and ``expect.json``:
requests and what each must answer. ``install(project)`` runs ``npm ci`` (the
npm that ships with isoplay) once per lock hash into a user cache folder; a
copy of the project then gets that ``node_modules`` linked in, so the repository
never holds installed packages.

``expect.json``::

    {"requires": ["hmac"],               # runtime features needed (skipped without)
     "upstream": true,                   # UPSTREAM var -> a local echo server
     "isoplay_only": true,               # behaviour wrangler dev does not share (bench skips it)
     "requests": [{"request": "POST /x", "headers": {...}, "data": "body", "data_hex": "89504e47...",
                   "status": 200, "body": "exact text", "body_contains": [...], "body_hex": "...",
                   "json": {...}, "json_subset": {...},
                   "response_headers": {...}, "response_header_present": [...],
                   "response_header_absent": [...], "capture": {"name": "json.key"}}],
     "environments": {"staging": [ ...requests... ]}}

``${name}`` in a later request's path, headers or data is replaced by a
captured value.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import tempfile
from pathlib import Path
from typing import Any

import platformdirs

PROJECTS = Path(__file__).resolve().parent / "projects"


def projects() -> list[Path]:
    """Every corpus project folder."""
    return sorted(p for p in PROJECTS.iterdir() if (p / "expect.json").is_file())


def spec(project: Path) -> dict[str, Any]:
    """The project's expect.json."""
    return json.loads((project / "expect.json").read_text(encoding="utf-8"))


def lock_hash(project: Path) -> str:
    """Hash of package.json + package-lock.json: names the installed node_modules."""
    digest = hashlib.sha256()
    for name in ("package.json", "package-lock.json"):
        digest.update((project / name).read_bytes())
    return digest.hexdigest()[:16]


def cache_root() -> Path:
    """Where installed corpus dependencies live (``ISOPLAY_CORPUS_CACHE`` overrides)."""
    override = os.environ.get("ISOPLAY_CORPUS_CACHE")
    return Path(override) if override else Path(platformdirs.user_cache_dir("isoplay")) / "compat-corpus"


def has_dependencies(project: Path) -> bool:
    """Whether package.json declares any dependency."""
    data = json.loads((project / "package.json").read_text(encoding="utf-8"))
    return bool(data.get("dependencies") or data.get("devDependencies"))


def install(project: Path) -> Path | None:
    """``npm ci`` the project's lock into the cache (once per lock hash); its node_modules, or None.

    Raises:
        RuntimeError: npm failed (with its last output lines).
    """
    if not has_dependencies(project):
        return None
    target = cache_root() / lock_hash(project)
    modules = target / "node_modules"
    if (target / ".complete").is_file():
        return modules
    from app.commands.npm import command

    target.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".install-", dir=target.parent))
    try:
        for name in ("package.json", "package-lock.json"):
            shutil.copy2(project / name, staging / name)
        argv, env = command("npm")
        proc = subprocess.run([*argv, "ci", "--no-audit", "--no-fund", "--ignore-scripts", "--loglevel=error"],
                              cwd=staging, env=env, capture_output=True, text=True, timeout=600)
        if proc.returncode != 0:
            tail = "\n".join((proc.stderr or proc.stdout).strip().splitlines()[-8:])
            raise RuntimeError(f"npm ci failed for {project.name}:\n{tail}")
        (staging / ".complete").write_text("ok\n", encoding="utf-8")
        if target.exists():
            shutil.rmtree(target, ignore_errors=True)
        try:
            staging.rename(target)
        except OSError:
            pass  # a parallel worker installed the same lock meanwhile
    finally:
        if staging.exists():
            shutil.rmtree(staging, ignore_errors=True)
    return modules


def materialise(project: Path, dest: Path) -> Path:
    """Copy the project to ``dest`` and link its installed node_modules in."""
    shutil.copytree(project, dest, ignore=shutil.ignore_patterns("node_modules", ".isoplay", "dist"))
    modules = install(project)
    if modules is not None:
        os.symlink(modules, dest / "node_modules", target_is_directory=True)
    return dest


def request_body(step: dict[str, Any]) -> bytes | None:
    """The bytes a step sends: ``data`` (UTF-8 text) or ``data_hex`` (binary)."""
    if isinstance(step.get("data_hex"), str):
        return bytes.fromhex(step["data_hex"])
    data = step.get("data")
    return data.encode("utf-8") if isinstance(data, str) else None


def substitute(value: Any, captured: dict[str, str]) -> Any:
    """``${name}`` replaced by captured values, in strings, lists and dicts."""
    if isinstance(value, str):
        for name, got in captured.items():
            value = value.replace("${" + name + "}", got)
        return value
    if isinstance(value, list):
        return [substitute(v, captured) for v in value]
    if isinstance(value, dict):
        return {k: substitute(v, captured) for k, v in value.items()}
    return value


def is_subset(want: Any, got: Any) -> bool:
    """Whether ``want`` is contained in ``got`` (dict keys recursively; other values equal)."""
    if isinstance(want, dict):
        return isinstance(got, dict) and all(k in got and is_subset(v, got[k]) for k, v in want.items())
    return bool(want == got)


def check_response(step: dict[str, Any], status: int, headers: dict[str, str], body: bytes,
                   captured: dict[str, str]) -> list[str]:
    """What is wrong with a response (empty: it matches the step); fills ``captured``."""
    problems = []
    text = body.decode("utf-8", "replace")
    where = step["request"]
    if "status" in step and status != step["status"]:
        problems.append(f"{where}: status {status}, expected {step['status']} (body: {text[:300]!r})")
    if "body" in step and text != step["body"]:
        problems.append(f"{where}: body {text[:300]!r}, expected {step['body']!r}")
    for part in step.get("body_contains", []):
        if part not in text:
            problems.append(f"{where}: body {text[:300]!r} lacks {part!r}")
    if "body_hex" in step and body.hex() != step["body_hex"]:
        problems.append(f"{where}: body bytes {body.hex()[:120]}, expected {step['body_hex']}")
    data: Any = None
    if any(k in step for k in ("json", "json_subset", "capture")):
        try:
            data = json.loads(text)
        except ValueError:
            problems.append(f"{where}: body is not JSON: {text[:300]!r}")
            return problems
    if "json" in step and data != step["json"]:
        problems.append(f"{where}: JSON {data!r}, expected {step['json']!r}")
    if "json_subset" in step and not is_subset(step["json_subset"], data):
        problems.append(f"{where}: JSON {data!r} does not contain {step['json_subset']!r}")
    lower = {k.lower(): v for k, v in headers.items()}
    for name, value in step.get("response_headers", {}).items():
        if lower.get(name.lower()) != value:
            problems.append(f"{where}: header {name}: {lower.get(name.lower())!r}, expected {value!r}")
    for name in step.get("response_header_present", []):
        if name.lower() not in lower:
            problems.append(f"{where}: header {name} missing")
    for name in step.get("response_header_absent", []):
        if name.lower() in lower:
            problems.append(f"{where}: header {name} should be absent (got {lower[name.lower()]!r})")
    for name, key in step.get("capture", {}).items():
        value: Any = data
        for part in key.split("."):
            value = value.get(part) if isinstance(value, dict) else None
        if not isinstance(value, str):
            problems.append(f"{where}: cannot capture {key} from {data!r}")
        else:
            captured[name] = value
    return problems


def apply_d1_migrations(root: Path, spec: dict[str, Any]) -> None:
    """Apply the migrations of the D1 bindings ``spec["d1_migrations"]`` names, as
    ``isoplay d1 migrations apply BINDING`` does (before the project serves its first request)."""
    from runtime.d1 import migrations
    from runtime.d1.store import D1Database, file_name
    from runtime.project import Project

    project = Project.open(root)
    bindings = {b.binding: b for b in project.manifest().d1_databases}
    for name in spec.get("d1_migrations", []):
        binding = bindings[name]
        db = D1Database(project.d1_dir / file_name(binding.key))
        try:
            migrations.apply(db, root / (binding.migrations_dir or migrations.DEFAULT_DIR), binding.migrations_table)
        finally:
            db.close()
