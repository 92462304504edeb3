"""Workers static assets: the files of ``assets.directory`` answered before the Worker runs.

As under ``wrangler dev`` (Cloudflare's "Static Assets" routing):

- A GET or HEAD that matches a file is answered from it, and the Worker does not run
  (``run_worker_first = true`` runs the Worker for every request; it reaches the files through
  ``env.<assets.binding>.fetch()``). Another method on a path with an asset gets 405; on any other
  path it goes to the Worker.
- ``html_handling = "auto-trailing-slash"`` (the default): ``/about`` serves ``about.html``, ``/blog/``
  serves ``blog/index.html``; ``/about.html`` redirects (307) to ``/about``, ``/blog`` and
  ``/blog/index.html`` to ``/blog/``. ``"none"``: exact file paths only.
- A request no file matches goes to the Worker. Through the binding (or a project without a Worker),
  ``not_found_handling`` answers it: ``"none"`` 404, ``"404-page"`` the nearest ``404.html`` with status
  404, ``"single-page-application"`` ``/index.html`` with status 200. With a Worker, a navigation
  request (``Sec-Fetch-Mode: navigate``) in single-page-application mode gets ``/index.html`` too, as
  Cloudflare serves navigations from assets first.
- Answers carry ``content-type`` (by extension, ``charset=utf-8`` for text), an ``etag`` (the content's
  hash) and ``cache-control: public, max-age=0, must-revalidate``; ``If-None-Match`` with the etag gets
  304. A path that leaves the directory (``..``, a symlink out of it) or holds a NUL matches nothing.
"""

from __future__ import annotations

import hashlib
import mimetypes
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

HTML_HANDLING = ("auto-trailing-slash", "none", "force-trailing-slash", "drop-trailing-slash")
NOT_FOUND_HANDLING = ("none", "404-page", "single-page-application")
MAX_ASSET_BYTES = 25 * 1024 * 1024
"""Largest file served (Workers' static assets limit: 25 MiB per file)."""


@dataclass(frozen=True)
class AssetsConfig:
    """``[assets]`` of a wrangler config or isoplay.toml."""

    directory: str
    binding: str | None = None
    html_handling: str = "auto-trailing-slash"
    not_found_handling: str = "none"
    run_worker_first: bool = False

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"directory": self.directory}
        if self.binding is not None:
            out["binding"] = self.binding
        if self.html_handling != "auto-trailing-slash":
            out["html_handling"] = self.html_handling
        if self.not_found_handling != "none":
            out["not_found_handling"] = self.not_found_handling
        if self.run_worker_first:
            out["run_worker_first"] = True
        return out


@dataclass(frozen=True)
class AssetAnswer:
    """An HTTP answer from the assets."""

    status: int
    headers: tuple[tuple[str, str], ...]
    body: bytes


def _content_type(name: str) -> str:
    kind = mimetypes.guess_type(name)[0] or "application/octet-stream"
    if kind.startswith("text/") or kind in ("application/javascript", "application/json", "image/svg+xml"):
        kind += "; charset=utf-8"
    return kind


class Assets:
    """The static assets of one project version."""

    def __init__(self, root: Path, config: AssetsConfig, *, has_worker: bool = True) -> None:
        self.config = config
        self.directory = (root / config.directory).resolve()
        self.has_worker = has_worker

    # ---- files -----------------------------------------------------------------------
    def _file(self, path: str) -> Path | None:
        """The file at URL path ``path`` (decoded, starting with /), if it is a file inside the directory."""
        if "\x00" in path or any(part == ".." for part in path.split("/")):
            return None
        candidate = (self.directory / path.lstrip("/"))
        try:
            real = candidate.resolve()
        except (OSError, RuntimeError):
            return None
        if real != self.directory and self.directory not in real.parents:
            return None
        return real if real.is_file() else None

    def resolve(self, path: str) -> tuple[str, Any] | None:
        """What ``path`` matches: ``("file", Path)``, ``("redirect", new_path)`` or None."""
        if self.config.html_handling == "none":
            found = self._file(path) if not path.endswith("/") else None
            return ("file", found) if found else None
        if path.endswith("/"):
            index = self._file(path + "index.html")
            if index:
                return "file", index
            if path != "/" and self._file(path[:-1] + ".html"):
                return "redirect", path[:-1]
            return None
        if path.endswith("/index.html") and self._file(path):
            return "redirect", path[: -len("index.html")]
        if path.endswith("/index") and self._file(path + ".html"):
            return "redirect", path[: -len("index")]
        if path.endswith(".html") and self._file(path):
            return "redirect", path[: -len(".html")]
        exact = self._file(path)
        if exact:
            return "file", exact
        html = self._file(path + ".html")
        if html:
            return "file", html
        if self._file(path + "/index.html"):
            return "redirect", path + "/"
        return None

    # ---- answers ---------------------------------------------------------------------
    def _serve_file(self, file: Path, method: str, headers: dict[str, str], status: int = 200) -> AssetAnswer:
        try:
            size = file.stat().st_size
            if size > MAX_ASSET_BYTES:
                return AssetAnswer(500, (("content-type", "text/plain; charset=utf-8"),),
                                   f"asset {file.name} is {size} bytes; Workers serve assets of at most "
                                   f"{MAX_ASSET_BYTES} bytes\n".encode())
            data = file.read_bytes()
        except OSError:
            return AssetAnswer(404, (), b"")
        etag = '"' + hashlib.sha256(data).hexdigest()[:32] + '"'
        out = (("content-type", _content_type(file.name)), ("etag", etag),
               ("cache-control", "public, max-age=0, must-revalidate"))
        wanted = headers.get("if-none-match")
        if wanted is not None and status == 200 and etag in [w.strip().removeprefix("W/") for w in wanted.split(",")]:
            return AssetAnswer(304, out, b"")
        return AssetAnswer(status, out, b"" if method == "HEAD" else data)

    def match(self, method: str, url: str, headers: dict[str, str]) -> AssetAnswer | None:
        """The answer to a request when assets answer it before the Worker; None: the Worker's turn."""
        if self.config.run_worker_first and self.has_worker:
            return None
        return self._answer(method, url, headers, worker_next=self.has_worker)

    def fetch(self, method: str, url: str, headers: dict[str, str]) -> AssetAnswer:
        """What ``env.ASSETS.fetch()`` answers (not_found_handling applies; nothing goes to the Worker)."""
        answer = self._answer(method, url, headers, worker_next=False)
        assert answer is not None
        return answer

    def _answer(self, method: str, url: str, headers: dict[str, str], *, worker_next: bool) -> AssetAnswer | None:
        parts = urlsplit(url)
        path = unquote(parts.path or "/")
        found = self.resolve(path)
        if method not in ("GET", "HEAD"):
            # a path with an asset takes GET and HEAD only (as wrangler dev answers); others go to the Worker
            if found is not None or not worker_next:
                return AssetAnswer(405, (("allow", "GET, HEAD"),), b"")
            return None
        if found is not None:
            kind, value = found
            if kind == "redirect":
                location = value + (f"?{parts.query}" if parts.query else "")
                return AssetAnswer(307, (("location", location),), b"")
            return self._serve_file(value, method, headers)
        mode = self.config.not_found_handling
        navigation = headers.get("sec-fetch-mode") == "navigate"
        if mode == "single-page-application" and (not worker_next or navigation):
            index = self._file("/index.html")
            if index:
                return self._serve_file(index, method, headers)
        if worker_next:
            return None
        if mode == "404-page":
            directory = path.rsplit("/", 1)[0]
            while True:
                page = self._file(f"{directory}/404.html")
                if page:
                    return self._serve_file(page, method, headers, status=404)
                if not directory:
                    break
                directory = directory.rsplit("/", 1)[0]
        return AssetAnswer(404, (), b"")


def asset_result(answer: AssetAnswer | None) -> Any:
    """An assets answer as the InvocationResult an HTTP trigger gets (None stays None)."""
    if answer is None:
        return None
    import http

    from runtime.invocation import InvocationResult

    try:
        reason = http.HTTPStatus(answer.status).phrase
    except ValueError:
        reason = ""
    return InvocationResult(trigger="fetch", outcome="ok", status=answer.status, status_text=reason,
                            headers=answer.headers, body=answer.body)


def assets_for(root: Path, manifest: Any) -> Assets | None:
    """The project's assets, or None when the manifest has no ``[assets]``.

    Raises:
        UserError: the directory does not exist (wrangler refuses to start then too).
    """
    config = getattr(manifest, "assets", None)
    if config is None:
        return None
    if not directory_exists(root, config):
        from runtime.errors import ManifestError

        raise ManifestError(f"the assets directory {config.directory!r} does not exist (in {root}); create it or "
                            "change assets.directory")
    return Assets(root, config)


def header_dict(headers: Any) -> dict[str, str]:
    """Request headers as a lower-cased dict (the last value of a repeated header)."""
    return {str(k).lower(): str(v) for k, v in headers}


def directory_exists(root: Path, config: AssetsConfig) -> bool:
    return os.path.isdir(root / config.directory)


def _register_op() -> None:
    import asyncio
    import base64

    from runtime.hostops import HostContext, HostOpError, host_op

    @host_op("assets.fetch")
    async def assets_fetch(ctx: HostContext, args: Any) -> Any:
        assets = getattr(ctx, "assets", None)
        if not isinstance(args, dict) or not isinstance(args.get("url"), str) or not isinstance(args.get("method"), str):
            raise HostOpError("TypeError", "assets: malformed host call")
        if assets is None:
            raise HostOpError("Error", "this script has no [assets] directory")
        headers = args.get("headers") or []
        if not isinstance(headers, list) or not all(isinstance(h, list) and len(h) == 2 for h in headers):
            raise HostOpError("TypeError", "assets: malformed headers")
        answer = await asyncio.to_thread(assets.fetch, args["method"].upper(), args["url"], header_dict(headers))
        return {"status": answer.status, "headers": [list(h) for h in answer.headers],
                "body": base64.b64encode(answer.body).decode("ascii")}


_register_op()
