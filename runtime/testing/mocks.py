"""``vi.mock`` for bundled tests: module mocks decided at build time, filled in when the isolate loads.

vitest mocks a module by rewriting imports as Vite serves them. isoplay bundles a
test file ahead of time, so the same effect is built into the bundle:

1. **Find the calls.** Each test file's top-level ``vi.mock("path", factory?)`` statements
   are found by a small scanner that knows strings, template literals, comments and
   regular expressions (:func:`find_mock_calls`).
2. **Hoist them.** In a copy of the project (the *mirror*), the calls are blanked out of
   the test file (spaces, so every other position stays where it was) and moved, with
   the path replaced by the module's resolved id, into a module the file's bundle entry
   imports first. They register their factories before any module is evaluated, as
   vitest's hoisting does.
3. **Stand in for the module.** Each mocked module gets a stub in its place in the mirror
   (the real file is kept beside it under another name). The stub imports the real
   module, declares the real module's export names (from esbuild's metafile) as ``let``
   bindings, and asks the harness to fill them: from the factory's result (sync or a
   Promise, awaited before the file's tests are listed), from a ``__mocks__/`` file next
   to the module when there is no factory, or else from an automatic mock (functions
   become ``vi.fn()``, objects are mocked deeply). A module mocked by another test file
   but not this one gets its real exports. Every importer sees the stub: the test file,
   the worker ``SELF`` calls, and other modules.
4. **Map back.** Positions, ``--watch`` inputs and errors name the user's files, never the
   mirror's.

Packages can be mocked too (``vi.mock("nanoid")``, through an esbuild alias). What vitest
has and this does not: ``vi.hoisted``, ``vi.doMock``/``vi.unmock`` (refused with a message),
factories that use the test file's imports other than ``vitest`` (they run before those
modules load), and live bindings of a mocked module's ``export let`` (values are copied once).
"""

from __future__ import annotations

import json
import os
import re
import shutil
from dataclasses import dataclass, field
from pathlib import Path

from runtime.errors import BundleError, Diagnostic, Location

ACTUAL_SUFFIX = ".__isoplay_actual__"
"""Inserted before a mocked module's extension for the real file in the mirror."""
MOCKS_DIR = "__isoplay_mocks__"
"""The mirror's folder for hoisted-call modules and package stubs."""
STUB_SOURCE_PREFIX = "isoplay://mock/"
"""How a stub's own lines are named in source maps (they are not the user's)."""
_EXTENSIONS = (".ts", ".tsx", ".mts", ".js", ".mjs", ".jsx", ".cts", ".cjs")
_SKIP_DIRS = {"node_modules", ".git", ".isoplay", "dist", "__pycache__"}
_REGEX_AFTER = set("(,=:[!&|?{};+-*%<>~^") | {""}
_REGEX_KEYWORDS = {"return", "typeof", "instanceof", "in", "of", "new", "delete", "void", "throw", "case", "do",
                   "else", "yield", "await"}
_CALL = re.compile(r"(?<![\w$.])(vi|vitest)\s*\.\s*(mock|hoisted|doMock|unmock|doUnmock)\s*\(")


@dataclass(frozen=True)
class MockCall:
    """One top-level ``vi.mock(...)`` statement of a test file."""

    start: int
    """Offset of ``vi`` in the source."""
    end: int
    """Offset just past the call's ``)`` (and a ``;`` right after it)."""
    specifier: str
    """The module path as written."""
    args: str
    """The text after the path argument up to the closing parenthesis (``, factory`` or empty)."""
    line: int
    column: int


class _Scanner:
    """Walks JavaScript/TypeScript source, skipping strings, templates, comments and regex literals."""

    def __init__(self, text: str) -> None:
        self.text = text

    def skip_string(self, i: int) -> int:
        quote, n = self.text[i], len(self.text)
        i += 1
        while i < n:
            c = self.text[i]
            if c == "\\":
                i += 2
                continue
            if c == quote or c == "\n":
                return i + 1
            i += 1
        return n

    def skip_template(self, i: int) -> int:
        n = len(self.text)
        i += 1
        while i < n:
            c = self.text[i]
            if c == "\\":
                i += 2
            elif c == "`":
                return i + 1
            elif c == "$" and self.text.startswith("${", i):
                i = self.skip_balanced(i + 1, "{", "}")
            else:
                i += 1
        return n

    def skip_regex(self, i: int) -> int:
        n, in_class = len(self.text), False
        i += 1
        while i < n:
            c = self.text[i]
            if c == "\\":
                i += 2
                continue
            if c == "\n":
                return i
            if in_class:
                in_class = c != "]"
            elif c == "[":
                in_class = True
            elif c == "/":
                i += 1
                while i < n and (self.text[i].isalnum() or self.text[i] in "_$"):
                    i += 1
                return i
            i += 1
        return n

    def skip_comment(self, i: int) -> int | None:
        """Past the comment starting at ``i``, or None if there is none."""
        if self.text.startswith("//", i):
            end = self.text.find("\n", i)
            return len(self.text) if end < 0 else end
        if self.text.startswith("/*", i):
            end = self.text.find("*/", i + 2)
            return len(self.text) if end < 0 else end + 2
        return None

    def regex_allowed(self, i: int) -> bool:
        """Whether a ``/`` at ``i`` starts a regular expression (from the token before it)."""
        j = i - 1
        while j >= 0 and self.text[j] in " \t\r\n":
            j -= 1
        if j < 0:
            return True
        c = self.text[j]
        if c.isalnum() or c in "_$":
            k = j
            while k >= 0 and (self.text[k].isalnum() or self.text[k] in "_$"):
                k -= 1
            return self.text[k + 1:j + 1] in _REGEX_KEYWORDS
        return c in _REGEX_AFTER

    def skip_balanced(self, i: int, open_: str, close: str) -> int:
        """From the ``open_`` at ``i`` to just past its matching ``close``."""
        depth, n = 0, len(self.text)
        while i < n:
            skipped = self.skip_atom(i)
            if skipped is not None:
                i = skipped
                continue
            c = self.text[i]
            if c == open_:
                depth += 1
            elif c == close:
                depth -= 1
                if depth == 0:
                    return i + 1
            i += 1
        return n

    def skip_atom(self, i: int) -> int | None:
        """Past a string, template, comment or regex starting at ``i``; None if none starts there."""
        c = self.text[i]
        if c in "'\"":
            return self.skip_string(i)
        if c == "`":
            return self.skip_template(i)
        if c == "/":
            comment = self.skip_comment(i)
            if comment is not None:
                return comment
            if self.regex_allowed(i):
                return self.skip_regex(i)
        return None


def _line_col(text: str, offset: int) -> tuple[int, int]:
    line = text.count("\n", 0, offset) + 1
    return line, offset - (text.rfind("\n", 0, offset) + 1) + 1


def find_mock_calls(source: str, file: str = "<test>") -> list[MockCall]:
    """The top-level ``vi.mock(...)`` calls of a test file, in order.

    Raises:
        BundleError: a call isoplay cannot hoist (a path that is not a string literal,
            ``vi.hoisted``, ``vi.doMock``/``vi.unmock``), at its position.
    """
    scan = _Scanner(source)
    calls: list[MockCall] = []
    depth, i, n = 0, 0, len(source)
    while i < n:
        skipped = scan.skip_atom(i)
        if skipped is not None:
            i = skipped
            continue
        c = source[i]
        if c in "({[":
            depth += 1
        elif c in ")}]":
            depth = max(0, depth - 1)
        elif c in "vV" and (match := _CALL.match(source, i)) is not None:
            line, column = _line_col(source, i)
            kind = match.group(2)
            if kind != "mock":
                raise _error(file, line, column, f"vi.{kind}() is not supported by isoplay test (modules are bundled "
                             "ahead of time; see the README's Tests section)")
            if depth == 0:
                calls.append(_parse_call(scan, match, file, line, column))
                i = calls[-1].end
                continue
            i = match.end()
            continue
        i += 1
    return calls


def _parse_call(scan: _Scanner, match: re.Match[str], file: str, line: int, column: int) -> MockCall:
    source = scan.text
    open_paren = match.end() - 1
    end = scan.skip_balanced(open_paren, "(", ")")
    j = open_paren + 1
    while j < end and source[j] in " \t\r\n":
        j += 1
    if j >= end or source[j] not in "'\"`":
        raise _error(file, line, column, "vi.mock(path, ...): the path must be a string literal (isoplay resolves "
                     "it when the test file is built)")
    close = scan.skip_string(j) if source[j] != "`" else scan.skip_template(j)
    literal = source[j:close]
    if source[j] == "`" and "${" in literal:
        raise _error(file, line, column, "vi.mock(path, ...): the path must not be a template with ${...}")
    specifier = literal[1:-1] if source[j] == "`" else json.loads('"' + literal[1:-1].replace('"', '\\"') + '"') \
        if source[j] == "'" else json.loads(literal)
    args = source[close:end - 1]
    after = end
    while after < len(source) and source[after] in " \t":
        after += 1
    if after < len(source) and source[after] == ";":
        end = after + 1
    return MockCall(match.start(), end, specifier, args, line, column)


def _error(file: str, line: int, column: int, message: str) -> BundleError:
    return BundleError(f"{file}:{line}:{column}: {message}",
                       diagnostics=[Diagnostic(message, Location(file, line, column))])


def blank(source: str, calls: list[MockCall]) -> str:
    """``source`` with each call replaced by spaces (newlines kept), so other positions do not move."""
    out, last = [], 0
    for call in calls:
        out.append(source[last:call.start])
        out.append(re.sub(r"[^\n]", " ", source[call.start:call.end]))
        last = call.end
    out.append(source[last:])
    return "".join(out)


# ---- the mirror -------------------------------------------------------------------------------

@dataclass
class MockPlan:
    """The mirror a run's test files build from when any of them calls ``vi.mock``."""

    root: Path
    """The project."""
    mirror: Path
    entries_prefix: dict[Path, str] = field(default_factory=dict)
    """Original test file -> the import line its bundle entry starts with (its hoisted calls)."""
    aliases: list[str] = field(default_factory=list)
    """esbuild ``--alias`` flags for mocked packages."""
    renames: dict[str, str] = field(default_factory=dict)
    """Mirror-relative source path -> what source maps and inputs call it."""

    def mirror_path(self, file: Path) -> Path:
        """Where the project file ``file`` is in the mirror."""
        return self.mirror / file.resolve().relative_to(self.root)

    def rename(self, source: str) -> str:
        """A source path of the mirror's build, as the user knows it."""
        return self.renames.get(source, source)


def copy_project(root: Path, dest: Path) -> None:
    """Copy the project's files into ``dest`` (node_modules linked, not copied)."""
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = sorted(d for d in dirnames if d not in _SKIP_DIRS and not d.startswith("."))
        rel_dir = Path(dirpath).relative_to(root)
        (dest / rel_dir).mkdir(parents=True, exist_ok=True)
        for name in filenames:
            shutil.copyfile(Path(dirpath) / name, dest / rel_dir / name)
    if (root / "node_modules").is_dir():
        os.symlink(root / "node_modules", dest / "node_modules", target_is_directory=True)


def resolve_relative(base_dir: Path, specifier: str) -> Path | None:
    """A relative module path as esbuild resolves it for TypeScript sources (extensions, index files)."""
    target = (base_dir / specifier).resolve()
    candidates = [target]
    if target.suffix in (".js", ".mjs", ".cjs", ".jsx"):  # TypeScript's "./x.js" meaning ./x.ts
        stem = target.with_suffix("")
        candidates += [stem.with_suffix(ext) for ext in (".ts", ".tsx", ".mts", ".cts")]
    candidates += [target.with_name(target.name + ext) for ext in _EXTENSIONS]
    candidates += [target / f"index{ext}" for ext in _EXTENSIONS]
    return next((c for c in candidates if c.is_file()), None)


def stub_source(actual_import: str, names: list[str] | None, module_id: str) -> str:
    """The stand-in for a mocked module: its export names, filled by the harness (``names`` None: a
    CommonJS module, whose stand-in is CommonJS too, so esbuild's interop finds names when it runs)."""
    if names is None:
        return (f"const __actual = require({json.dumps(actual_import)});\n"
                f"module.exports = globalThis.__isoplay_test.mocks.commonJs({json.dumps(module_id)}, __actual);\n")
    local = {name: f"__e{i}" for i, name in enumerate(names)}
    lines = [f"import * as __actual from {json.dumps(actual_import)};"]
    if local:
        lines.append("let " + ", ".join(f"{v}: any" for v in local.values()) + ";")
        exports = ", ".join(f"{v} as {name if name.isidentifier() else json.dumps(name)}" for name, v in local.items())
        lines.append(f"export {{ {exports} }};")
    assign = "; ".join(f"{v} = m[{json.dumps(name)}]" for name, v in local.items())
    lines.append(f"(globalThis as any).__isoplay_test.mocks.bind({json.dumps(module_id)}, __actual, "
                 f"(m: any) => {{ {assign} }});")
    return "\n".join(lines) + "\n"


async def plan_mocks(root: Path, files: list[Path], esbuild: Path, base_args: list[str],
                     work: Path) -> tuple[MockPlan | None, dict[Path, BundleError]]:
    """Find every test file's ``vi.mock`` calls and, if there are any, build the mirror in ``work``.

    ``base_args`` are the esbuild flags of the test build (without entry points); export names
    and package entry files come from esbuild's metafile. Returns the plan (None when no file
    mocks anything) and the files whose calls cannot be hoisted, with why.
    """
    errors: dict[Path, BundleError] = {}
    calls: dict[Path, list[MockCall]] = {}
    for file in files:
        rel = file.resolve().relative_to(root).as_posix()
        try:
            found = find_mock_calls(file.read_text(encoding="utf-8"), rel)
        except BundleError as exc:
            errors[file] = exc
            continue
        except (OSError, UnicodeDecodeError):
            continue  # the build reports it
        if found:
            calls[file] = found
    if not calls:
        return None, errors
    mirror = work / "mirror"
    copy_project(root, mirror)
    plan = MockPlan(root, mirror)
    local: dict[str, Path] = {}
    """module id -> project file, for relative specifiers."""
    packages: set[str] = set()
    paths: dict[Path, dict[str, str]] = {}
    folder_mocks: dict[Path, dict[str, Path]] = {}
    """test file -> module id -> its __mocks__ file (for calls without a factory)."""
    for file, found in list(calls.items()):
        rel = file.resolve().relative_to(root).as_posix()
        mapping: dict[str, str] = {}
        folder_mocks[file] = {}
        for call in found:
            if call.specifier.startswith((".", "/")):
                target = resolve_relative(file.resolve().parent, call.specifier)
                if target is None or not target.is_relative_to(root):
                    errors[file] = _error(rel, call.line, call.column,
                                          f"vi.mock({call.specifier!r}): no such module next to {rel}")
                    break
                module_id = target.relative_to(root).as_posix()
                local[module_id] = target
            elif call.specifier.startswith("node:") or ":" in call.specifier:
                errors[file] = _error(rel, call.line, call.column, f"vi.mock({call.specifier!r}): built-in and "
                                      "cloudflare: modules cannot be mocked; mock the module that uses them")
                break
            else:
                module_id = "npm:" + call.specifier
                packages.add(call.specifier)
            mapping[call.specifier] = module_id
            if not call.args.strip(" \t\r\n,"):
                stand_in = mocks_folder_file(root, module_id)
                if stand_in is not None:
                    folder_mocks[file][module_id] = stand_in
        else:
            paths[file] = mapping
            continue
        calls.pop(file)
    entries: dict[str, Path] = dict(local)
    if packages:
        resolved = await _package_files(sorted(packages), mirror, esbuild, base_args, work / "resolve")
        for name in sorted(packages):
            if name in resolved:
                entries["npm:" + name] = resolved[name]
            else:
                for file in list(calls):
                    if "npm:" + name in paths.get(file, {}).values():
                        call = next(c for c in calls[file] if c.specifier == name)
                        rel = file.resolve().relative_to(root).as_posix()
                        errors[file] = _error(rel, call.line, call.column, f"vi.mock({name!r}): package not "
                                              "found (run isoplay npm install)")
                        calls.pop(file)
    names = await _export_names(entries, root, mirror, esbuild, base_args, work / "names")
    for module_id, source in entries.items():
        exported = names.get(module_id, [])
        suffix = ".ts" if exported is not None else ".cjs"
        if module_id.startswith("npm:"):
            package = module_id[4:]
            stub = mirror / MOCKS_DIR / "npm" / (re.sub(r"[^\w.-]", "_", package) + suffix)
            stub.parent.mkdir(parents=True, exist_ok=True)
            stub.write_text(stub_source(str(source), exported, module_id), encoding="utf-8")
            plan.aliases.append(f"--alias:{package}={stub}")
            plan.renames[stub.relative_to(mirror).as_posix()] = STUB_SOURCE_PREFIX + module_id
            continue
        rel = source.relative_to(root)
        in_mirror = mirror / rel
        actual = in_mirror.with_name(in_mirror.stem + ACTUAL_SUFFIX + in_mirror.suffix)
        in_mirror.replace(actual)
        in_mirror.write_text(stub_source("./" + actual.name, exported, module_id), encoding="utf-8")
        plan.renames[actual.relative_to(mirror).as_posix()] = rel.as_posix()
        plan.renames[rel.as_posix()] = STUB_SOURCE_PREFIX + rel.as_posix()
    for i, (file, found) in enumerate(calls.items()):
        rel = file.resolve().relative_to(root)
        source = file.read_text(encoding="utf-8")
        (mirror / rel).write_text(blank(source, found), encoding="utf-8")
        hoist = mirror / MOCKS_DIR / f"hoist{i}.ts"
        hoist.parent.mkdir(parents=True, exist_ok=True)
        stand_ins = {module_id: mirror / f.relative_to(root) for module_id, f in folder_mocks[file].items()}
        hoist.write_text(_hoist_source(source, found, paths[file], hoist, stand_ins), encoding="utf-8")
        plan.entries_prefix[file.resolve()] = f"import {json.dumps(str(hoist))};\n"
        plan.renames[hoist.relative_to(mirror).as_posix()] = rel.as_posix()
        paths_module = hoist.with_name(hoist.stem + ".paths.ts").relative_to(mirror).as_posix()
        plan.renames[paths_module] = STUB_SOURCE_PREFIX + paths_module
    return plan, errors


def _hoist_source(source: str, calls: list[MockCall], paths: dict[str, str], hoist: Path,
                  stand_ins: dict[str, Path]) -> str:
    """The module that registers a file's mocks: each call at its own line and column (so a factory's
    stack frames map to the test file), the ``vitest`` import and the path table at the end (imports
    are evaluated first wherever they are written)."""
    lines: list[str] = [""]
    for call in calls:
        while len(lines) < call.line:
            lines.append("")
        text = source[call.start:call.end]
        if not text.rstrip().endswith(";"):
            text += ";"
        parts = text.split("\n")
        pad = max(0, call.column - 1 - len(lines[-1]))
        lines[-1] = lines[-1] + " " * pad + parts[0]
        lines.extend(parts[1:])
    lines.append('import { vi, vitest } from "vitest";')
    lines.append(f"import {json.dumps(str(_paths_module(hoist, json.dumps(paths), stand_ins)))};")
    return "\n".join(lines) + "\n"


def _paths_module(hoist: Path, table: str, stand_ins: dict[str, Path]) -> Path:
    """A module setting the path -> module id table the hoisted calls look up, and the ``__mocks__``
    modules that stand in for factory-less mocks (evaluated before the calls)."""
    module = hoist.with_name(hoist.stem + ".paths.ts")
    lines = [f"import * as __m{i} from {json.dumps(str(path))};" for i, path in enumerate(stand_ins.values())]
    files = ", ".join(f"{json.dumps(module_id)}: __m{i}" for i, module_id in enumerate(stand_ins))
    lines.append(f"(globalThis as any).__isoplay_test.mocks.paths({table}, {{ {files} }});")
    module.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return module


def mocks_folder_file(root: Path, module_id: str) -> Path | None:
    """vitest's ``__mocks__`` convention: ``dir/__mocks__/name.ext`` beside a module, or
    ``<root>/__mocks__/<package>.ext`` for a package."""
    if module_id.startswith("npm:"):
        base = root / "__mocks__" / module_id[4:]
    else:
        target = root / module_id
        base = target.parent / "__mocks__" / target.stem
    return next((base.with_name(base.name + ext) for ext in _EXTENSIONS if base.with_name(base.name + ext).is_file()),
                None)


async def _package_files(packages: list[str], mirror: Path, esbuild: Path, base_args: list[str],
                         work: Path) -> dict[str, Path]:
    """Each package's entry file as the test build resolves it (esbuild's metafile)."""
    from runtime.bundler import run_esbuild

    work.mkdir(parents=True, exist_ok=True)
    entries = []
    for i, name in enumerate(packages):
        entry = mirror / MOCKS_DIR / f"resolve{i}.ts"
        entry.parent.mkdir(parents=True, exist_ok=True)
        entry.write_text(f"import {json.dumps(name)};\n", encoding="utf-8")
        entries.append(entry)
    meta_path = work / "meta.json"
    argv = [str(esbuild), *[str(e) for e in entries], *base_args, f"--outdir={work / 'out'}",
            f"--metafile={meta_path}"]
    code, _out, _err = await run_esbuild(argv, mirror)
    if code != 0 or not meta_path.is_file():
        return {}
    meta = json.loads(meta_path.read_text(encoding="utf-8"))
    found: dict[str, Path] = {}
    for i, name in enumerate(packages):
        key = (mirror / MOCKS_DIR / f"resolve{i}.ts").relative_to(mirror).as_posix()
        for imported in meta.get("inputs", {}).get(key, {}).get("imports", []):
            if imported.get("original") == name and not imported.get("external"):
                found[name] = Path(os.path.normpath(mirror / imported["path"]))
    for entry in entries:
        entry.unlink()
    return found


async def _export_names(entries: dict[str, Path], root: Path, mirror: Path, esbuild: Path, base_args: list[str],
                        work: Path) -> dict[str, list[str] | None]:
    """Each module's export names (esbuild's metafile of an ES-module build of it); None for a
    CommonJS module, whose names only exist when it runs."""
    from runtime.bundler import run_esbuild

    if not entries:
        return {}
    work.mkdir(parents=True, exist_ok=True)
    ids = list(entries)
    paths = [mirror / entries[i].relative_to(root) if entries[i].is_relative_to(root) else entries[i] for i in ids]
    meta_path = work / "meta.json"
    args = [a for a in base_args if not a.startswith(("--format=", "--global-name=", "--sourcemap"))]
    argv = [str(esbuild), *[str(p) for p in paths], *args, "--format=esm", f"--outdir={work / 'out'}",
            f"--metafile={meta_path}", "--outbase=/"]
    code, _out, _err = await run_esbuild(argv, mirror)
    if code != 0 or not meta_path.is_file():
        return {}
    meta = json.loads(meta_path.read_text(encoding="utf-8"))
    formats = {os.path.realpath(mirror / name): info.get("format") for name, info in meta.get("inputs", {}).items()}
    by_entry: dict[str, list[str] | None] = {}
    for info in meta.get("outputs", {}).values():
        entry = info.get("entryPoint")
        if entry:
            real = os.path.realpath(mirror / entry)
            by_entry[real] = None if formats.get(real) == "cjs" else list(info.get("exports", []))
    return {module_id: by_entry.get(os.path.realpath(path), []) for module_id, path in zip(ids, paths)}
