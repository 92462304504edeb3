"""Bundle a project with esbuild into one script, its source map and manifest.

esbuild runs as a subprocess (``asyncio.create_subprocess_exec`` on the runtime
loop; ``bundle_sync`` for the CLI) and writes the bundle to stdout with an
inline source map, so nothing touches the disk until a caller asks to write.
Build errors become ``BundleError`` with ``file:line:col`` diagnostics.
A build that is cancelled (superseded by a newer one, or the app quits) kills
its esbuild process and reaps it before the cancellation propagates.
"""

from __future__ import annotations

import base64
import concurrent.futures
import hashlib
import json
import os
import re
from dataclasses import dataclass, field
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from runtime import toolchain
from runtime.errors import BundleError, Diagnostic, Location
from runtime.manifest import Manifest, load_manifest

if TYPE_CHECKING:
    import asyncio

    from runtime.sourcemap import SourceMap

# asyncio and the source map are imported where they are used: ``isoplay dev`` imports this module
# to start esbuild early (``start_early``), before anything else, and ~30 ms of imports sooner is
# ~30 ms more for esbuild to run beside the rest.

GLOBAL_NAME = "__isoplay_module"
_MAP_MARK = "//# sourceMappingURL=data:application/json;base64,"
_ERROR_RE = re.compile(r"^(?:✘|X) \[(ERROR|WARNING)\] (?P<msg>.*)$")
_WARN_RE = re.compile(r"^▲ \[WARNING\] (?P<msg>.*)$")
_LOC_RE = re.compile(r"^\s+(?P<file>\S.*?):(?P<line>\d+):(?P<col>\d+):$")


@dataclass(frozen=True)
class Bundle:
    """A built script: code, source map and the manifest it was built with."""

    manifest: Manifest
    code: str
    """The bundled JavaScript (an IIFE assigning ``__isoplay_module``)."""
    sourcemap: str
    """Source map v3 JSON; sources are project-relative paths."""
    warnings: tuple[Diagnostic, ...] = ()
    minified: bool = False
    content_hash: str = field(default="")
    wasm_modules: dict[str, bytes] = field(default_factory=dict, compare=False)
    """The WebAssembly files the script imports (name -> bytes; ``runtime.compat.wasm``)."""

    def __post_init__(self) -> None:
        if not self.content_hash:
            from runtime.compat.wasm import digest as wasm_digest

            digest = hashlib.sha256(self.code.encode())
            digest.update(json.dumps(self.manifest.to_dict(), sort_keys=True).encode())
            digest.update(wasm_digest(self.wasm_modules))  # nothing for a bundle without modules
            object.__setattr__(self, "content_hash", digest.hexdigest())

    @property
    def script_url(self) -> str:
        """The name V8 shows in stack frames of this script."""
        return f"isoplay://{self.manifest.name}/{self.content_hash[:8]}.js"

    def decoded_map(self) -> SourceMap:
        """The source map, decoded on first use and kept: decoding a large bundle's map takes a while
        (100-160 ms for zod, lodash-es and date-fns), and only an error's stack needs it."""
        cached = self.__dict__.get("_decoded_map")
        if cached is None:
            from runtime.sourcemap import SourceMap

            cached = SourceMap.from_json(self.sourcemap)
            object.__setattr__(self, "_decoded_map", cached)  # a frozen dataclass; not a field
        return cached

    def __getstate__(self) -> dict[str, Any]:
        """Pickled (a debug worker's config) without the decoded map, which ``decoded_map`` remakes."""
        state = dict(self.__dict__)
        state.pop("_decoded_map", None)
        return state

    def file_stem(self) -> str:
        """``name-version-hash8``: how written bundle files are named."""
        return f"{self.manifest.name}-{self.manifest.version}-{self.content_hash[:8]}"

    def write(self, out_dir: Path) -> dict[str, Path]:
        """Write script, map and manifest into ``out_dir``; return their paths."""
        out_dir.mkdir(parents=True, exist_ok=True)
        stem = self.file_stem()
        paths = {
            "script": out_dir / f"{stem}.js",
            "sourcemap": out_dir / f"{stem}.js.map",
            "manifest": out_dir / f"{stem}.manifest.json",
        }
        paths["script"].write_text(self.code + f"\n//# sourceMappingURL={stem}.js.map\n", encoding="utf-8")
        paths["sourcemap"].write_text(self.sourcemap, encoding="utf-8")
        meta: dict[str, Any] = {"manifest": self.manifest.to_dict(), "content_hash": self.content_hash,
                                "minified": self.minified}
        if self.wasm_modules:
            meta["wasm"] = sorted(self.wasm_modules)
            for name, data in self.wasm_modules.items():
                paths[f"wasm:{name}"] = out_dir / f"{stem}.{name}"
                paths[f"wasm:{name}"].write_bytes(data)
        paths["manifest"].write_text(json.dumps(meta, indent=2) + "\n", encoding="utf-8")
        return paths


def esbuild_args(entry: str, *, minify: bool, extra: list[str] | None = None, esm: bool = False) -> list[str]:
    """The esbuild command-line flags isoplay bundles with (entry relative to the root).

    ``extra`` holds a Workers project's aliases, loaders and injects (``runtime.compat.build``);
    ``esm`` builds an ES module instead of the IIFE (for top-level await, see ``build_plan``).
    """
    args = [
        entry,
        "--bundle",
        *(["--format=esm"] if esm else ["--format=iife", f"--global-name={GLOBAL_NAME}"]),
        "--platform=browser",
        "--conditions=workerd,worker,browser",
        "--target=es2022",
        "--sourcemap=inline",
        "--sources-content=true",
        "--log-level=warning",
        "--color=false",
        "--charset=utf8",
        "--loader:.json=json",
        "--loader:.txt=text",
        "--loader:.sql=text",  # D1 schemas and migrations, as wrangler's default Text rule imports them
        *(extra or []),
    ]
    if minify:
        args += ["--minify", "--keep-names"]
    return args


@dataclass
class BuildPlan:
    """The esbuild runs one build takes: an IIFE first; an ES module if the code has top-level
    await; await lowered if the bundle uses node:async_hooks (so its context follows every await);
    written to a temporary folder if it imports WebAssembly files (``runtime.compat.wasm``)."""

    root: Path
    manifest: Manifest
    minify: bool
    toolchain_root: Path | None
    esm: bool = False
    lower_await: bool = False
    wasm_dir: Path | None = None
    """Set when the code imports .wasm files: esbuild writes there (its ``file`` loader needs a path)."""

    @property
    def node_compat(self) -> bool:
        """Whether the manifest turns nodejs_compat on."""
        from runtime.compat.build import node_compat_enabled

        return node_compat_enabled(getattr(self.manifest, "compatibility_flags", ()))

    def _wasm_exts(self) -> list[str]:
        from runtime.compat.build import wasm_extensions

        return wasm_extensions(tuple(getattr(self.manifest, "rules", ())))

    def argv(self, esbuild: Path) -> list[str]:
        """The command line of the next run."""
        from runtime.compat import wasm
        from runtime.compat.build import esbuild_compat_args

        extra = esbuild_compat_args(tuple(getattr(self.manifest, "compatibility_flags", ())),
                                    tuple(getattr(self.manifest, "rules", ())), self.toolchain_root,
                                    lowered=self.lower_await)
        if self.lower_await:
            extra += ["--supported:async-await=false"]
        if self.wasm_dir is not None:
            for leftover in self.wasm_dir.iterdir():
                leftover.unlink()
            extra += [*wasm.esbuild_args(self._wasm_exts()), f"--outfile={self.wasm_dir / 'bundle.js'}"]
        return [str(esbuild), *esbuild_args(self.manifest.main, minify=self.minify, extra=extra, esm=self.esm)]

    def _output(self, returncode: int, stdout: bytes) -> bytes:
        """esbuild's output: stdout, or the file it wrote when building with WebAssembly."""
        if self.wasm_dir is None or returncode != 0:
            return stdout
        path = self.wasm_dir / "bundle.js"
        return path.read_bytes() if path.is_file() else stdout

    def next_step(self, returncode: int, stdout: bytes, stderr: str) -> bool:
        """After a run: True when another run is needed (and the plan is changed for it)."""
        import tempfile

        from runtime.compat.build import TLA_IIFE_ERROR, uses_async_hooks
        from runtime.compat.wasm import needs_wasm

        stdout = self._output(returncode, stdout)
        inputs: list[tuple[str, str]] = []
        if returncode == 0 and self.node_compat and not self.lower_await and _map_mentions(stdout, b"async_hooks"):
            inputs = _map_sources(stdout.decode("utf-8", "replace"))
        if returncode != 0 and self.wasm_dir is None and needs_wasm(stderr, self._wasm_exts()):
            self.wasm_dir = Path(tempfile.mkdtemp(prefix="isoplay-wasm-"))
            return True
        if returncode != 0 and not self.esm and TLA_IIFE_ERROR in stderr:
            self.esm = True
            return True
        if returncode == 0 and not self.lower_await and uses_async_hooks(inputs, self.toolchain_root):
            self.lower_await = True
            return True
        return False

    def cleanup(self) -> None:
        """Remove the temporary output folder (if the build needed one)."""
        if self.wasm_dir is not None:
            import shutil

            shutil.rmtree(self.wasm_dir, ignore_errors=True)

    def finish(self, returncode: int, stdout: bytes, stderr: str) -> Bundle:
        """The Bundle of the last run (or its BundleError, with Workers advice added)."""
        from runtime.compat import wasm
        from runtime.compat.build import explain, wrap_esm

        stdout = self._output(returncode, stdout)
        try:
            built = _finish(returncode, stdout, stderr, self.manifest, self.minify, self.root)
        except BundleError as exc:
            config = getattr(self.manifest, "source", "isoplay.toml")
            diags = explain(exc.diagnostics, tuple(getattr(self.manifest, "compatibility_flags", ())), config,
                            self._wasm_exts(), tuple(getattr(self.manifest, "rules", ())))
            raise BundleError(exc.message, diagnostics=diags) from None
        code, smap, modules = built.code, built.sourcemap, {}
        if self.wasm_dir is not None:
            code, modules = wasm.link(code, self.wasm_dir)
            smap = _relative_sources(smap, self.wasm_dir, self.root)
        if self.esm:
            code, smap = wrap_esm(code, smap)
        if code is not built.code or smap is not built.sourcemap:
            built = Bundle(manifest=built.manifest, code=code, sourcemap=smap, warnings=built.warnings,
                           minified=built.minified, wasm_modules=modules)
        return built


def _relative_sources(smap_json: str, out_dir: Path, root: Path) -> str:
    """Make the map's sources project-relative (esbuild writes them relative to the output folder)."""
    data = json.loads(smap_json)
    fixed = []
    for source in data.get("sources", []):
        absolute = Path(os.path.normpath(out_dir / source))
        try:
            fixed.append(absolute.relative_to(root.resolve()).as_posix())
        except ValueError:
            try:
                fixed.append(absolute.relative_to(root).as_posix())
            except ValueError:
                fixed.append(absolute.as_posix())
    data["sources"] = fixed
    return json.dumps(data)


def _map_mentions(stdout: bytes, word: bytes) -> bool:
    """Whether the inline source map of esbuild's output has ``word`` anywhere (JSON keeps ASCII words
    as they are): a bundle whose sources never name it needs no parse of its map (~10 ms for
    node-jsonwebtoken's)."""
    index = stdout.rfind(_MAP_MARK.encode())
    if index < 0:
        return False
    try:
        return word in base64.b64decode(stdout[index + len(_MAP_MARK):].strip())
    except ValueError:
        return True  # let _map_sources decide


def _map_sources(stdout: str) -> list[tuple[str, str]]:
    """(path, content) of the sources listed by the inline source map of esbuild's output."""
    index = stdout.rfind(_MAP_MARK)
    if index < 0:
        return []
    try:
        data = json.loads(base64.b64decode(stdout[index + len(_MAP_MARK):].strip()))
        contents = data.get("sourcesContent") or []
        return [(s, contents[i] if i < len(contents) and isinstance(contents[i], str) else "")
                for i, s in enumerate(data.get("sources", [])) if isinstance(s, str)]
    except (ValueError, TypeError):
        return []


def parse_esbuild_log(text: str) -> tuple[list[Diagnostic], list[Diagnostic]]:
    """Split esbuild's log into (errors, warnings) with locations."""
    errors: list[Diagnostic] = []
    warnings: list[Diagnostic] = []
    current: tuple[str, str] | None = None
    for line in text.splitlines():
        match = _ERROR_RE.match(line) or _WARN_RE.match(line)
        if match:
            if current:
                _append(errors, warnings, current, None)
            severity = "warning" if ("WARNING" in line[:14]) else "error"
            current = (severity, match["msg"])
            continue
        loc = _LOC_RE.match(line)
        if loc and current:
            location = Location(loc["file"].replace(os.sep, "/"), int(loc["line"]), int(loc["col"]) + 1)
            _append(errors, warnings, current, location)
            current = None
    if current:
        _append(errors, warnings, current, None)
    return errors, warnings


def _append(errors: list[Diagnostic], warnings: list[Diagnostic], cur: tuple[str, str], loc: Location | None) -> None:
    severity, message = cur
    (warnings if severity == "warning" else errors).append(Diagnostic(message, loc, severity))


def _split_output(stdout: str) -> tuple[str, str]:
    index = stdout.rfind(_MAP_MARK)
    if index < 0:
        raise BundleError("esbuild produced no source map")
    code = stdout[:index].rstrip("\n")
    smap = base64.b64decode(stdout[index + len(_MAP_MARK):].strip()).decode("utf-8")
    return code, smap


def _check_entry(root: Path, manifest: Manifest) -> None:
    entry = (root / manifest.main).resolve()
    if not entry.is_file():
        raise BundleError(
            f"main file {manifest.main} does not exist",
            diagnostics=[Diagnostic(f"main = {manifest.main!r}: file not found", Location("isoplay.toml", 1))],
        )
    if root.resolve() not in entry.parents:
        raise BundleError(f"main file {manifest.main} is outside the project")


def _not_utf8(root: Path, stdout: bytes) -> BundleError:
    """The error for output that is not UTF-8: names the first source file that is not UTF-8 text.

    esbuild copies a source's bytes into ``sourcesContent`` unchecked, so a Latin-1
    file surfaces as undecodable output; the sources the map lists are checked on disk.
    """
    text = stdout.decode("utf-8", "replace")
    index = text.rfind(_MAP_MARK)
    sources: list[str] = []
    if index >= 0:
        try:
            raw = base64.b64decode(text[index + len(_MAP_MARK):].strip())
            sources = [s for s in json.loads(raw.decode("utf-8", "replace")).get("sources", []) if isinstance(s, str)]
        except (ValueError, AttributeError):
            sources = []
    for rel in sources:
        path = (root / rel).resolve()
        try:
            data = path.read_bytes()
        except (OSError, ValueError):
            continue
        try:
            data.decode("utf-8")
        except UnicodeDecodeError as exc:
            line = data.count(b"\n", 0, exc.start) + 1
            column = exc.start - (data.rfind(b"\n", 0, exc.start) + 1) + 1
            shown = rel.replace(os.sep, "/")
            message = f"not UTF-8 text (byte 0x{data[exc.start]:02x}); save the file as UTF-8"
            return BundleError(f"{shown} is {message}", diagnostics=[Diagnostic(message, Location(shown, line, column))])
    return BundleError("esbuild's output is not UTF-8 text (a source file is not UTF-8?); save the sources as UTF-8")


def _finish(proc_rc: int, stdout_bytes: bytes, stderr: str, manifest: Manifest, minify: bool, root: Path) -> Bundle:
    errors, warnings = parse_esbuild_log(stderr)
    if proc_rc != 0 or errors:
        if not errors:
            errors = [Diagnostic(stderr.strip() or f"esbuild exited with {proc_rc}")]
        raise BundleError(f"build failed with {len(errors)} error(s)", diagnostics=errors)
    try:
        stdout = stdout_bytes.decode("utf-8")
        code, smap = _split_output(stdout)
    except UnicodeDecodeError:
        raise _not_utf8(root, stdout_bytes) from None
    return Bundle(manifest=manifest, code=code, sourcemap=smap, warnings=tuple(warnings), minified=minify)


async def bundle(root: Path, *, minify: bool = False, manifest: Manifest | None = None,
                 tools: toolchain.Toolchain | None = None, meanwhile: Callable[[], None] | None = None) -> Bundle:
    """Build the project at ``root`` (esbuild as an asyncio subprocess).

    ``meanwhile`` is called if the build takes an early run (``start_early``) that is still
    working: the caller may use the loop's thread until esbuild is done.

    Raises:
        ManifestError: isoplay.toml is invalid.
        BundleError: the sources do not build.
    """
    import asyncio

    manifest = manifest or load_manifest(root)
    _check_entry(root, manifest)
    if tools is None:
        tools = await asyncio.to_thread(toolchain.ensure)
    plan = BuildPlan(root, manifest, minify, tools.root)
    try:
        while True:
            argv = await asyncio.to_thread(plan.argv, tools.esbuild) if plan.node_compat else plan.argv(tools.esbuild)
            early = _take_early(argv, root)
            if early is not None and meanwhile is not None and not early.done.done():
                meanwhile()
            meanwhile = None
            returncode, out, err = await (early.result() if early is not None else run_esbuild(argv, root))
            stderr = err.decode("utf-8", "replace")
            if not plan.next_step(returncode, out, stderr):
                return plan.finish(returncode, out, stderr)
    finally:
        plan.cleanup()


async def run_esbuild(argv: list[str], cwd: Path) -> tuple[int, bytes, bytes]:
    """Run esbuild to completion: (exit code, stdout, stderr).

    If the awaiting task is cancelled (or anything else interrupts the wait) the
    process is killed and reaped before the exception propagates, so no esbuild
    outlives the build that started it.
    """
    import asyncio

    proc = await asyncio.create_subprocess_exec(
        *argv, cwd=cwd, stdin=asyncio.subprocess.DEVNULL, stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        out, err = await proc.communicate()
    except BaseException:
        await _kill_and_reap(proc)
        raise
    return proc.returncode or 0, out, err


async def _kill_and_reap(proc: asyncio.subprocess.Process) -> None:
    import asyncio

    if proc.returncode is None:
        try:
            proc.kill()
        except ProcessLookupError:
            pass  # it exited on its own meanwhile
    # shielded: a second cancellation must not leave the killed child unreaped
    await asyncio.shield(proc.wait())


class EarlyBuild:
    """An esbuild run started before its build asks for it (see ``start_early``)."""

    def __init__(self, argv: list[str], cwd: Path) -> None:
        import subprocess
        import threading

        self.argv = argv
        self.cwd = cwd
        self.proc = subprocess.Popen(argv, cwd=cwd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                     stderr=subprocess.PIPE)
        self.done: concurrent.futures.Future[tuple[int, bytes, bytes]] = concurrent.futures.Future()
        threading.Thread(target=self._read, args=(self.done,), name="isoplay-early-esbuild", daemon=True).start()

    def _read(self, done: concurrent.futures.Future[tuple[int, bytes, bytes]]) -> None:
        try:
            out, err = self.proc.communicate()  # reads both pipes to the end, reaps the process
        except BaseException as exc:  # the future must settle, or its build would wait forever
            done.set_exception(exc)
            return
        done.set_result((self.proc.returncode or 0, out, err))

    def kill(self) -> None:
        """Stop it (its reader thread reaps it)."""
        if self.proc.poll() is None:
            try:
                self.proc.kill()
            except ProcessLookupError:
                pass  # it exited on its own meanwhile

    async def result(self) -> tuple[int, bytes, bytes]:
        """(exit code, stdout, stderr), as ``run_esbuild`` returns them; a cancelled wait kills it."""
        import asyncio

        try:
            return await asyncio.shield(asyncio.wrap_future(self.done))
        except BaseException:
            self.kill()
            raise


_early: EarlyBuild | None = None


def start_early(root: Path) -> EarlyBuild | None:
    """Start the first esbuild run of ``root``'s build now, before the caller imports the rest of
    the runtime (``isoplay dev``: ~0.2 s of Python imports that esbuild, a separate process, no
    longer waits for). The next ``bundle()`` of ``root`` takes the run if its command line is the
    same (the manifest and the toolchain did not change meanwhile); it is then an ordinary first run
    (its errors, a second run for top-level await ...). Anything that stops it from starting
    (no config, a broken manifest, no toolchain yet) returns None: the build reports it as usual.
    """
    global _early
    try:
        from runtime.project import Project

        tools = toolchain.find()
        if tools is None:
            return None
        project = Project.open(root)  # the one ProjectRuntime opens (resolved, --env / CLOUDFLARE_ENV)
        manifest = project.manifest()
        _check_entry(project.root, manifest)
        plan = BuildPlan(project.root, manifest, False, tools.root)
        run = EarlyBuild(plan.argv(tools.esbuild), project.root)
    except Exception:  # noqa: BLE001 - reported by the real build, which runs the same steps
        return None
    if _early is not None:
        _early.kill()
    _early = run
    import atexit

    atexit.register(run.kill)  # a process that exits first (a taken port) leaves no esbuild behind
    return run


def _take_early(argv: list[str], cwd: Path) -> EarlyBuild | None:
    """The early run for this command line and folder, once; an early run that does not match is dropped."""
    global _early
    run, _early = _early, None
    if run is None:
        return None
    if run.argv == argv and run.cwd == cwd.resolve():
        return run
    run.kill()
    return None


def bundle_sync(root: Path, *, minify: bool = False, manifest: Manifest | None = None) -> Bundle:
    """``bundle`` for callers without a loop (the CLI)."""
    import subprocess

    manifest = manifest or load_manifest(root)
    _check_entry(root, manifest)
    tools = toolchain.ensure()
    plan = BuildPlan(root, manifest, minify, tools.root)
    try:
        while True:
            proc = subprocess.run(plan.argv(tools.esbuild), cwd=root, capture_output=True, timeout=300)
            stderr = proc.stderr.decode("utf-8", "replace")
            if not plan.next_step(proc.returncode, proc.stdout, stderr):
                return plan.finish(proc.returncode, proc.stdout, stderr)
    finally:
        plan.cleanup()


def load_written(script: Path) -> Bundle:
    """Read a bundle written by ``Bundle.write`` (or uploaded) back."""
    stem = script.name.removesuffix(".js")
    meta: dict[str, Any] = json.loads((script.parent / f"{stem}.manifest.json").read_text(encoding="utf-8"))
    from runtime.manifest import parse_manifest

    manifest = parse_manifest(meta["manifest"], "manifest.json")  # to_dict() keeps isoplay.toml's shape
    code = script.read_text(encoding="utf-8").split("\n//# sourceMappingURL=")[0]
    smap = (script.parent / f"{stem}.js.map").read_text(encoding="utf-8")
    wasm = {}
    for name in meta.get("wasm") or []:
        from runtime.compat.wasm import NAME_RE

        if not isinstance(name, str) or not NAME_RE.match(name):
            raise ValueError(f"bad WebAssembly module name {name!r} in {stem}.manifest.json")
        wasm[name] = (script.parent / f"{stem}.{name}").read_bytes()
    return Bundle(manifest=manifest, code=code, sourcemap=smap, minified=bool(meta.get("minified")), wasm_modules=wasm)

