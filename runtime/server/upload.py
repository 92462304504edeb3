"""The upload format of ``POST /api/apps/{name}/versions``, both directions.

The body is ``multipart/form-data`` with three parts:

- ``manifest`` (application/json): ``{"manifest": {...}, "content_hash": "<sha256>",
  "minified": true}`` -- the same document ``Bundle.write`` puts in
  ``*.manifest.json``;
- ``script`` (application/javascript): the bundled script, UTF-8;
- ``sourcemap`` (application/json): its source map v3;
- ``wasm:<name>`` (application/wasm), one per WebAssembly module the script imports
  (``Bundle.wasm_modules``); each must be a structurally valid module with a plain
  file name, within ``runtime.compat.wasm``'s count and size caps.

The server recomputes the content hash from the script and the manifest and
refuses the upload if it differs, so a damaged or truncated upload can never
be stored. ``encode_upload`` (the client side) and ``decode_upload`` (the
server side) are the only two places that know this format.
"""

from __future__ import annotations

import json
import secrets
from typing import Any

from python_multipart.exceptions import MultipartParseError
from python_multipart.multipart import MultipartParser, parse_options_header

from runtime.bundler import Bundle
from runtime.errors import ManifestError
from runtime.manifest import Manifest, parse_manifest
from runtime.server.config import ServerConfig
from runtime.server.errors import BadRequest

PARTS = ("manifest", "script", "sourcemap")


def encode_upload(bundle: Bundle) -> tuple[str, bytes]:
    """The (content type, body) that uploads ``bundle``."""
    boundary = "isoplay-" + secrets.token_hex(16)
    stem = bundle.file_stem()
    meta = {"manifest": bundle.manifest.to_dict(), "content_hash": bundle.content_hash, "minified": bundle.minified}
    parts = [
        ("manifest", None, "application/json", json.dumps(meta).encode()),
        ("script", f"{stem}.js", "application/javascript", bundle.code.encode("utf-8")),
        ("sourcemap", f"{stem}.js.map", "application/json", bundle.sourcemap.encode("utf-8")),
        *((f"wasm:{name}", name, "application/wasm", data) for name, data in sorted(bundle.wasm_modules.items())),
    ]
    chunks: list[bytes] = []
    for name, filename, ctype, data in parts:
        disposition = f'form-data; name="{name}"' + (f'; filename="{filename}"' if filename else "")
        chunks.append(f"--{boundary}\r\nContent-Disposition: {disposition}\r\nContent-Type: {ctype}\r\n\r\n".encode())
        chunks.append(data)
        chunks.append(b"\r\n")
    chunks.append(f"--{boundary}--\r\n".encode())
    return f"multipart/form-data; boundary={boundary}", b"".join(chunks)


class _PartCollector:
    """python-multipart callbacks that collect every part of an in-memory body."""

    def __init__(self) -> None:
        self.parts: dict[str, bytes] = {}
        self.complete = False
        self._field = b""
        self._value = b""
        self._headers: dict[bytes, bytes] = {}
        self._data: list[bytes] = []

    def callbacks(self) -> dict[str, Any]:
        """The callback table for ``MultipartParser``."""
        return {
            "on_part_begin": self._begin, "on_part_data": self._chunk, "on_part_end": self._part_end,
            "on_header_field": lambda d, s, e: setattr(self, "_field", self._field + d[s:e]),
            "on_header_value": lambda d, s, e: setattr(self, "_value", self._value + d[s:e]),
            "on_header_end": self._header_end, "on_end": lambda: setattr(self, "complete", True),
        }

    def _begin(self) -> None:
        self._headers, self._data = {}, []

    def _chunk(self, data: bytes, start: int, end: int) -> None:
        self._data.append(data[start:end])

    def _header_end(self) -> None:
        self._headers[self._field.lower()] = self._value
        self._field = self._value = b""

    def _part_end(self) -> None:
        _, options = parse_options_header(self._headers.get(b"content-disposition", b""))
        name = options.get(b"name", b"").decode("utf-8", "replace")
        if name in self.parts:
            raise BadRequest(f"the upload has the part {name!r} twice", code="malformed_upload")
        self.parts[name] = b"".join(self._data)


def _parts(content_type: str, body: bytes) -> dict[str, bytes]:
    ctype, options = parse_options_header(content_type)
    boundary = options.get(b"boundary")
    if ctype != b"multipart/form-data" or not boundary:
        raise BadRequest("the upload must be multipart/form-data with the parts manifest, script and sourcemap "
                         f"(got content type {content_type[:80]!r})", code="malformed_upload")
    collector = _PartCollector()
    parser = MultipartParser(boundary, collector.callbacks())  # type: ignore[arg-type]
    try:
        parser.write(body)
        parser.finalize()
    except MultipartParseError as exc:
        raise BadRequest(f"the upload is not valid multipart: {exc}", code="malformed_upload") from None
    if not collector.complete:
        raise BadRequest(f"the upload is truncated: it ends before the closing boundary ({len(body)} bytes received)",
                         code="malformed_upload")
    return collector.parts


def _json(data: bytes, what: str) -> Any:
    try:
        return json.loads(data)
    except RecursionError:
        raise BadRequest(f"the {what} part is nested too deeply", code="malformed_upload") from None
    except ValueError as exc:  # JSONDecodeError, UnicodeDecodeError, an integer of more than 4300 digits
        raise BadRequest(f"the {what} part is not valid JSON: {str(exc)[:200]}", code="malformed_upload") from None


def _text(data: bytes, what: str) -> str:
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        raise BadRequest(f"the {what} part is not UTF-8 text", code="malformed_upload") from None


def decode_upload(content_type: str, body: bytes) -> Bundle:
    """Parse and verify an upload into a Bundle.

    Raises:
        BadRequest: with the reason (missing part, bad JSON, invalid manifest, hash mismatch).
    """
    parts = _parts(content_type, body)
    for name in PARTS:
        if name not in parts:
            raise BadRequest(f"the upload has no {name!r} part (expected {', '.join(PARTS)})", code="malformed_upload")
    meta = _json(parts["manifest"], "manifest")
    if not isinstance(meta, dict) or not isinstance(meta.get("manifest"), dict):
        raise BadRequest('the manifest part must be {"manifest": {...}, "content_hash": ...}', code="malformed_upload")
    try:
        manifest = parse_manifest(meta["manifest"], "manifest")
    except ManifestError as exc:
        raise BadRequest(str(exc), code="invalid_manifest") from None
    code = _text(parts["script"], "script")
    smap = _text(parts["sourcemap"], "sourcemap")
    if not isinstance(_json(parts["sourcemap"], "sourcemap"), dict):
        raise BadRequest("the sourcemap part must be a source map JSON object", code="malformed_upload")
    bundle = Bundle(manifest=manifest, code=code, sourcemap=smap, minified=bool(meta.get("minified")),
                    wasm_modules=_wasm_parts(parts))
    claimed = meta.get("content_hash")
    if claimed != bundle.content_hash:
        raise BadRequest(f"content hash mismatch: the upload says {str(claimed)[:16]!r}, its content hashes to "
                         f"{bundle.content_hash[:16]!r} (damaged in transit?)", code="hash_mismatch")
    return bundle


def refuse_unparseable(bundle: Bundle) -> None:
    """Refuse (400, nothing stored) an upload whose script does not parse, naming where: a hand-made
    upload never went through esbuild, and it would otherwise fail only at its first request.

    Raises:
        BadRequest: ``script.js:LINE:COL: SyntaxError: ...`` (code ``script_syntax``).
    """
    from runtime.isolate import syntax_error

    if getattr(bundle.manifest, "assets", None) is not None:
        raise BadRequest("the upload's manifest has [assets] (static files), which isoplay serve does not serve yet",
                         code="assets_unsupported")
    found = syntax_error(bundle.code)
    if found is not None:
        message, line, column = found
        raise BadRequest(f"the script does not parse: script.js:{line}:{column}: {message}", code="script_syntax")


def _wasm_parts(parts: dict[str, bytes]) -> dict[str, bytes]:
    """The ``wasm:<name>`` parts, checked (names, structure, caps); anything else unknown is refused."""
    from runtime.compat import wasm

    modules: dict[str, bytes] = {}
    for part, data in parts.items():
        if part in PARTS:
            continue
        name = part.removeprefix("wasm:")
        if name == part:
            raise BadRequest(f"the upload has an unknown part {part[:80]!r} (expected {', '.join(PARTS)} and "
                             "wasm:<name> parts)", code="malformed_upload")
        if not wasm.NAME_RE.match(name):
            raise BadRequest(f"the WebAssembly part {part[:80]!r} needs a plain file name ending in .wasm",
                             code="invalid_wasm")
        problem = wasm.validate(data)
        if problem:
            raise BadRequest(f"the WebAssembly module {name} is not valid: {problem}", code="invalid_wasm")
        modules[name] = data
    if len(modules) > wasm.MAX_MODULES:
        raise BadRequest(f"the upload has {len(modules)} WebAssembly modules; at most {wasm.MAX_MODULES} may ship "
                         "with one bundle", code="invalid_wasm")
    total = sum(len(d) for d in modules.values())
    if total > wasm.MAX_TOTAL_BYTES:
        raise BadRequest(f"the upload's WebAssembly modules are {total} bytes together; at most "
                         f"{wasm.MAX_TOTAL_BYTES} bytes may ship with one bundle", code="invalid_wasm")
    return modules


def check_server_limits(manifest: Manifest, config: ServerConfig) -> None:
    """Refuse manifests whose ``[limits]`` pass what this server allows.

    Raises:
        BadRequest: naming the limit and the server's maximum.
    """
    caps = {"timeout_ms": config.max_timeout_ms, "memory_mb": config.max_memory_mb,
            "max_isolates": config.max_isolates}
    for key, cap in caps.items():
        value = getattr(manifest.limits, key)
        if value > cap:
            raise BadRequest(f"[limits] {key} = {value} exceeds this server's maximum of {cap}", code="limit_too_high")
