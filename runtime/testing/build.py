"""Bundle test files with esbuild: each file plus the project's worker, in one esbuild run.

Every test file gets a small generated entry (``import "<file>"``; its default
export is the harness's ``run`` handler). ``vitest`` and ``cloudflare:test`` are
esbuild aliases to the shims in resources/testing/shims, and the worker module
``SELF`` calls is the manifest's ``main``. The flags are the project's own
(``runtime.bundler.esbuild_args``), so tests see the code exactly as it ships.
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from runtime import toolchain
from runtime.bundler import Bundle, _finish, esbuild_args, parse_esbuild_log, run_esbuild
from runtime.errors import BundleError, Diagnostic
from runtime.manifest import Manifest
from runtime.testing.harness import SHIMS_DIR
from runtime.testing.mocks import STUB_SOURCE_PREFIX, MockPlan, plan_mocks

_ENTRY = 'import {path};\nexport default (globalThis as any).__isoplay_test.handlers;\n'


def _aliases(root: Path, manifest: Manifest) -> list[str]:
    return [
        f"--alias:vitest={SHIMS_DIR / 'vitest.ts'}",
        f"--alias:cloudflare:test={SHIMS_DIR / 'cloudflare-test.ts'}",
        f"--alias:isoplay-test:worker={(root / manifest.main).resolve()}",
    ]


def _fix_sources(smap_json: str, out_dir: Path, root: Path) -> str:
    """Make the map's sources project-relative (esbuild writes them relative to the out dir)."""
    data = json.loads(smap_json)
    fixed = []
    for source in data.get("sources", []):
        absolute = Path(os.path.normpath(out_dir / source))
        try:
            fixed.append(absolute.relative_to(root).as_posix())
        except ValueError:
            fixed.append(absolute.as_posix())
    data["sources"] = fixed
    return json.dumps(data)


@dataclass
class TestBuild:
    """What bundling the test files produced."""

    __test__ = False  # not a pytest test class

    bundles: dict[Path, Bundle | BundleError] = field(default_factory=dict)
    """Each file's bundle, or why it does not build."""
    inputs: dict[Path, frozenset[str]] = field(default_factory=dict)
    """Each built file's project-relative source files (from esbuild's metafile): what --watch follows."""


async def build_tests(root: Path, manifest: Manifest, files: list[Path],
                      tools: toolchain.Toolchain | None = None) -> TestBuild:
    """Bundle each test file; a file that does not build maps to its BundleError.

    One esbuild process builds all files; if it fails, each file is built alone
    so that every error lands on the file it belongs to.
    """
    if not files:
        return TestBuild()
    if tools is None:
        tools = await asyncio.to_thread(toolchain.ensure)
    root = root.resolve()
    out = TestBuild()
    with tempfile.TemporaryDirectory(prefix="isoplay-test-") as tmp:
        base = esbuild_args("", minify=False, extra=_compat_args(manifest, tools))[1:]
        plan, refused = await plan_mocks(root, files, tools.esbuild, base, Path(tmp) / "mocks")
        for file, error in refused.items():
            out.bundles[file] = error
            out.inputs[file] = _error_inputs(error, file, root)
        buildable = [f for f in files if f not in refused]
        if not buildable:
            return out
        built = await _build_many(root, manifest, buildable, tools, Path(tmp) / "all", plan=plan)
        results = [built] if built is not None else await asyncio.gather(*(
            _build_many(root, manifest, [f], tools, Path(tmp) / str(i), alone=True, plan=plan)
            for i, f in enumerate(buildable)))
    for result in results:
        assert result is not None
        out.bundles.update(result.bundles)
        out.inputs.update(result.inputs)
    return out


def _d1_migrations(root: Path, manifest: Manifest) -> dict[str, list[dict[str, Any]]]:
    """Each D1 binding's migration files as ``applyD1Migrations()`` takes them (``{name, queries}``); a file
    that cannot be read is left out here (``isoplay d1 migrations`` names it)."""
    from runtime.d1 import migrations
    from runtime.d1.store import split_statements
    from runtime.errors import UserError

    out: dict[str, list[dict[str, Any]]] = {}
    for binding in getattr(manifest, "d1_databases", ()):
        try:
            found = migrations.read(root / (binding.migrations_dir or migrations.DEFAULT_DIR))
        except UserError:
            found = []
        out[binding.binding] = [{"name": name, "queries": split_statements(sql)} for name, sql in found]
    return out


def _compat_args(manifest: Manifest, tools: toolchain.Toolchain) -> list[str]:
    from runtime.compat import wasm
    from runtime.compat.build import esbuild_compat_args, wasm_extensions

    rules = tuple(getattr(manifest, "rules", ()))
    return [*esbuild_compat_args(tuple(getattr(manifest, "compatibility_flags", ())), rules, tools.root),
            *wasm.esbuild_args(wasm_extensions(rules))]  # .wasm imports give compiled modules, as in a bundle


async def _build_many(root: Path, manifest: Manifest, files: list[Path], tools: toolchain.Toolchain, tmp: Path,
                      *, alone: bool = False, plan: MockPlan | None = None) -> TestBuild | None:
    """Build ``files`` in one esbuild run (from the mock plan's mirror when there is one)."""
    build_root = plan.mirror if plan is not None else root
    entries_dir, out_dir = tmp / "entries", tmp / "out"
    entries_dir.mkdir(parents=True)
    entries = []
    for i, file in enumerate(files):
        entry = entries_dir / f"t{i}.ts"
        target = plan.mirror_path(file) if plan is not None else file.resolve()
        prefix = plan.entries_prefix.get(file.resolve(), "") if plan is not None else ""
        entry.write_text(prefix + _ENTRY.format(path=json.dumps(str(target))), encoding="utf-8")
        entries.append(str(entry))
    args = esbuild_args(entries[0], minify=False, extra=_compat_args(manifest, tools))
    migrations = tmp / "d1-migrations.json"
    migrations.write_text(json.dumps(_d1_migrations(root, manifest)), encoding="utf-8")
    argv = [str(tools.esbuild), *args, *entries[1:], f"--outdir={out_dir}", f"--metafile={tmp / 'meta.json'}",
            *_aliases(build_root, manifest), f"--alias:isoplay-test:d1-migrations={migrations}",
            *(plan.aliases if plan is not None else [])]
    code, _stdout, stderr = await run_esbuild(argv, build_root)
    log = stderr.decode("utf-8", "replace")
    errors, _warnings = parse_esbuild_log(log)
    if plan is not None:
        errors = [_renamed(d, plan) for d in errors]
    if code != 0 or errors:
        if not alone:
            return None
        error = BundleError(f"{_rel(files[0], root)} does not build",
                            diagnostics=errors or [Diagnostic(log.strip() or f"esbuild exited with {code}")])
        return TestBuild({files[0]: error}, {files[0]: _error_inputs(error, files[0], root)})
    meta = json.loads((tmp / "meta.json").read_text(encoding="utf-8"))
    results = TestBuild()
    from runtime.compat import wasm

    for i, file in enumerate(files):
        raw = (out_dir / f"t{i}.js").read_bytes()
        try:
            bundle = _finish(0, raw, log, manifest, False, build_root)
            code, modules = wasm.link(bundle.code, out_dir)
        except BundleError as exc:
            results.bundles[file] = exc
            continue
        inputs = _inputs(meta, out_dir / f"t{i}.js", build_root)
        smap = _fix_sources(bundle.sourcemap, out_dir, build_root)
        if plan is not None:
            inputs = frozenset(n for n in map(plan.rename, inputs) if not n.startswith(STUB_SOURCE_PREFIX))
            smap = _rename_sources(smap, plan)
        results.inputs[file] = inputs
        results.bundles[file] = Bundle(manifest=manifest, code=code, sourcemap=smap, warnings=bundle.warnings,
                                       wasm_modules=modules)
    return results


def _renamed(diag: Diagnostic, plan: MockPlan) -> Diagnostic:
    loc = diag.location
    if loc is None:
        return diag
    return dataclasses.replace(diag, location=dataclasses.replace(loc, file=plan.rename(loc.file)))


def _rename_sources(smap_json: str, plan: MockPlan) -> str:
    data = json.loads(smap_json)
    data["sources"] = [plan.rename(s) for s in data.get("sources", [])]
    return json.dumps(data)


def _inputs(meta: dict[str, Any], output: Path, root: Path) -> frozenset[str]:
    """The project files esbuild read for ``output`` (metafile paths are relative to the cwd, the root)."""
    for name, info in meta.get("outputs", {}).items():
        if Path(os.path.normpath(root / name)) == output:
            rels = set()
            for src in info.get("inputs", {}):
                rel = _rel(root / src, root)
                if not rel.startswith("/"):
                    rels.add(rel)
            return frozenset(rels)
    return frozenset()


def _error_inputs(error: BundleError, file: Path, root: Path) -> frozenset[str]:
    """A file that does not build is re-run when it, or a file its errors name, changes."""
    named = {d.location.file for d in error.diagnostics or [] if d.location is not None}
    return frozenset({_rel(file, root), *named})


def _rel(path: Path, root: Path) -> str:
    try:
        return path.resolve().relative_to(root).as_posix()
    except ValueError:
        return str(path)


__all__ = ["build_tests"]
