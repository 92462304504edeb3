"""The deploy API under ``/api/`` (Starlette), plus ``/metrics``.

Every ``/api/`` route needs ``Authorization: Bearer <token>`` except
``/api/health`` (for probes) and ``/api/openapi.json`` (the description of this
API). Authentication happens before routing and before any body is read, so an
unauthenticated call is 401 and changes nothing. Each endpoint then checks the
token's role and app scope (``runtime.server.tokens.authorize``) before it reads
a body: a call outside them is 403 with the reason. Refusals answer
``{"error": {"code": ..., "message": ...}}``; see ``runtime.server.openapi``.
"""

from __future__ import annotations

import asyncio
import json
import os
from typing import TYPE_CHECKING, Any

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import ClientDisconnect, Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route

from runtime.errors import UserError
from runtime.server.errors import ApiError, BadRequest, Conflict, NotFound, PayloadTooLarge, Unauthorized
from runtime.server.service import valid_app_name
from runtime.server.storage import AppRecord, TokenRecord, VersionRecord
from runtime.server.tokens import (
    authenticate,
    authorize,
    check_expiry,
    check_scope,
    check_token_name,
    covers,
    create_token,
)
from runtime.server.upload import decode_upload, refuse_unparseable

if TYPE_CHECKING:
    from collections.abc import AsyncIterator

    from runtime.server.core import ServerCore

PUBLIC_PATHS = frozenset({"/api/health", "/api/health/live", "/api/health/ready", "/api/openapi.json"})
"""Paths answered without a token. ``/metrics`` joins them only with ``isoplay serve --public-metrics``
(it names every app); otherwise it needs a ``metrics`` or ``admin`` token."""
DRAIN_FACTOR = 4
"""An oversized upload is read (and discarded) up to this many times the limit, so the client sees the 413."""


# ---- JSON shapes -----------------------------------------------------------
def base_url(request: Request) -> str:
    """The server's URL as the client reached it, without a trailing slash."""
    return str(request.base_url).rstrip("/")


def version_json(record: VersionRecord, live: str | None, base: str) -> dict[str, Any]:
    """One version as the API shows it."""
    return {"version": record.version, "content_hash": record.content_hash, "size_bytes": record.size_bytes,
            "minified": record.minified, "deployed_at": record.deployed_at, "crons": list(record.crons),
            "live": record.version == live, "url": f"{base}/{record.app}@{record.version}/"}


def app_json(app: AppRecord, base: str, versions: list[VersionRecord] | None = None) -> dict[str, Any]:
    """One app (with its versions when given)."""
    data: dict[str, Any] = {"name": app.name, "live_version": app.live_version, "created_at": app.created_at,
                            "updated_at": app.updated_at, "url": f"{base}/{app.name}/"}
    if versions is not None:
        data["versions"] = [version_json(v, app.live_version, base) for v in versions]
    return data


def error_response(exc: ApiError) -> JSONResponse:
    """The JSON answer of a refused call."""
    headers = {"www-authenticate": 'Bearer realm="isoplay"'} if isinstance(exc, Unauthorized) else None
    return JSONResponse(exc.to_json(), status_code=exc.status, headers=headers)


# ---- authentication ------------------------------------------------------------
class BearerAuth:
    """ASGI middleware: refuse every non-public ``/api/`` call without a valid token."""

    def __init__(self, app: Any, core: ServerCore) -> None:
        self.app = app
        self.core = core

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] == "http" and scope["path"] not in PUBLIC_PATHS and not (
                scope["path"] == "/metrics" and self.core.config.public_metrics):
            headers = dict(scope["headers"])
            raw = headers.get(b"authorization")
            try:
                record = authenticate(self.core.storage, raw.decode("latin-1") if raw else None)
            except Unauthorized as exc:
                await error_response(exc)(scope, receive, send)
                return
            state = scope.setdefault("state", {})
            state["token"] = record
            state["token_name"] = record.name
        await self.app(scope, receive, send)


def _token(request: Request) -> TokenRecord:
    """The authenticated token of a (non-public) call."""
    record = request.scope.get("state", {}).get("token")
    if not isinstance(record, TokenRecord):
        raise Unauthorized("an Authorization: Bearer <token> header is required")
    return record


def token_json(record: TokenRecord) -> dict[str, Any]:
    """One token as the API shows it (never its secret or hash)."""
    return {"name": record.name, "role": record.role, "apps": list(record.apps), "created_at": record.created_at,
            "expires_at": record.expires_at}


# ---- endpoints ---------------------------------------------------------------
class Endpoints:
    """The API's request handlers, bound to one ServerCore."""

    def __init__(self, core: ServerCore) -> None:
        self.core = core

    async def health(self, request: Request) -> Response:
        """Liveness and readiness (503 when not ready)."""
        report = self.core.health()
        return JSONResponse(report.to_json(), status_code=200 if report.ready else 503)

    async def live(self, request: Request) -> Response:
        """Liveness: 200 whenever this process answers at all (a store outage is not a reason to restart it)."""
        return JSONResponse({"live": True, "node": self.core.config.node, "pid": os.getpid()})

    async def ready(self, request: Request) -> Response:
        """Readiness: 200 only while the store answers and the apps are loaded; 503 naming what is not ready."""
        report = self.core.health()
        body = {"ready": report.ready, "checks": report.checks, "node": report.node}
        return JSONResponse(body, status_code=200 if report.ready else 503)

    async def openapi(self, request: Request) -> Response:
        """The OpenAPI 3.1 description of this API."""
        from runtime.server.openapi import openapi_document

        return JSONResponse(openapi_document(base_url(request)))

    async def metrics(self, request: Request) -> Response:
        """Prometheus text of every app's invocations and pools (a metrics or admin token, unless public)."""
        if not self.core.config.public_metrics:
            authorize(_token(request), "metrics")
        self._update_pool_gauges()
        self.core.metrics.node_info.labels(self.core.config.node or "local").set(1)
        return Response(self.core.metrics.prometheus_text(), media_type="text/plain; version=0.0.4")

    def _update_pool_gauges(self) -> None:
        totals: dict[tuple[str, str], int] = {}
        for key, stats in self.core.runtimes.statistics().pools.items():
            app = key.split("@", 1)[0]
            for state in ("busy", "idle", "queued"):
                totals[(app, state)] = totals.get((app, state), 0) + getattr(stats, state)
        for (app, state), value in totals.items():
            self.core.metrics.pool_gauge.labels(app, state).set(value)

    async def list_apps(self, request: Request) -> Response:
        """Every app with its live version."""
        base = base_url(request)
        token = _token(request)
        authorize(token, "read")
        apps = [app_json(a, base) for a in self.core.storage.list_apps() if covers(token, a.name)]
        return JSONResponse({"apps": apps})

    async def get_app(self, request: Request) -> Response:
        """One app with its versions (highest first), the live one marked."""
        authorize(_token(request), "read", valid_app_name(request.path_params["name"]))
        app, versions = self.core.deploys.app(request.path_params["name"])
        return JSONResponse(app_json(app, base_url(request), versions))

    async def publish(self, request: Request) -> Response:
        """Upload a bundle as a new version (``?promote=false``, ``?dry_run=true``)."""
        name = valid_app_name(request.path_params["name"])
        authorize(_token(request), "deploy", name)
        promote = _flag(request, "promote", True)
        dry_run = _flag(request, "dry_run", False)
        body = await self._read_upload(request)
        bundle = decode_upload(request.headers.get("content-type", ""), body)
        refuse_unparseable(bundle)
        base = base_url(request)
        if dry_run:
            plan = self.core.deploys.plan(name, bundle)
            return JSONResponse({"dry_run": True, "app": plan.app, "version": plan.version,
                                 "content_hash": plan.content_hash, "action": plan.action, "promote": promote})
        result = await self.core.deploys.publish(name, bundle, promote=promote)
        data = version_json(result.version, result.version.version if result.live else None, base)
        data.update(app=name, created=result.created, previous_live=result.previous_live,
                    live_url=f"{base}/{name}/")
        return JSONResponse(data, status_code=201 if result.created else 200)

    async def _read_upload(self, request: Request) -> bytes:
        limit = self.core.config.max_bundle_bytes
        declared = request.headers.get("content-length")
        if declared is not None and (not declared.isdigit()):
            raise BadRequest("the Content-Length header is not a number", code="malformed_upload")
        chunks: list[bytes] = []
        size = 0
        try:
            async for chunk in request.stream():
                size += len(chunk)
                if size <= limit:
                    chunks.append(chunk)
                elif size > DRAIN_FACTOR * limit:
                    break
        except ClientDisconnect:
            raise BadRequest(f"the upload was interrupted after {size} bytes; nothing was stored",
                             code="upload_interrupted") from None
        if size > limit:
            raise PayloadTooLarge(f"the upload ({size} bytes or more) exceeds this server's limit of {limit} bytes "
                                  "(isoplay serve --max-bundle-mb)", code="bundle_too_large")
        return b"".join(chunks)

    async def rollback(self, request: Request) -> Response:
        """Make an existing version live: body ``{"version": "1.0.0"}``."""
        name = valid_app_name(request.path_params["name"])
        authorize(_token(request), "deploy", name)
        payload = await _json_body(request)
        version = payload.get("version") if isinstance(payload, dict) else None
        if not isinstance(version, str):
            raise BadRequest('the body must be {"version": "<semver>"}', code="malformed_request")
        previous = await self.core.deploys.rollback(name, version)
        return JSONResponse({"app": name, "live_version": version, "previous_live": previous,
                             "live_url": f"{base_url(request)}/{name}/"})

    async def delete_app(self, request: Request) -> Response:
        """Delete an app, all its versions and its KV data."""
        name = request.path_params["name"]
        authorize(_token(request), "delete", name)
        deleted = await self.core.deploys.delete_app(name)
        self.core.logs.end_app(name)
        shipper = self.core.log_shipper
        if shipper is not None:
            await asyncio.to_thread(shipper.forget, name)
        return JSONResponse({"app": name, "deleted_versions": [v.version for v in deleted]})

    async def delete_version(self, request: Request) -> Response:
        """Delete one version (409 for the live one)."""
        name, version = request.path_params["name"], request.path_params["version"]
        authorize(_token(request), "delete", name)
        await self.core.deploys.delete_version(name, version)
        return JSONResponse({"app": name, "deleted_version": version})

    async def logs(self, request: Request) -> Response:
        """A server-sent-event stream of the app's invocations (``event: invocation``)."""
        name = request.path_params["name"]
        authorize(_token(request), "read", valid_app_name(name))
        self.core.deploys.app(name)  # 400/404 before the stream starts
        return StreamingResponse(self._events(name), media_type="text/event-stream",
                                 headers={"cache-control": "no-cache", "x-accel-buffering": "no"})

    # ---- D1 (runtime/d1) ------------------------------------------------------------
    async def _d1(self, request: Request) -> tuple[Any, Any]:
        """The D1 database (and its binding) a call names, of the app's live version; a deploy token's."""
        from runtime.d1.store import D1Database, file_name

        name = valid_app_name(request.path_params["name"])
        authorize(_token(request), "deploy", name)
        if self.core.config.store:
            raise Conflict("D1 is not available on an isoplay server with a PostgreSQL store yet: each node would "
                           "keep its own copy of the database", code="d1_unavailable")
        wanted = request.path_params["database"]
        record = self.core.runtimes.resolve(name, None)
        bundle = await asyncio.to_thread(self.core.storage.load_bundle, record)
        for binding in bundle.manifest.d1_databases:
            if wanted in (binding.binding, binding.database_name, binding.database_id):
                return D1Database(self.core.runtimes.app_dir(name) / "d1" / file_name(binding.key)), binding
        known = ", ".join(b.binding for b in bundle.manifest.d1_databases) or "none"
        raise NotFound(f"{name} {record.version} (live) has no D1 database {wanted[:64]!r} (bindings: {known})",
                       code="no_such_database")

    async def d1_query(self, request: Request) -> Response:
        """Run SQL on an app's D1 database: body ``{"sql": "..."}``, every statement in one transaction."""
        from runtime.d1.store import D1Error, Statement, split_statements

        db, _binding = await self._d1(request)
        payload = await _json_body(request)
        sql = payload.get("sql") if isinstance(payload, dict) else None
        if not isinstance(sql, str) or not sql.strip():
            raise BadRequest('the body must be {"sql": "<one or more statements>"}', code="malformed_request")
        try:
            results = await asyncio.to_thread(db.run, [Statement(s) for s in split_statements(sql)], batch=True)
        except D1Error as exc:
            raise BadRequest(f"{exc} (nothing was changed)", code="d1_error") from None
        finally:
            db.close()
        return JSONResponse({"results": results})

    async def d1_migrations(self, request: Request) -> Response:
        """Apply migrations to an app's D1 database: body ``{"migrations": [{"name", "sql"}]}``; those
        already recorded (by name) are skipped, as ``wrangler d1 migrations apply --remote`` does."""
        from runtime.d1 import migrations

        db, binding = await self._d1(request)
        payload = await _json_body(request)
        items = payload.get("migrations") if isinstance(payload, dict) else None
        if not isinstance(items, list) or not all(
                isinstance(i, dict) and isinstance(i.get("name"), str) and isinstance(i.get("sql"), str) for i in items):
            raise BadRequest('the body must be {"migrations": [{"name": "0001_x.sql", "sql": "..."}]}',
                             code="malformed_request")
        try:
            applied = await asyncio.to_thread(migrations.apply_items, db, [(i["name"], i["sql"]) for i in items],
                                              binding.migrations_table)
        except UserError as exc:
            raise BadRequest(str(exc), code="d1_error") from None
        finally:
            db.close()
        return JSONResponse({"applied": applied})

    # ---- recordings (runtime/replay) ---------------------------------------------
    def _recordings(self, request: Request) -> tuple[str, Any]:
        name = request.path_params["name"]
        authorize(_token(request), "read", valid_app_name(name))
        recorder = self.core.recorder
        if recorder is None:
            raise NotFound("this server records nothing (it runs with --no-record)", code="recording_off")
        return name, recorder

    async def list_recordings(self, request: Request) -> Response:
        """The app's recordings, newest first (``?limit=``, at most 1000)."""
        name, recorder = self._recordings(request)
        try:
            limit = max(1, min(1000, int(request.query_params.get("limit", "100"))))
        except ValueError:
            raise BadRequest("limit must be an integer", code="bad_limit") from None
        await asyncio.to_thread(recorder.flush)
        # none past its retention, even for an app that keeps no new recording (the store deletes them)
        items = await asyncio.to_thread(recorder.store.list, name, limit=limit, now=recorder.clock())
        # invocations the policy wanted that cannot replay exactly, each with the reason it was not kept
        return JSONResponse({"app": name, "recordings": items, "not_kept": recorder.not_kept(name)})

    async def get_recording(self, request: Request) -> Response:
        """One recording file (JSON lines, docs/replay.md)."""
        name, recorder = self._recordings(request)
        rec_id = request.path_params["rec_id"]
        data = await asyncio.to_thread(recorder.store.get, name, rec_id, now=recorder.clock())
        if data is None:
            raise NotFound(f"{name} has no recording {rec_id!r}", code="recording_not_found")
        return Response(data, media_type="application/x-ndjson",
                        headers={"content-disposition": f'attachment; filename="{rec_id}.isorec"'})

    async def get_recording_bundle(self, request: Request) -> Response:
        """The bundle a recording ran (code, source map, manifest), while a version of it is stored."""
        name, recorder = self._recordings(request)
        rec_id = request.path_params["rec_id"]
        data = await asyncio.to_thread(recorder.store.get, name, rec_id, now=recorder.clock())
        if data is None:
            raise NotFound(f"{name} has no recording {rec_id!r}", code="recording_not_found")
        from runtime.replay.format import Recording

        wanted = Recording.from_jsonl(data).bundle_hash
        for version in self.core.storage.list_versions(name):
            if version.content_hash == wanted:
                bundle = await asyncio.to_thread(self.core.storage.load_bundle, version)
                return JSONResponse({"content_hash": bundle.content_hash, "version": version.version,
                                     "code": bundle.code, "sourcemap": bundle.sourcemap,
                                     "manifest": bundle.manifest.to_dict(), "minified": bundle.minified})
        raise NotFound(f"the bundle {wanted[:12]} of recording {rec_id} is no longer deployed in {name}",
                       code="bundle_not_found")
    async def log_history(self, request: Request) -> Response:
        """The app's last invocations, oldest first, whichever process or node served them (``?limit=``)."""
        name = request.path_params["name"]
        authorize(_token(request), "read", valid_app_name(name))
        self.core.deploys.app(name)
        raw = request.query_params.get("limit", str(min(100, self.core.config.log_buffer)))
        if not raw.isdigit() or not 1 <= int(raw) <= self.core.config.log_buffer:
            raise BadRequest(f"?limit= must be an integer from 1 to {self.core.config.log_buffer}",
                             code="malformed_request")
        shipper = self.core.log_shipper
        if shipper is None:
            return JSONResponse({"app": name, "events": []})
        await shipper.ship_once(receive=False)  # this process's latest events first
        events = await asyncio.to_thread(shipper.history, name, int(raw))
        return JSONResponse({"app": name, "events": events})

    # ---- tokens (admin) ----------------------------------------------------------
    async def list_tokens(self, request: Request) -> Response:
        """Every token's name, role and apps (never the secret)."""
        authorize(_token(request), "tokens")
        return JSONResponse({"tokens": [token_json(t) for t in self.core.storage.list_tokens()]})

    async def create_token(self, request: Request) -> Response:
        """Create a token: body ``{"name": ..., "role": "deploy"|"admin"|"metrics", "apps": [...] | ["*"],
        "expires_in": seconds}`` (``expires_in`` optional: without it the token never expires)."""
        authorize(_token(request), "tokens")
        payload = await _json_body(request)
        if not isinstance(payload, dict):
            raise BadRequest('the body must be {"name": ..., "role": ..., "apps": [...]}', code="malformed_request")
        name = check_token_name(payload.get("name"))
        role, apps = check_scope(payload.get("role", "deploy"), payload.get("apps"))
        token = create_token(self.core.storage, name, role=role, apps=apps,
                             expires_in=check_expiry(payload.get("expires_in")))
        record = next((t for t in self.core.storage.list_tokens() if t.name == name), None)
        data = token_json(record) if record else {"name": name, "role": role, "apps": list(apps)}
        return JSONResponse({**data, "token": token}, status_code=201)

    async def revoke_token(self, request: Request) -> Response:
        """Revoke a token by name; it stops working on the next request."""
        authorize(_token(request), "tokens")
        name = check_token_name(request.path_params["token"])
        self.core.storage.remove_token(name)
        return JSONResponse({"revoked": name})

    async def _events(self, app: str) -> AsyncIterator[str]:
        sub = self.core.logs.subscribe(app)
        counter = 0
        try:
            yield ": connected\n\n"
            while True:
                try:
                    item = await sub.get(self.core.config.sse_keepalive_seconds)
                except EOFError:
                    return
                if item is None:
                    yield ": keepalive\n\n"
                    continue
                counter += 1
                event, dropped = item
                yield f"id: {counter}\nevent: invocation\ndata: {json.dumps(event.to_json(dropped))}\n\n"
        finally:
            sub.close()


def _flag(request: Request, name: str, default: bool) -> bool:
    raw = request.query_params.get(name)
    if raw is None:
        return default
    if raw.lower() in ("1", "true", "yes"):
        return True
    if raw.lower() in ("0", "false", "no"):
        return False
    raise BadRequest(f"?{name}= must be true or false (got {raw[:20]!r})", code="malformed_request")


async def _json_body(request: Request) -> Any:
    raw = await request.body()
    try:
        return json.loads(raw)
    except RecursionError:
        raise BadRequest("the body is nested too deeply", code="malformed_request") from None
    except ValueError as exc:  # JSONDecodeError, UnicodeDecodeError, an integer of more than 4300 digits
        raise BadRequest(f"the body is not valid JSON: {str(exc)[:200]}", code="malformed_request") from None


async def _api_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, ApiError)
    return error_response(exc)


async def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    code = {404: "not_found", 405: "method_not_allowed"}.get(exc.status_code, "http_error")
    return JSONResponse({"error": {"code": code, "message": str(exc.detail)}}, status_code=exc.status_code,
                        headers=exc.headers)


def api_routes(core: ServerCore) -> list[Route]:
    """The API's routes (also what the OpenAPI test checks the document against)."""
    e = Endpoints(core)
    return [
        Route("/api/health", e.health, methods=["GET"]),
        Route("/api/health/live", e.live, methods=["GET"]),
        Route("/api/health/ready", e.ready, methods=["GET"]),
        Route("/api/openapi.json", e.openapi, methods=["GET"]),
        Route("/metrics", e.metrics, methods=["GET"]),
        Route("/api/apps", e.list_apps, methods=["GET"]),
        Route("/api/apps/{name}", e.get_app, methods=["GET"]),
        Route("/api/apps/{name}", e.delete_app, methods=["DELETE"]),
        Route("/api/apps/{name}/versions", e.publish, methods=["POST"]),
        Route("/api/apps/{name}/versions/{version}", e.delete_version, methods=["DELETE"]),
        Route("/api/apps/{name}/rollback", e.rollback, methods=["POST"]),
        Route("/api/apps/{name}/logs", e.logs, methods=["GET"]),
        Route("/api/apps/{name}/recordings", e.list_recordings, methods=["GET"]),
        Route("/api/apps/{name}/recordings/{rec_id}", e.get_recording, methods=["GET"]),
        Route("/api/apps/{name}/recordings/{rec_id}/bundle", e.get_recording_bundle, methods=["GET"]),
        Route("/api/apps/{name}/logs/history", e.log_history, methods=["GET"]),
        Route("/api/apps/{name}/d1/{database}/query", e.d1_query, methods=["POST"]),
        Route("/api/apps/{name}/d1/{database}/migrations", e.d1_migrations, methods=["POST"]),
        Route("/api/tokens", e.list_tokens, methods=["GET"]),
        Route("/api/tokens", e.create_token, methods=["POST"]),
        Route("/api/tokens/{token}", e.revoke_token, methods=["DELETE"]),
    ]


def build_api(core: ServerCore) -> Any:
    """The Starlette app behind ``/api/`` and ``/metrics``, wrapped in bearer authentication."""
    app = Starlette(routes=api_routes(core), exception_handlers={ApiError: _api_error, HTTPException: _http_error})
    return BearerAuth(app, core)
