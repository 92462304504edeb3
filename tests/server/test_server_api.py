"""The deploy API in-process (httpx ASGITransport): publishing, refusals, listing, rollback, deletes."""

from __future__ import annotations

import json
from collections.abc import Callable

import httpx
import pytest

from runtime.bundler import Bundle
from runtime.invocation import HttpRequest
from runtime.server.apps import server_fetch_allow
from runtime.server.api import api_routes
from runtime.server.core import ServerCore
from runtime.server.openapi import openapi_document
from runtime.server.upload import encode_upload

Api = tuple[ServerCore, httpx.AsyncClient, str]


async def upload(client: httpx.AsyncClient, bundle: Bundle, *, app: str | None = None, **params: str) -> httpx.Response:
    content_type, body = encode_upload(bundle)
    return await client.post(f"/api/apps/{app or bundle.manifest.name}/versions", content=body,
                             headers={"content-type": content_type}, params=params)


async def test_publish_serve_pin_and_roll_back(api: Api, release: Callable[..., Bundle]) -> None:
    core, client, _ = api
    first = await upload(client, release("hello", "1.0.0"))
    assert first.status_code == 201, first.text
    assert first.json()["live"] is True and first.json()["created"] is True
    assert (await client.get("/hello/")).json()["version"] == "1.0.0"
    second = await upload(client, release("hello", "1.1.0"))
    assert second.status_code == 201 and second.json()["previous_live"] == "1.0.0"
    assert (await client.get("/hello/x")).json()["version"] == "1.1.0"
    assert (await client.get("/hello@1.0.0/x")).json()["version"] == "1.0.0"
    assert (await client.get("/hello@1/x")).json()["version"] == "1.1.0"
    assert (await client.get("/hello@1.0/x")).json()["version"] == "1.0.0"
    rolled = await client.post("/api/apps/hello/rollback", json={"version": "1.0.0"})
    assert rolled.status_code == 200 and rolled.json()["previous_live"] == "1.1.0"
    assert (await client.get("/hello/")).json()["version"] == "1.0.0"
    assert (await client.get("/hello@latest/")).json()["version"] == "1.1.0"
    info = (await client.get("/api/apps/hello")).json()
    assert [(v["version"], v["live"]) for v in info["versions"]] == [("1.1.0", False), ("1.0.0", True)]
    assert info["live_version"] == "1.0.0" and info["versions"][0]["size_bytes"] > 0


async def test_script_sees_its_own_paths_and_the_prefix_header(api: Api, release: Callable[..., Bundle]) -> None:
    _, client, _ = api
    await upload(client, release("hello", "2.0.0"))
    seen = (await client.get("/hello@2.0.0/a/b?q=1")).json()
    assert seen["url"] == "http://testserver/a/b?q=1"
    assert seen["prefix"] == "/hello@2.0.0"
    assert (await client.get("/hello")).json()["url"] == "http://testserver/"


async def test_same_content_is_idempotent_and_different_content_conflicts(api: Api, release: Callable[..., Bundle]) -> None:
    core, client, _ = api
    bundle = release("hello", "1.0.0")
    assert (await upload(client, bundle)).status_code == 201
    again = await upload(client, bundle)
    assert again.status_code == 200 and again.json()["created"] is False
    other = release("hello", "1.0.0", source="export default { fetch() { return new Response('other'); } };")
    refused = await upload(client, other)
    assert refused.status_code == 409 and refused.json()["error"]["code"] == "version_exists"
    assert (await client.get("/hello/")).json()["version"] == "1.0.0"
    assert len(core.storage.list_versions("hello")) == 1


async def test_every_api_call_without_a_valid_token_is_401_and_changes_nothing(
        api: Api, release: Callable[..., Bundle]) -> None:
    core, client, _ = api
    assert (await upload(client, release("hello", "1.0.0"))).status_code == 201
    content_type, body = encode_upload(release("hello", "2.0.0"))
    calls = [("GET", "/api/apps", {}), ("GET", "/api/apps/hello", {}),
             ("POST", "/api/apps/hello/versions", {"content": body, "headers": {"content-type": content_type}}),
             ("POST", "/api/apps/hello/rollback", {"json": {"version": "1.0.0"}}),
             ("DELETE", "/api/apps/hello/versions/1.0.0", {}), ("DELETE", "/api/apps/hello", {}),
             ("GET", "/api/apps/hello/logs", {}), ("GET", "/api/nothing-here", {})]
    for auth in (None, "Bearer isoplay_wrong", "Basic abc", "Bearer "):
        for method, path, kwargs in calls:
            kwargs = dict(kwargs)
            headers = dict(kwargs.pop("headers", {}))
            headers["authorization"] = auth or ""
            response = await client.request(method, path, headers=headers, **kwargs)
            assert response.status_code == 401, (auth, method, path, response.text)
            assert response.json()["error"]["code"] == "unauthorized"
            assert response.headers["www-authenticate"].startswith("Bearer")
    assert [v.version for v in core.storage.list_versions("hello")] == ["1.0.0"]
    assert core.storage.get_app("hello").live_version == "1.0.0"  # type: ignore[union-attr]


async def test_revoked_token_is_refused(api: Api) -> None:
    core, client, _ = api
    core.storage.remove_token("tests")
    assert (await client.get("/api/apps")).status_code == 401


async def test_malformed_uploads_are_400_with_the_reason(api: Api, release: Callable[..., Bundle]) -> None:
    core, client, _ = api
    bundle = release("hello", "1.0.0")
    content_type, body = encode_upload(bundle)

    async def post(content: bytes, ctype: str, app: str = "hello") -> httpx.Response:
        return await client.post(f"/api/apps/{app}/versions", content=content, headers={"content-type": ctype})

    cases = {
        "json instead of multipart": (await post(b"{}", "application/json"), "multipart/form-data"),
        "missing part": (await post(body.replace(b'name="sourcemap"', b'name="other"'), content_type), "sourcemap"),
        "manifest not json": (await post(body.replace(b'{"manifest"', b'{manifest'), content_type), "not valid JSON"),
        "damaged script": (await post(body.replace(b"Response", b"Respons3", 1), content_type), "content hash mismatch"),
        "truncated": (await post(body[: len(body) // 2], content_type), "truncated"),
        "name mismatch": (await post(body, content_type, app="other-app"), "other-app"),
    }
    for what, (response, reason) in cases.items():
        assert response.status_code == 400, (what, response.text)
        assert reason in response.json()["error"]["message"], (what, response.text)
    meta = json.dumps({"manifest": {**bundle.manifest.to_dict(), "limits": {"timeout_ms": "soon"}},
                       "content_hash": bundle.content_hash})
    bad_manifest = body.replace(body[body.index(b'{"manifest"'):body.index(b"\r\n--", body.index(b'{"manifest"'))],
                                meta.encode())
    response = await post(bad_manifest, content_type)
    assert response.status_code == 400 and "timeout_ms" in response.json()["error"]["message"]
    assert core.storage.list_apps() == []


async def test_bad_names_and_versions_are_400(api: Api, release: Callable[..., Bundle]) -> None:
    _, client, _ = api
    assert (await upload(client, release("hello", "1.0.0"))).status_code == 201
    for path in ("/api/apps/Bad_Name", "/api/apps/" + "a" * 64):
        response = await client.get(path)
        assert response.status_code == 400 and response.json()["error"]["code"] == "bad_name", path
    response = await client.post("/api/apps/hello/rollback", json={"version": "v1"})
    assert response.status_code == 400 and response.json()["error"]["code"] == "bad_version"
    response = await client.delete("/api/apps/hello/versions/1.0")
    assert response.status_code == 400 and response.json()["error"]["code"] == "bad_version"
    assert (await client.post("/api/apps/hello/rollback", content=b"nope")).status_code == 400
    assert (await client.get("/hello@1.x/")).status_code == 400
    assert (await client.get("/hello@9/")).status_code == 404
    assert (await client.get("/nope/")).status_code == 404


async def test_upload_over_the_limit_is_413(api: Api, release: Callable[..., Bundle]) -> None:
    core, client, _ = api
    big = release("hello", "1.0.0", source="const pad = " + json.dumps("x" * 300_000)
                  + ";\nexport default { fetch() { return new Response(pad.slice(0, 3)); } };")
    response = await upload(client, big)
    assert response.status_code == 413 and response.json()["error"]["code"] == "bundle_too_large"
    assert core.storage.list_apps() == []


async def test_manifest_limits_beyond_the_server_caps_are_refused(api: Api, release: Callable[..., Bundle]) -> None:
    _, client, _ = api
    greedy = release("hello", "1.0.0", extra="memory_mb = 4096\n")
    response = await upload(client, greedy)
    assert response.status_code == 400 and "memory_mb" in response.json()["error"]["message"]


async def test_delete_version_and_app(api: Api, release: Callable[..., Bundle]) -> None:
    core, client, _ = api
    await upload(client, release("hello", "1.0.0"))
    await upload(client, release("hello", "2.0.0"))
    assert (await client.get("/hello@1.0.0/count")).json()["n"] == 1
    live = await client.delete("/api/apps/hello/versions/2.0.0")
    assert live.status_code == 409 and live.json()["error"]["code"] == "version_live"
    assert (await client.delete("/api/apps/hello/versions/1.0.0")).status_code == 200
    assert (await client.get("/hello@1.0.0/")).status_code == 404
    assert (await client.delete("/api/apps/hello/versions/1.0.0")).status_code == 404
    assert (await client.delete("/api/apps/hello")).json()["deleted_versions"] == ["2.0.0"]
    assert (await client.get("/hello/")).status_code == 404
    assert (await client.get("/api/apps")).json() == {"apps": []}
    assert not any(core.config.data_dir.joinpath("bundles").glob("*/*"))
    await upload(client, release("hello", "2.0.0"))
    assert (await client.get("/hello/count")).json()["n"] == 1  # the KV data went with the app


async def test_no_promote_keeps_the_live_version(api: Api, release: Callable[..., Bundle]) -> None:
    _, client, _ = api
    await upload(client, release("hello", "1.0.0"))
    staged = await upload(client, release("hello", "1.1.0"), promote="false")
    assert staged.status_code == 201 and staged.json()["live"] is False
    assert (await client.get("/hello/")).json()["version"] == "1.0.0"
    assert (await client.get("/hello@1.1.0/")).json()["version"] == "1.1.0"


async def test_dry_run_validates_but_stores_nothing(api: Api, release: Callable[..., Bundle]) -> None:
    core, client, _ = api
    response = await upload(client, release("hello", "1.0.0"), dry_run="true")
    assert response.status_code == 200 and response.json()["action"] == "create"
    assert core.storage.list_apps() == []


async def test_apps_are_isolated_from_each_other_and_the_server(api: Api, release: Callable[..., Bundle]) -> None:
    _, client, _ = api
    await upload(client, release("one", "1.0.0"))
    await upload(client, release("two", "1.0.0"))
    assert [(await client.get("/one/count")).json()["n"] for _ in range(3)] == [1, 2, 3]
    assert (await client.get("/two/count")).json()["n"] == 1
    env = (await client.get("/one/env")).json()
    assert env == {"keys": ["KV", "VERSION"], "process": "undefined", "require": "undefined"}


async def test_script_errors_are_a_bare_500(api: Api, release: Callable[..., Bundle]) -> None:
    _, client, _ = api
    await upload(client, release("hello", "1.0.0"))
    response = await client.get("/hello/boom")
    assert response.status_code == 500 and "boom" not in response.text


async def test_health_and_openapi_are_public_and_metrics_needs_a_token(api: Api, release: Callable[..., Bundle]) -> None:
    _, client, _ = api
    await upload(client, release("hello", "1.0.0"))
    await client.get("/hello/")
    anonymous = {"authorization": ""}
    health = await client.get("/api/health", headers=anonymous)
    assert health.status_code == 200 and health.json()["ready"] is True and health.json()["apps"] == 1
    assert (await client.get("/metrics", headers=anonymous)).status_code == 401  # it names every app
    metrics = await client.get("/metrics")  # the fixture's admin token
    assert 'isoplay_invocations_total{outcome="ok",script="hello",trigger="fetch"}' in metrics.text
    spec = (await client.get("/api/openapi.json", headers=anonymous)).json()
    assert spec["openapi"].startswith("3.1") and "/api/apps/{name}/rollback" in spec["paths"]


def test_openapi_describes_every_route(tmp_path: object) -> None:
    document = openapi_document("http://x")
    for route in api_routes(None):  # type: ignore[arg-type]
        methods = {m.lower() for m in route.methods or ()} - {"head"}
        assert route.path in document["paths"], route.path
        assert methods <= set(document["paths"][route.path]), (route.path, methods)


async def test_health_is_503_once_stopping(api: Api) -> None:
    core, client, _ = api
    core.begin_stopping()
    await core.stop()
    response = await client.get("/api/health")
    assert response.status_code == 503 and response.json()["ready"] is False


@pytest.mark.parametrize("segment", ["hello@", "hello@01", "hello@1.2.3.4"])
async def test_malformed_ranges_are_400(api: Api, release: Callable[..., Bundle], segment: str) -> None:
    _, client, _ = api
    await upload(client, release("hello", "1.0.0"))
    assert (await client.get(f"/{segment}/")).status_code == 400


async def test_pools_are_lazy_retired_on_rollback_and_capped_for_pinned_versions(
        core_factory: object, release: Callable[..., Bundle]) -> None:
    core = core_factory(max_pinned_pools=1)  # type: ignore[operator]
    await core.start()
    for version in ("1.0.0", "1.1.0", "1.2.0", "1.3.0"):
        await core.deploys.publish("hello", release("hello", version))
    pools = lambda: sorted(core.runtimes.statistics().pools)  # noqa: E731
    assert pools() == []  # nothing runs until a request arrives
    await core.runtimes.invoke("hello", None, HttpRequest(url="http://x/"))
    assert pools() == ["hello@1.3.0"]
    for pinned in ("1.0.0", "1.1.0", "1.2.0"):
        await core.runtimes.invoke("hello", pinned, HttpRequest(url="http://x/"))
    assert pools() == ["hello@1.2.0", "hello@1.3.0"]  # the live pool plus at most one pinned
    await core.deploys.rollback("hello", "1.2.0")
    assert pools() == ["hello@1.2.0"]  # the old live version's pool was stopped


def test_fetch_allow_entries_reaching_this_machine_are_dropped() -> None:
    allow = ("api.example.com", "localhost:8788", "127.0.0.1:8788", "[::1]:80", "0.0.0.0", "a.localhost",
             "10.0.0.5:9000", "169.254.169.254")
    assert server_fetch_allow(allow) == ("api.example.com", "10.0.0.5:9000")
