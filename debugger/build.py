"""The debug build: an instrumented copy of a project, bundled by esbuild.

Normal builds never pass through here. The project is first bundled as is, so
a syntax error is reported at its real ``file:line:col`` exactly like ``isoplay
bundle`` reports it; then every source file is instrumented into a temporary
mirror of the project and bundled again. Probes keep their lines, so the
bundle's source map still points at the original lines; columns shifted by
probes on the same line are mapped back with each file's insertion table.
"""

from __future__ import annotations

import dataclasses
import functools
import json
import os
import re
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from debugger.instrument import INSTRUMENTABLE_SUFFIXES, InstrumentedFile, Probe, instrument
from debugger.mailbox import Layout
from runtime.bundler import Bundle, bundle_sync
from runtime.manifest import Manifest, load_manifest
from runtime.sourcemap import SourceMap

DEBUG_TIMEOUT_MS = 10 * 24 * 3600 * 1000
RECORD_LIMIT = 1_000
"""Calls of one function (or instances of one block) that keep a shadow record; later ones are hot and
keep none, so recursion and tight loops stay within issue 5's 3x cost (their outer frames then show
their variables as not available, and say why)."""
"""A debug invocation may sit paused for as long as the user likes."""
_SKIP_DIRS = {"node_modules", ".git", ".isoplay", "dist", "__pycache__"}
CONSOLE_PREFIX = "$__dConsole();\n"
"""First line of a debug bundle: route console output through the debugger's event ring."""


@dataclass(frozen=True)
class RawFrame:
    """A stack frame as V8 reports it: bundle line/column."""

    function: str
    line: int
    column: int
    is_async: bool = False


@dataclass(frozen=True)
class MappedFrame:
    """A stack frame at its TypeScript position."""

    function: str
    file: str
    line: int
    column: int


@dataclass(frozen=True)
class DebugBuild:
    """An instrumented bundle and the tables that map its probes back to sources."""

    root: Path
    bundle: Bundle
    files: tuple[InstrumentedFile, ...]
    probes: tuple[Probe | None, ...]
    """Indexed by probe id; index 0 is unused."""
    timeout_ms: int = 30_000
    """The project's own ``timeout_ms``: the debug bundle's is lifted (a session may pause or step for as long
    as the user likes, and stop an endless loop with Pause), so the worker only warns when running time,
    pauses excluded, went past it."""

    @property
    def layout(self) -> Layout:
        """The shared-memory layout for this build's probe count."""
        return Layout(len(self.probes) - 1)

    def file(self, path: str) -> InstrumentedFile | None:
        """The instrumented file for a project-relative path (forward slashes)."""
        clean = path.replace("\\", "/").removeprefix("./")
        for f in self.files:
            if f.path == clean:
                return f
        return None

    def file_index(self, path: str) -> int:
        """Index of ``path`` in ``files`` (-1 when it is not part of the build)."""
        found = self.file(path)
        return self.files.index(found) if found is not None else -1

    def smap(self) -> SourceMap:
        """The decoded source map of the debug bundle."""
        return self._smap

    @functools.cached_property
    def _smap(self) -> SourceMap:
        # Cached on the instance: a module-level cache keyed by id() handed a
        # new build the map of a freed one whose id had been reused.
        return self.bundle.decoded_map()

    def map_frame(self, raw: RawFrame) -> MappedFrame:
        """Map a bundle position to its original TypeScript file, line, column and function."""
        pos = self.smap().lookup(raw.line, raw.column)
        if pos is None:
            return MappedFrame(raw.function or "<anonymous>", self.bundle.script_url, raw.line, raw.column)
        src = self.file(pos.source)
        if src is None:
            return MappedFrame(raw.function or "<anonymous>", pos.source, pos.line, pos.column)
        column = src.original_column(pos.line, pos.column)
        return MappedFrame(src.function_at(pos.line, column), src.path, pos.line, column)

    @functools.cached_property
    def _position_re(self) -> re.Pattern[str] | None:
        if not self.files:
            return None
        names = "|".join(re.escape(f.path) for f in sorted(self.files, key=lambda f: -len(f.path)))
        return re.compile(rf"(?<![\w/.-])(?:\./)?({names}):(\d+):(\d+)")

    def original_positions(self, text: str) -> str:
        """``text`` (an error summary or stack mapped through the debug bundle's source map) with every
        ``file:line:column`` of an instrumented file moved back to the column of the user's own source.

        The source map points into the instrumented mirror, whose lines are longer by the probes in front
        of each statement: without this a throw at ``src/index.ts:17:31`` reads ``17:358`` in a session.
        """
        pattern = self._position_re
        if pattern is None or not text:
            return text

        def fix(m: re.Match[str]) -> str:
            src = self.file(m.group(1))
            line, column = int(m.group(2)), int(m.group(3))
            if src is None:
                return m.group(0)
            return f"{m.group(1)}:{line}:{src.original_column(line, column)}"

        return pattern.sub(fix, text)

    @functools.cached_property
    def region_count(self) -> int:
        """The highest region id in the build (region ids start at 1)."""
        return max((r.id for f in self.files for r in f.regions), default=0)

    def agent_config(self, *, eval_timeout_ms: int = 1000, record_limit: int = RECORD_LIMIT) -> dict[str, Any]:
        """The ``$__dInit`` argument for the JS agent."""
        return {
            "layout": self.layout.to_json(),
            "probes": [p.to_json() if p is not None else None for p in self.probes],
            "scriptUrl": self.bundle.script_url,
            "evalTimeoutMs": eval_timeout_ms,
            "regions": self.region_count,
            "recordLimit": record_limit,
        }


def _mirror(root: Path, dest: Path) -> list[InstrumentedFile]:
    files: list[InstrumentedFile] = []
    next_id = 1
    next_region = 1
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = sorted(d for d in dirnames if d not in _SKIP_DIRS and not d.startswith("."))
        rel_dir = Path(dirpath).relative_to(root)
        (dest / rel_dir).mkdir(parents=True, exist_ok=True)
        for name in sorted(filenames):
            src = Path(dirpath) / name
            rel = (rel_dir / name).as_posix()
            if name.endswith(INSTRUMENTABLE_SUFFIXES) and not name.endswith(".d.ts"):
                result = instrument(src.read_text(encoding="utf-8"), rel, first_id=next_id, file_index=len(files),
                                    first_region=next_region)
                next_id += len(result.probes)
                next_region += len(result.regions)
                files.append(result)
                (dest / rel).write_text(result.source, encoding="utf-8")
            else:
                shutil.copyfile(src, dest / rel)
    if (root / "node_modules").is_dir():
        os.symlink(root / "node_modules", dest / "node_modules", target_is_directory=True)
    return files


def _with_prefix(plain: Bundle, manifest: Manifest) -> Bundle:
    data = json.loads(plain.sourcemap)
    data["mappings"] = ";" + data.get("mappings", "")
    limits = dataclasses.replace(manifest.limits, timeout_ms=DEBUG_TIMEOUT_MS)
    return Bundle(manifest=dataclasses.replace(manifest, limits=limits), code=CONSOLE_PREFIX + plain.code,
                  sourcemap=json.dumps(data), warnings=plain.warnings, wasm_modules=plain.wasm_modules)


def build_debug(root: Path | str) -> DebugBuild:
    """Instrument and bundle the project at ``root``.

    Raises:
        ManifestError: isoplay.toml is invalid.
        BundleError: the sources do not build (positions are the original ones).
    """
    root = Path(root).resolve()
    manifest = load_manifest(root)
    bundle_sync(root, manifest=manifest)  # report syntax errors at their real positions
    with tempfile.TemporaryDirectory(prefix="isoplay-debug-") as tmp:
        files = _mirror(root, Path(tmp))
        plain = bundle_sync(Path(tmp), manifest=manifest)
    probes: list[Probe | None] = [None]
    for f in files:
        probes.extend(f.probes)
    return DebugBuild(root, _with_prefix(plain, manifest), tuple(files), tuple(probes), manifest.limits.timeout_ms)
