"""The upload format of ``POST /api/apps/{name}/versions``, both directions.

The body is ``multipart/form-data`` with three parts:

- ``manifest`` (application/json): ``{"manifest": {...}, "content_hash": "<sha256>",
  "minified": true}`` -- the same document ``Bundle.write`` puts in
  ``*.manifest.json``;
- ``script`` (application/javascript): the bundled script, UTF-8;
- ``sourcemap`` (application/json): its source map v3.

The server recomputes the content hash from the script and the manifest and
refuses the upload if it differs, so a damaged or truncated upload can never
be stored. ``encode_upload`` (the client side) and ``decode_upload`` (the
server side) are the only two places that know this format.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import AsyncGenerator
from typing import Any

from starlette.datastructures import Headers, UploadFile
from starlette.formparsers import MultiPartException, MultiPartParser

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
    ]
    chunks: list[bytes] = []
    for name, filename, ctype, data in parts:
        disposition = f'form-data; name="{name}"' + (f'; filename="{filename}"' if filename else "")
        chunks.append(f"--{boundary}\r\nContent-Disposition: {disposition}\r\nContent-Type: {ctype}\r\n\r\n".encode())
        chunks.append(data)
        chunks.append(b"\r\n")
    chunks.append(f"--{boundary}--\r\n".encode())
    return f"multipart/form-data; boundary={boundary}", b"".join(chunks)


async def _once(body: bytes) -> AsyncGenerator[bytes, None]:
    yield body


async def _parts(content_type: str, body: bytes) -> dict[str, bytes]:
    if not content_type.lower().startswith("multipart/form-data"):
        raise BadRequest("the upload must be multipart/form-data with the parts manifest, script and sourcemap "
                         f"(got content type {content_type[:80]!r})", code="malformed_upload")
    headers = Headers({"content-type": content_type})
    parser = MultiPartParser(headers, _once(body), max_files=2, max_fields=1, max_part_size=len(body) + 1)
    try:
        form = await parser.parse()
    except MultiPartException as exc:
        raise BadRequest(f"the upload is not valid multipart: {exc.message}", code="malformed_upload") from None
    out: dict[str, bytes] = {}
    try:
        for name, value in form.multi_items():
            out[name] = await value.read() if isinstance(value, UploadFile) else value.encode("utf-8")
    finally:
        await form.close()
    return out


def _json(data: bytes, what: str) -> Any:
    try:
        return json.loads(data)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise BadRequest(f"the {what} part is not valid JSON: {exc}", code="malformed_upload") from None


def _text(data: bytes, what: str) -> str:
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        raise BadRequest(f"the {what} part is not UTF-8 text", code="malformed_upload") from None


async def decode_upload(content_type: str, body: bytes) -> Bundle:
    """Parse and verify an upload into a Bundle.

    Raises:
        BadRequest: with the reason (missing part, bad JSON, invalid manifest, hash mismatch).
    """
    parts = await _parts(content_type, body)
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
    bundle = Bundle(manifest=manifest, code=code, sourcemap=smap, minified=bool(meta.get("minified")))
    claimed = meta.get("content_hash")
    if claimed != bundle.content_hash:
        raise BadRequest(f"content hash mismatch: the upload says {str(claimed)[:16]!r}, its content hashes to "
                         f"{bundle.content_hash[:16]!r} (damaged in transit?)", code="hash_mismatch")
    return bundle


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
