"""Talk to an ``isoplay serve`` deploy API: the client of ``isoplay publish`` and the IDE's Publish dialog.

Synchronous (httpx): the CLI calls it directly and the IDE from a worker
thread. Every refusal becomes a :class:`PublishError` whose text is one line,
``server refused (409 version_exists): version 1.0.0 of hello is already ...``.

Tokens come from, in order: an explicit value, ``$ISOPLAY_TOKEN``, the system
keyring (service ``isoplay``, user = the server URL) written by ``isoplay login``.
"""

from __future__ import annotations

import dataclasses
import json
import os
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from runtime.bundler import Bundle, bundle_sync
from runtime.errors import UserError
from runtime.server.upload import encode_upload

TOKEN_ENV = "ISOPLAY_TOKEN"
SERVER_ENV = "ISOPLAY_SERVER"
KEYRING_SERVICE = "isoplay"
CHUNK_BYTES = 64 * 1024
ProgressCallback = Callable[[int, int], None]
"""``(bytes sent, bytes total)`` during an upload."""


class PublishError(UserError):
    """The server refused a call, or could not be reached; one line of text."""

    code = "publish_failed"

    def __init__(self, message: str, *, status: int | None = None, server_code: str | None = None) -> None:
        super().__init__(message)
        self.status = status
        """The HTTP status, when the server answered."""
        self.server_code = server_code
        """The API's error code (``version_exists``, ``unauthorized``, ...)."""


class TokenMissing(PublishError):
    """No token was given and none is stored."""

    code = "token_missing"


# ---- results -------------------------------------------------------------------
@dataclass(frozen=True)
class VersionInfo:
    """One version on the server."""

    version: str
    content_hash: str
    size_bytes: int
    deployed_at: float
    live: bool
    url: str
    """The pinned URL ``/{app}@{version}/``."""
    crons: tuple[str, ...] = ()


@dataclass(frozen=True)
class AppInfo:
    """One app on the server."""

    name: str
    live_version: str | None
    url: str
    versions: tuple[VersionInfo, ...] = ()


@dataclass(frozen=True)
class PublishResult:
    """What a publish did."""

    app: str
    version: str
    content_hash: str
    created: bool
    """False when the same content was already there (an idempotent repeat)."""
    live: bool
    live_url: str
    """``/{app}/`` (serves the live version)."""
    url: str
    """``/{app}@{version}/`` (always this version)."""
    previous_live: str | None


@dataclass(frozen=True)
class DryRunResult:
    """What a publish would do."""

    app: str
    version: str
    content_hash: str
    action: str
    """``create`` or ``unchanged``."""


def _version(data: Mapping[str, Any]) -> VersionInfo:
    return VersionInfo(data["version"], data["content_hash"], int(data["size_bytes"]), float(data["deployed_at"]),
                       bool(data["live"]), data["url"], tuple(data.get("crons", ())))


# ---- bundles and tokens ----------------------------------------------------------
def with_version(bundle: Bundle, version: str) -> Bundle:
    """The same bundle under another version (its content hash changes with it)."""
    if version == bundle.manifest.version:
        return bundle
    manifest = dataclasses.replace(bundle.manifest, version=version)
    return Bundle(manifest=manifest, code=bundle.code, sourcemap=bundle.sourcemap, minified=bundle.minified,
                  wasm_modules=bundle.wasm_modules)


def build_release(root: Path | str, *, version: str | None = None) -> Bundle:
    """Bundle a project for release (minified, with source map), optionally as ``version``.

    Raises:
        ManifestError, BundleError: the project does not build.
        PublishError: ``version`` is not semver.
    """
    import semver

    if version is not None and not semver.Version.is_valid(version):
        raise PublishError(f"--version {version!r} is not semver like \"1.2.3\"")
    built = bundle_sync(Path(root), minify=True)
    if getattr(built.manifest, "assets", None) is not None:
        raise PublishError(f"{built.manifest.source}: [assets] (static files) are served by isoplay dev, run and the IDE "
                           "but not published to an isoplay server yet; publish the Worker without assets, or serve the "
                           "files elsewhere")
    return with_version(built, version) if version else built


def normalize_server(url: str) -> str:
    """``https://host:port`` without a trailing slash (how tokens are keyed in the keyring)."""
    url = url.strip().rstrip("/")
    if "://" not in url:
        url = "http://" + url
    scheme, _, rest = url.partition("://")
    return f"{scheme.lower()}://{rest}"


CONFIG_DIR_ENV = "ISOPLAY_CONFIG_DIR"
"""Overrides the user's config folder (where the token file lives)."""

TOKEN_FILE_NAME = "tokens.json"
"""Tokens by server, when the machine has no system keyring (mode 0600)."""


def token_file() -> Path:
    """The fallback token file: ``<user config dir>/isoplay/tokens.json``."""
    import platformdirs

    base = os.environ.get(CONFIG_DIR_ENV)
    return (Path(base) if base else platformdirs.user_config_path("isoplay")) / TOKEN_FILE_NAME


def _file_tokens() -> dict[str, str]:
    try:
        data = json.loads(token_file().read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return {str(k): str(v) for k, v in data.items()} if isinstance(data, dict) else {}


def _save_file_token(server: str, token: str) -> Path:
    """Write the token into the token file, readable by this user only, atomically."""
    path = token_file()
    path.parent.mkdir(parents=True, exist_ok=True)
    tokens = {**_file_tokens(), server: token}
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        json.dump(tokens, fh, indent=1, sort_keys=True)
    os.chmod(tmp, 0o600)
    tmp.replace(path)
    return path


def keyring_token(server: str) -> str | None:
    """The token stored for ``server`` by ``isoplay login`` or the Publish dialog.

    The system keyring first; where there is none (or it fails), the token file.
    """
    import keyring

    server = normalize_server(server)
    try:
        found = keyring.get_password(KEYRING_SERVICE, server)
    except Exception:  # any backend failure (none installed, D-Bus down) means "no keyring here": use the file
        found = None
    return found or _file_tokens().get(server)


def store_token(server: str, token: str) -> str:
    """Save a token for ``server``: in the system keyring, else in the token file. Returns where it went."""
    import keyring

    server = normalize_server(server)
    try:
        keyring.set_password(KEYRING_SERVICE, server, token)
        return "the system keyring"
    except Exception:  # any backend failure (none installed, D-Bus down) means "no keyring here": use the file
        return str(_save_file_token(server, token))


def resolve_token(server: str, explicit: str | None = None, *, env: Mapping[str, str] | None = None,
                  from_keyring: Callable[[str], str | None] = keyring_token) -> str:
    """The token to use: ``explicit``, then ``$ISOPLAY_TOKEN``, then the keyring.

    Raises:
        TokenMissing: none is available; the message says how to provide one.
    """
    if explicit:
        return explicit
    environ = os.environ if env is None else env
    if environ.get(TOKEN_ENV):
        return environ[TOKEN_ENV]
    try:
        token = from_keyring(server)
    except TokenMissing as exc:
        raise TokenMissing(f"no token: {exc.message}") from None
    if not token:
        raise TokenMissing(f"no token for {normalize_server(server)}: pass --token, set {TOKEN_ENV}, or run "
                           f"`isoplay login --server {normalize_server(server)}` (it saves the token in the system "
                           f"keyring, or in {token_file()} where there is none)")
    return token


def upload_stream(body: bytes, on_progress: ProgressCallback | None) -> Iterator[bytes]:
    """Yield ``body`` in chunks, reporting progress after each."""
    total = len(body)
    for start in range(0, total, CHUNK_BYTES):
        chunk = body[start:start + CHUNK_BYTES]
        yield chunk
        if on_progress is not None:
            on_progress(min(start + len(chunk), total), total)


# ---- the client --------------------------------------------------------------------
class PublishClient:
    """The deploy API of one server, authenticated with one token.

    Args:
        server: The server URL (``http://host:8788``).
        token: A bearer token (see :func:`resolve_token`).
        transport: An httpx transport (tests pass ``httpx.ASGITransport``).
        timeout: Seconds per network operation.
    """

    def __init__(self, server: str, token: str | None, *, transport: httpx.BaseTransport | None = None,
                 timeout: float = 60.0) -> None:
        self.server = normalize_server(server)
        headers = {"authorization": f"Bearer {token}"} if token else {}
        self._http = httpx.Client(base_url=self.server, headers=headers, timeout=timeout, transport=transport,
                                  trust_env=False)

    def close(self) -> None:
        """Close the connection pool."""
        self._http.close()

    def __enter__(self) -> PublishClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"<PublishClient {self.server}>"

    # ---- plumbing ----------------------------------------------------------------
    def _call(self, method: str, path: str, **kwargs: Any) -> Any:
        try:
            response = self._http.request(method, path, **kwargs)
        except httpx.ConnectError as exc:
            raise PublishError(f"cannot reach {self.server}: {exc}") from None
        except httpx.TimeoutException:
            raise PublishError(f"{self.server} did not answer in time") from None
        except httpx.TransportError as exc:
            raise PublishError(f"the connection to {self.server} broke: {type(exc).__name__}: {exc}") from None
        if response.status_code >= 400:
            raise self._refusal(response)
        return response.json()

    @staticmethod
    def _refusal(response: httpx.Response) -> PublishError:
        try:
            error = response.json()["error"]
            code, message = str(error["code"]), str(error["message"])
        except (ValueError, KeyError, TypeError):
            text = " ".join(response.text.split())[:200]
            return PublishError(f"server answered {response.status_code}: {text}", status=response.status_code)
        return PublishError(f"server refused ({response.status_code} {code}): {message}",
                            status=response.status_code, server_code=code)

    def _upload(self, bundle: Bundle, params: dict[str, str], on_progress: ProgressCallback | None) -> Any:
        content_type, body = encode_upload(bundle)
        headers = {"content-type": content_type, "content-length": str(len(body))}
        return self._call("POST", f"/api/apps/{bundle.manifest.name}/versions", params=params, headers=headers,
                          content=upload_stream(body, on_progress))

    # ---- calls ---------------------------------------------------------------------
    def publish(self, bundle: Bundle, *, promote: bool = True,
                on_progress: ProgressCallback | None = None) -> PublishResult:
        """Upload ``bundle`` as version ``bundle.manifest.version`` of app ``bundle.manifest.name``."""
        data = self._upload(bundle, {"promote": str(promote).lower()}, on_progress)
        return PublishResult(data["app"], data["version"], data["content_hash"], bool(data["created"]),
                             bool(data["live"]), data["live_url"], data["url"], data.get("previous_live"))

    def dry_run(self, bundle: Bundle, *, promote: bool = True) -> DryRunResult:
        """Have the server validate a publish (auth, size, content, conflicts) without storing it."""
        data = self._upload(bundle, {"promote": str(promote).lower(), "dry_run": "true"}, None)
        return DryRunResult(data["app"], data["version"], data["content_hash"], data["action"])

    def apps(self) -> list[AppInfo]:
        """Every app on the server."""
        data = self._call("GET", "/api/apps")
        return [AppInfo(a["name"], a["live_version"], a["url"]) for a in data["apps"]]

    def app(self, name: str) -> AppInfo:
        """One app with its versions, highest first."""
        data = self._call("GET", f"/api/apps/{name}")
        return AppInfo(data["name"], data["live_version"], data["url"], tuple(_version(v) for v in data["versions"]))

    def rollback(self, name: str, version: str) -> str | None:
        """Make ``version`` live; return the previously live version."""
        previous: str | None = self._call("POST", f"/api/apps/{name}/rollback", json={"version": version})["previous_live"]
        return previous

    def delete_version(self, name: str, version: str) -> None:
        """Delete a version that is not live."""
        self._call("DELETE", f"/api/apps/{name}/versions/{version}")

    def delete_app(self, name: str) -> list[str]:
        """Delete an app (all versions and its KV data); return the deleted versions."""
        return list(self._call("DELETE", f"/api/apps/{name}")["deleted_versions"])

    def d1_query(self, app: str, database: str, sql: str) -> list[dict[str, Any]]:
        """Run ``sql`` (one or more statements, one transaction) on the live version's D1 ``database``
        (binding, name or id): ``[{"columns", "rows", "meta"}]`` per statement."""
        return list(self._call("POST", f"/api/apps/{app}/d1/{database}/query", json={"sql": sql})["results"])

    def d1_migrate(self, app: str, database: str, migrations: list[tuple[str, str]]) -> list[str]:
        """Apply the (name, SQL) migrations the app's D1 ``database`` lacks; returns the names applied."""
        body = {"migrations": [{"name": n, "sql": s} for n, s in migrations]}
        return list(self._call("POST", f"/api/apps/{app}/d1/{database}/migrations", json=body)["applied"])

    def list_recordings(self, app: str, *, limit: int = 100) -> list[dict[str, Any]]:
        """The app's recordings, newest first (runtime/replay)."""
        return self.recordings_listing(app, limit=limit)["recordings"]

    def recordings_listing(self, app: str, *, limit: int = 100) -> dict[str, list[dict[str, Any]]]:
        """``recordings`` (newest first) and ``not_kept``: invocations the policy wanted that could not be
        recorded, each with its ``reason`` (runtime/replay)."""
        answer = self._call("GET", f"/api/apps/{app}/recordings", params={"limit": str(limit)})
        return {"recordings": list(answer["recordings"]), "not_kept": list(answer.get("not_kept") or [])}

    def recording(self, app: str, rec_id: str) -> bytes:
        """One recording file's bytes."""
        try:
            response = self._http.get(f"/api/apps/{app}/recordings/{rec_id}")
        except httpx.TransportError as exc:
            raise PublishError(f"cannot reach {self.server}: {exc}") from None
        if response.status_code >= 400:
            raise self._refusal(response)
        return response.content

    def recording_bundle(self, app: str, rec_id: str) -> Bundle:
        """The bundle a recording ran, as the server stores it."""
        from runtime.manifest import parse_manifest

        data = self._call("GET", f"/api/apps/{app}/recordings/{rec_id}/bundle")
        return Bundle(manifest=parse_manifest(data["manifest"], "manifest.json"), code=data["code"],
                      sourcemap=data["sourcemap"], minified=bool(data.get("minified")))

    def list_tokens(self) -> list[dict[str, Any]]:
        """Every token's name, role and apps (admin token needed)."""
        return list(self._call("GET", "/api/tokens")["tokens"])

    def create_token(self, name: str, role: str, apps: list[str], expires_in: float | None = None) -> dict[str, Any]:
        """Create a token (admin token needed); the answer carries the secret once, as ``token``."""
        body: dict[str, Any] = {"name": name, "role": role, "apps": apps}
        if expires_in is not None:
            body["expires_in"] = expires_in
        data: dict[str, Any] = self._call("POST", "/api/tokens", json=body)
        return data

    def revoke_token(self, name: str) -> None:
        """Revoke a token by name (admin token needed)."""
        self._call("DELETE", f"/api/tokens/{name}")

    def health(self) -> dict[str, Any]:
        """The server's ``/api/health`` answer (no token needed)."""
        try:
            response = self._http.get("/api/health")
        except httpx.TransportError as exc:
            raise PublishError(f"cannot reach {self.server}: {exc}") from None
        data: dict[str, Any] = response.json()
        return data
