"""WebAssembly modules that ship with a bundle (wrangler's CompiledWasm rule).

Guarantees:

- ``import mod from "./add.wasm"`` (and ``"./add.wasm?module"``, and any extension a
  project's ``CompiledWasm`` rule names) gives a compiled ``WebAssembly.Module``, as in
  workerd. The bytes never become script-visible data: esbuild copies each file as an
  asset (``file`` loader, public path ``MARKER``), and ``link`` replaces each asset
  URL in the output with ``__isoplay.wasm("name")``, padded to the same length so
  every source-map column stays exact. The host compiles the modules while it sets
  the isolate up, before any script code runs (``runtime.isolate.env_config``,
  ``V8Isolate.compiling_bundled_wasm``); compiling bytes at run time stays refused.
- ``validate`` checks a module's structure (magic, version 1, well-formed sections)
  before it is stored or uploaded, and the names are safe file names; the server
  refuses an upload whose modules fail it (``runtime.server.upload``) with the reason.
"""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

from runtime.errors import BundleError

MARKER = "__isoplay_wasm_asset__"
"""The public path esbuild gives wasm assets (long enough that ``link``'s call always fits in its place)."""

NAME_RE = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.-]{0,119}\.wasm$")
"""A bundled module's name: a plain file name (it is stored as a file beside the bundle)."""

MAX_MODULES = 64
MAX_TOTAL_BYTES = 32 * 1024 * 1024
"""What one bundle may carry (Workers' own script limit is 10 MB compressed)."""

_ASSET_RE = re.compile(r'"' + MARKER + r'/([^"\\?]*)((?:\?[^"\\]*)?)"')
_WASM_MAGIC = b"\0asm"
_KNOWN_SECTIONS = 13  # 0 custom ... 12 data count (13 is the exception-handling tag section)


def esbuild_args(extensions: list[str]) -> list[str]:
    """Loader flags that turn ``.wasm`` imports into assets ``link`` can find (needs an output path)."""
    return [*(f"--loader:{ext}=file" for ext in extensions), f"--public-path={MARKER}",
            "--asset-names=[name]-[hash]"]


def needs_wasm(stderr: str, extensions: list[str]) -> bool:
    """Whether esbuild failed because the code imports a CompiledWasm file (then build with ``esbuild_args``)."""
    return any(f'No loader is configured for "{ext}" files' in stderr for ext in extensions)


def link(code: str, out_dir: Path) -> tuple[str, dict[str, bytes]]:
    """Replace the wasm asset URLs in ``code`` by ``__isoplay.wasm(name)`` and read the modules.

    Each replacement has exactly the length of the string literal it replaces (the call,
    then spaces), so a source map of ``code`` still holds.

    Raises:
        BundleError: a module's name is not a plain file name, or it is not valid WebAssembly.
    """
    modules: dict[str, bytes] = {}

    def replace(match: re.Match[str]) -> str:
        asset = match.group(1)
        # another extension a CompiledWasm rule claims becomes .wasm (the name is a stored file's)
        name = asset if asset.endswith(".wasm") else asset.rpartition(".")[0] + ".wasm"
        if not NAME_RE.match(name):
            raise BundleError(f"the WebAssembly file {name!r} needs a plain file name (letters, digits, '.', '_', "
                              "'-', ending in .wasm) to ship with the bundle; rename it")
        if name not in modules:
            path = out_dir / asset
            try:
                data = path.read_bytes()
            except OSError as exc:
                raise BundleError(f"cannot read the WebAssembly file {name}: {exc}") from None
            problem = validate(data)
            if problem:
                raise BundleError(f"{name} is not a valid WebAssembly module: {problem}")
            modules[name] = data
        call = f"__isoplay.wasm({_js_string(name)})"
        width = len(match.group(0))
        if len(call) > width:  # cannot happen: the marker is longer than the call's own text
            raise BundleError(f"internal error linking {name}")
        return call + " " * (width - len(call))

    linked = _ASSET_RE.sub(replace, code)
    total = sum(len(d) for d in modules.values())
    if len(modules) > MAX_MODULES:
        raise BundleError(f"the bundle imports {len(modules)} WebAssembly modules; at most {MAX_MODULES} may ship "
                          "with one bundle")
    if total > MAX_TOTAL_BYTES:
        raise BundleError(f"the bundle's WebAssembly modules are {total} bytes together; at most "
                          f"{MAX_TOTAL_BYTES} bytes may ship with one bundle")
    return linked, modules


def _js_string(name: str) -> str:
    return '"' + name + '"'  # NAME_RE allows no quote, backslash or line break


def digest(modules: dict[str, bytes]) -> bytes:
    """What the modules add to a bundle's content hash (nothing when there are none)."""
    if not modules:
        return b""
    h = hashlib.sha256()
    for name in sorted(modules):
        h.update(name.encode() + b"\0" + hashlib.sha256(modules[name]).digest())
    return b"wasm:" + h.digest()


def _leb128(data: bytes, pos: int) -> tuple[int, int]:
    """An unsigned LEB128 u32 at ``pos``: (value, next position)."""
    result = shift = 0
    for i in range(5):
        if pos + i >= len(data):
            raise ValueError("truncated")
        byte = data[pos + i]
        result |= (byte & 0x7F) << shift
        if not byte & 0x80:
            return result, pos + i + 1
        shift += 7
    raise ValueError("a length is longer than 5 bytes")


def validate(data: bytes) -> str | None:
    """Why ``data`` is not a well-formed WebAssembly binary module (None when its structure is sound).

    Checks the header and that the sections tile the file exactly with known ids; the
    code itself is checked by V8 when the isolate compiles it.
    """
    if len(data) < 8 or data[:4] != _WASM_MAGIC:
        return "it does not start with the WebAssembly magic bytes (\\0asm)"
    if data[4:8] != b"\x01\0\0\0":
        return f"unsupported binary version {int.from_bytes(data[4:8], 'little')} (expected 1)"
    pos = 8
    while pos < len(data):
        section = data[pos]
        if section >= _KNOWN_SECTIONS + 1:
            return f"unknown section id {section} at byte {pos}"
        try:
            size, start = _leb128(data, pos + 1)
        except ValueError as exc:
            return f"section {section} at byte {pos} has a bad length ({exc})"
        if start + size > len(data):
            return f"section {section} at byte {pos} runs past the end of the file ({size} bytes declared)"
        pos = start + size
    return None
