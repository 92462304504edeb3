"""Workers static assets (runtime/assets.py): routing rules as wrangler dev applies them (the corpus projects
static-assets and spa-assets compare the same answers with wrangler dev), and paths that must match nothing."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from runtime.assets import Assets, AssetsConfig, asset_result
from runtime.errors import ManifestError
from runtime.manifest import parse_manifest


def site(tmp_path: Path) -> Path:
    root = tmp_path / "p"
    for rel, text in {"public/index.html": "home", "public/about.html": "about", "public/blog/index.html": "blog",
                      "public/app.js": "js", "public/404.html": "nf", "public/blog/404.html": "blog nf",
                      "secret.txt": "outside"}.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text)
    return root


def answer(assets: Assets, target: str, method: str = "GET", **headers: str) -> tuple[int, str, str]:
    a = assets.match(method, f"http://x{target}", {k.replace("_", "-"): v for k, v in headers.items()})
    if a is None:
        return (0, "", "worker")
    return a.status, dict(a.headers).get("location", ""), a.body.decode()


def test_auto_trailing_slash_routes(tmp_path: Path) -> None:
    a = Assets(site(tmp_path), AssetsConfig("public"))
    assert answer(a, "/") == (200, "", "home")
    assert answer(a, "/index.html?x=1") == (307, "/?x=1", "")
    assert answer(a, "/about") == (200, "", "about") and answer(a, "/about.html") == (307, "/about", "")
    assert answer(a, "/blog") == (307, "/blog/", "") and answer(a, "/blog/") == (200, "", "blog")
    assert answer(a, "/blog/index") == (307, "/blog/", "")
    assert answer(a, "/app.js") == (200, "", "js") and answer(a, "/app.js", "HEAD") == (200, "", "")
    assert answer(a, "/nope") == (0, "", "worker")
    assert answer(a, "/about", "POST") == (405, "", "") and answer(a, "/api", "POST") == (0, "", "worker")


def test_paths_outside_the_directory_match_nothing(tmp_path: Path) -> None:
    root = site(tmp_path)
    os.symlink(root / "secret.txt", root / "public" / "link.txt")
    a = Assets(root, AssetsConfig("public"), has_worker=False)
    for target in ("/../secret.txt", "/%2e%2e/secret.txt", "/blog/../../secret.txt", "/link.txt", "/app.js%00"):
        status, _, body = answer(a, target)
        assert body != "outside" and status == 404, target


def test_not_found_handling_and_the_binding(tmp_path: Path) -> None:
    root = site(tmp_path)
    page = Assets(root, AssetsConfig("public", not_found_handling="404-page"))
    assert page.fetch("GET", "http://x/blog/missing", {}).body == b"blog nf"  # the nearest 404.html
    assert page.fetch("GET", "http://x/else/missing", {}).status == 404
    assert page.fetch("GET", "http://x/else/missing", {}).body == b"nf"
    spa = Assets(root, AssetsConfig("public", not_found_handling="single-page-application"))
    assert answer(spa, "/app/route", sec_fetch_mode="navigate") == (200, "", "home")
    assert answer(spa, "/app/route") == (0, "", "worker")  # not a navigation: the Worker's
    first = Assets(root, AssetsConfig("public", run_worker_first=True))
    assert answer(first, "/about") == (0, "", "worker") and first.fetch("GET", "http://x/about", {}).body == b"about"


def test_etags_give_304_and_results_are_fetch_results(tmp_path: Path) -> None:
    a = Assets(site(tmp_path), AssetsConfig("public"))
    served = a.match("GET", "http://x/app.js", {})
    assert served is not None
    headers = dict(served.headers)
    assert headers["content-type"] == "application/javascript; charset=utf-8" or headers["content-type"].startswith("text/javascript")
    again = a.match("GET", "http://x/app.js", {"if-none-match": headers["etag"]})
    assert again is not None and again.status == 304 and again.body == b""
    result = asset_result(served)
    assert result.trigger == "fetch" and result.status == 200 and result.status_text == "OK"


def test_the_manifest_checks_assets(tmp_path: Path) -> None:
    base = {"name": "a", "main": "x.ts"}
    m = parse_manifest({**base, "assets": {"directory": "public", "binding": "ASSETS", "html_handling": "none"}})
    assert m.assets == AssetsConfig("public", "ASSETS", "none") and parse_manifest(m.to_dict()) == m
    with pytest.raises(ManifestError, match="not_found_handling must be one of"):
        parse_manifest({**base, "assets": {"directory": "public", "not_found_handling": "spa"}})
    with pytest.raises(ManifestError, match="run_worker_first must be true or false"):
        parse_manifest({**base, "assets": {"directory": "public", "run_worker_first": ["/api/*"]}})
    with pytest.raises(ManifestError, match="same name as the assets binding"):
        parse_manifest({**base, "vars": {"ASSETS": "x"}, "assets": {"directory": "public", "binding": "ASSETS"}})


def test_publish_refuses_assets_it_cannot_serve_yet(make_project, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    from runtime.publish_client import PublishError, build_release

    root = make_project({"src/index.ts": "export default { fetch() { return new Response('x'); } };\n",
                         "public/index.html": "home"},
                        'name = "site"\nmain = "src/index.ts"\n[assets]\ndirectory = "public"\n')
    with pytest.raises(PublishError, match=r"\[assets\] \(static files\) are served by isoplay dev, run and the IDE"):
        build_release(root)


async def test_a_missing_directory_fails_the_build_as_wrangler_does(make_project) -> None:  # type: ignore[no-untyped-def]
    from runtime.invocation import HttpRequest
    from runtime.runner import run_once

    root = make_project({"src/index.ts": "export default { fetch() { return new Response('x'); } };\n"},
                        'name = "site"\nmain = "src/index.ts"\n[assets]\ndirectory = "dist"\n')
    with pytest.raises(ManifestError, match="the assets directory 'dist' does not exist"):
        await run_once(root, HttpRequest("GET", "http://x/"))
