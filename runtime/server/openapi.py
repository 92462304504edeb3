"""The OpenAPI 3.1 document served at ``/api/openapi.json``.

Written by hand (the API is small and its upload is multipart, which route
introspection would describe poorly); a test checks that every route of
``runtime.server.api.api_routes`` is described here with its methods.
"""

from __future__ import annotations

from typing import Any

_ERROR = {"$ref": "#/components/schemas/Error"}


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def _json(schema: dict[str, Any], description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def _errors(*codes: int) -> dict[str, Any]:
    text = {400: "Malformed request (the message gives the reason)", 401: "Missing or invalid bearer token",
            403: "The token's role or app scope does not allow this (the message says which)",
            404: "No such app or version", 409: "Conflicts with what is stored", 413: "Upload too large"}
    return {str(code): _json(_ERROR, text[code]) for code in codes}


_NAME = {"name": "name", "in": "path", "required": True, "schema": {"type": "string", "pattern": "^[a-z0-9-]{1,63}$"}}
_TOKEN = {"name": "token", "in": "path", "required": True,
          "schema": {"type": "string", "pattern": "^[A-Za-z0-9_.-]{1,64}$"}, "description": "the token's name"}
_DATABASE = {"name": "database", "in": "path", "required": True, "schema": {"type": "string"},
             "description": "A d1_databases binding, database_name or database_id of the live version"}
_VERSION = {"name": "version", "in": "path", "required": True, "schema": {"type": "string"},
            "description": "A semver version like 1.2.3"}


def _schemas() -> dict[str, Any]:
    version = {"type": "object", "properties": {
        "version": {"type": "string"}, "content_hash": {"type": "string"}, "size_bytes": {"type": "integer"},
        "minified": {"type": "boolean"}, "deployed_at": {"type": "number", "description": "epoch seconds"},
        "crons": {"type": "array", "items": {"type": "string"}}, "live": {"type": "boolean"},
        "url": {"type": "string", "description": "the pinned URL /{app}@{version}/"}}}
    app = {"type": "object", "properties": {
        "name": {"type": "string"}, "live_version": {"type": ["string", "null"]},
        "created_at": {"type": "number"}, "updated_at": {"type": "number"}, "url": {"type": "string"},
        "versions": {"type": "array", "items": _ref("Version")}}}
    published = {"allOf": [_ref("Version"), {"type": "object", "properties": {
        "app": {"type": "string"}, "created": {"type": "boolean"}, "previous_live": {"type": ["string", "null"]},
        "live_url": {"type": "string"}}}]}
    error = {"type": "object", "properties": {"error": {"type": "object", "properties": {
        "code": {"type": "string"}, "message": {"type": "string"}}}}}
    upload = {"type": "object", "required": ["manifest", "script", "sourcemap"], "properties": {
        "manifest": {"type": "string", "description": '{"manifest": {...}, "content_hash": "<sha256>", "minified": bool}'},
        "script": {"type": "string", "format": "binary"}, "sourcemap": {"type": "string", "format": "binary"}}}
    token = {"type": "object", "properties": {
        "name": {"type": "string", "pattern": "^[A-Za-z0-9_.-]{1,64}$"},
        "role": {"type": "string", "enum": ["deploy", "admin"],
                 "description": "deploy: publish, roll back, read its apps; admin: also deletes and tokens"},
        "apps": {"type": "array", "items": {"type": "string"}, "description": 'app names, or ["*"] for every app'},
        "created_at": {"type": "number"}}}
    created = {"allOf": [_ref("Token"), {"type": "object", "properties": {
        "token": {"type": "string", "description": "the secret, shown only in this answer"}}}]}
    return {"Version": version, "App": app, "Published": published, "Error": error, "Upload": upload,
            "Token": token, "CreatedToken": created}


def _paths() -> dict[str, Any]:
    auth_free: list[dict[str, Any]] = []
    return {
        "/api/health": {"get": {"summary": "Liveness and readiness", "security": auth_free, "responses": {
            "200": {"description": "Ready"}, "503": {"description": "Alive but not ready"}}}},
        "/api/health/live": {"get": {"summary": "Liveness: the process answers (for liveness probes)",
                                     "security": auth_free, "responses": {"200": {"description": "Alive"}}}},
        "/api/health/ready": {"get": {
            "summary": "Readiness: the store answers and the apps are loaded (for readiness probes)",
            "security": auth_free, "responses": {"200": {"description": "Ready"},
                                                 "503": {"description": "Not ready; checks name why"}}}},
        "/api/openapi.json": {"get": {"summary": "This document", "security": auth_free,
                                      "responses": {"200": {"description": "OpenAPI 3.1"}}}},
        "/metrics": {"get": {"summary": "Prometheus metrics", "security": auth_free,
                             "responses": {"200": {"description": "Prometheus text format"}}}},
        "/api/apps": {"get": {"summary": "List apps", "responses": {
            "200": _json({"type": "object", "properties": {"apps": {"type": "array", "items": _ref("App")}}}, "Apps"),
            **_errors(401)}}},
        "/api/apps/{name}": {
            "parameters": [_NAME],
            "get": {"summary": "An app with its versions", "responses": {
                "200": _json(_ref("App"), "The app"), **_errors(400, 401, 403, 404)}},
            "delete": {"summary": "Delete an app, its versions and its KV data", "responses": {
                "200": {"description": "Deleted"}, **_errors(400, 401, 403, 404)}}},
        "/api/apps/{name}/versions": {"parameters": [_NAME], "post": {
            "summary": "Publish a version (stored immutably; live unless promote=false)",
            "parameters": [
                {"name": "promote", "in": "query", "schema": {"type": "boolean", "default": True}},
                {"name": "dry_run", "in": "query", "schema": {"type": "boolean", "default": False},
                 "description": "Validate everything, store nothing"}],
            "requestBody": {"required": True, "content": {"multipart/form-data": {"schema": _ref("Upload")}}},
            "responses": {"201": _json(_ref("Published"), "Created"),
                          "200": _json(_ref("Published"), "Same content already stored (idempotent), or a dry run"),
                          **_errors(400, 401, 403, 409, 413)}}},
        "/api/apps/{name}/versions/{version}": {"parameters": [_NAME, _VERSION], "delete": {
            "summary": "Delete a version (refused for the live one)",
            "responses": {"200": {"description": "Deleted"}, **_errors(400, 401, 403, 404, 409)}}},
        "/api/apps/{name}/rollback": {"parameters": [_NAME], "post": {
            "summary": "Make an existing version live",
            "requestBody": {"required": True, "content": {"application/json": {"schema": {
                "type": "object", "required": ["version"], "properties": {"version": {"type": "string"}}}}}},
            "responses": {"200": {"description": "Rolled back"}, **_errors(400, 401, 403, 404)}}},
        "/api/apps/{name}/d1/{database}/query": {"parameters": [_NAME, _DATABASE], "post": {
            "summary": "Run SQL on the live version's D1 database (every statement in one transaction; deploy token)",
            "requestBody": {"required": True, "content": {"application/json": {"schema": {
                "type": "object", "required": ["sql"], "properties": {"sql": {"type": "string"}}}}}},
            "responses": {"200": _json({"type": "object", "properties": {"results": {"type": "array", "items": {
                "type": "object", "properties": {"columns": {"type": "array", "items": {"type": "string"}},
                                                 "rows": {"type": "array", "items": {"type": "array"}},
                                                 "meta": {"type": "object"}}}}}},
                "One result per statement (blobs as arrays of byte values, as D1)"),
                **_errors(400, 401, 403, 404, 409)}}},
        "/api/apps/{name}/d1/{database}/migrations": {"parameters": [_NAME, _DATABASE], "post": {
            "summary": "Apply the migrations the live version's D1 database has not recorded, in name order",
            "requestBody": {"required": True, "content": {"application/json": {"schema": {
                "type": "object", "required": ["migrations"], "properties": {"migrations": {"type": "array", "items": {
                    "type": "object", "required": ["name", "sql"],
                    "properties": {"name": {"type": "string"}, "sql": {"type": "string"}}}}}}}}},
            "responses": {"200": _json({"type": "object", "properties": {
                "applied": {"type": "array", "items": {"type": "string"}}}}, "The names applied now"),
                **_errors(400, 401, 403, 404, 409)}}},
        "/api/apps/{name}/logs": {"parameters": [_NAME], "get": {
            "summary": "Server-sent events of the app's invocations (event: invocation, data: JSON)",
            "responses": {"200": {"description": "An event stream",
                                  "content": {"text/event-stream": {"schema": {"type": "string"}}}},
                          **_errors(400, 401, 403, 404)}}},
        "/api/apps/{name}/recordings": {"parameters": [_NAME], "get": {
            "summary": "The app's recordings, newest first (docs/replay.md)",
            "parameters": [{"name": "limit", "in": "query", "schema": {"type": "integer", "default": 100}}],
            "responses": {"200": _json({"type": "object", "properties": {
                "app": {"type": "string"}, "recordings": {"type": "array", "items": {"type": "object"}}}},
                "Recording summaries (id, trigger, what, outcome, status, duration_ms, started, version, size)"),
                **_errors(400, 401, 403, 404)}}},
        "/api/apps/{name}/recordings/{rec_id}": {"parameters": [_NAME, {"name": "rec_id", "in": "path",
                                                                         "required": True, "schema": {"type": "string"}}],
            "get": {"summary": "One recording file (JSON lines, format isoplay-recording)",
                    "responses": {"200": {"description": "The recording",
                                          "content": {"application/x-ndjson": {"schema": {"type": "string"}}}},
                                  **_errors(400, 401, 403, 404)}}},
        "/api/apps/{name}/recordings/{rec_id}/bundle": {"parameters": [_NAME, {"name": "rec_id", "in": "path",
                                                                                "required": True,
                                                                                "schema": {"type": "string"}}],
            "get": {"summary": "The bundle the recording ran (code, sourcemap, manifest), while deployed",
                    "responses": {"200": _json({"type": "object"}, "The bundle"),
                                  **_errors(400, 401, 403, 404)}}},
        "/api/apps/{name}/logs/history": {"parameters": [_NAME], "get": {
            "summary": "The app's last invocations, oldest first, from every process and node",
            "parameters": [{"name": "limit", "in": "query", "schema": {"type": "integer", "default": 100,
                                                                        "minimum": 1}}],
            "responses": {"200": _json({"type": "object", "properties": {
                "app": {"type": "string"}, "events": {"type": "array", "items": {"type": "object"}}}}, "Events"),
                          **_errors(400, 401, 403, 404)}}},
        "/api/tokens": {
            "get": {"summary": "List tokens (admin)", "responses": {
                "200": _json({"type": "object", "properties": {"tokens": {"type": "array", "items": _ref("Token")}}},
                             "Tokens"), **_errors(401, 403)}},
            "post": {"summary": "Create a token (admin); it works at once",
                     "requestBody": {"required": True, "content": {"application/json": {"schema": {
                         "type": "object", "required": ["name", "apps"], "properties": {
                             "name": {"type": "string"}, "role": {"type": "string", "enum": ["deploy", "admin"],
                                                                  "default": "deploy"},
                             "apps": {"type": "array", "items": {"type": "string"}}}}}}},
                     "responses": {"201": _json(_ref("CreatedToken"), "Created (the secret is shown once)"),
                                   **_errors(400, 401, 403, 409)}}},
        "/api/tokens/{token}": {"parameters": [_TOKEN], "delete": {
            "summary": "Revoke a token (admin); it stops working at once",
            "responses": {"200": {"description": "Revoked"}, **_errors(400, 401, 403, 404)}}},
    }


def openapi_document(server_url: str) -> dict[str, Any]:
    """The OpenAPI 3.1 document, with ``server_url`` as its server."""
    return {
        "openapi": "3.1.0",
        "info": {"title": "isoplay server", "version": "1",
                 "description": "Deploy, list, roll back and delete Workers-style apps; apps answer at /{app}/ "
                                "and /{app}@{version-range}/."},
        "servers": [{"url": server_url}],
        "security": [{"bearer": []}],
        "paths": _paths(),
        "components": {"securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
                       "schemas": _schemas()},
    }
