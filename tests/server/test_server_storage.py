"""Deployment storage: atomic deploys, crash recovery, immutability; tokens; version ranges."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from runtime.bundler import Bundle
from runtime.manifest import parse_manifest
from runtime.server.errors import Conflict, NotFound, StorageCorrupted, Unauthorized
from runtime.server.sqlite_storage import SqliteDeploymentStorage
from runtime.server.tokens import authenticate, create_token, hash_token
from runtime.server.versions import InvalidVersion, parse_range, resolve


def tiny(version: str, body: str = "ok", name: str = "app") -> Bundle:
    """A bundle built without esbuild (storage does not care what the code is)."""
    manifest = parse_manifest({"name": name, "version": version, "main": "src/index.ts"})
    code = f'var __isoplay_module = {{ default: {{ fetch() {{ return new Response("{body}"); }} }} }};'
    return Bundle(manifest=manifest, code=code, sourcemap='{"version":3,"sources":[],"mappings":""}')


def test_deploy_list_live_and_reload(tmp_path: Path) -> None:
    storage = SqliteDeploymentStorage.open(tmp_path)
    first = storage.deploy("app", tiny("1.0.0"), promote=True, now=1.0)
    assert first.created and first.live and first.previous_live is None
    staged = storage.deploy("app", tiny("1.10.0"), promote=False, now=2.0)
    assert staged.created and not staged.live
    storage.deploy("app", tiny("1.2.0"), promote=True, now=3.0)
    assert [v.version for v in storage.list_versions("app")] == ["1.10.0", "1.2.0", "1.0.0"]
    assert storage.get_app("app").live_version == "1.2.0"  # type: ignore[union-attr]
    record = storage.get_version("app", "1.0.0")
    assert record is not None and storage.load_bundle(record).code == tiny("1.0.0").code
    storage.close()
    reopened = SqliteDeploymentStorage.open(tmp_path)
    assert reopened.get_app("app").live_version == "1.2.0"  # type: ignore[union-attr]
    reopened.close()


def test_conflicts_and_live_deletion_are_refused(tmp_path: Path) -> None:
    storage = SqliteDeploymentStorage.open(tmp_path)
    storage.deploy("app", tiny("1.0.0"), promote=True, now=1.0)
    assert not storage.deploy("app", tiny("1.0.0"), promote=True, now=2.0).created
    with pytest.raises(Conflict):
        storage.deploy("app", tiny("1.0.0", body="changed"), promote=True, now=3.0)
    with pytest.raises(Conflict):
        storage.delete_version("app", "1.0.0")
    with pytest.raises(NotFound):
        storage.set_live("app", "2.0.0", now=4.0)
    with pytest.raises(NotFound):
        storage.delete_app("other")
    storage.close()


def test_a_damaged_bundle_is_detected(tmp_path: Path) -> None:
    storage = SqliteDeploymentStorage.open(tmp_path)
    result = storage.deploy("app", tiny("1.0.0"), promote=True, now=1.0)
    script = next(storage.bundle_dir(result.version.content_hash).glob("*.js"))
    script.write_text(script.read_text().replace("ok", "evil"))
    with pytest.raises(StorageCorrupted):
        storage.load_bundle(result.version)
    storage.close()


CRASH_SCRIPT = textwrap.dedent("""
    import os, sys
    sys.path.insert(0, {root!r})
    from tests_server_crash import tiny
    import runtime.server.sqlite_storage as mod

    storage = mod.SqliteDeploymentStorage.open({data!r})
    storage.deploy("app", tiny("1.0.0"), promote=True, now=1.0)
    point = {point!r}
    if point == "staging":  # files written, not yet renamed into place
        mod.commit_dir = lambda staged, final: os._exit(3)
    elif point == "before-commit":  # files in place, the registry transaction never ran
        real_commit = mod.commit_dir
        def commit_then_die(staged, final):
            real_commit(staged, final)
            os._exit(3)
        mod.commit_dir = commit_then_die
    storage.deploy("app", tiny("2.0.0"), promote=True, now=2.0)
    os._exit(0)
""")


@pytest.mark.parametrize("point", ["staging", "before-commit"])
def test_a_crash_mid_deploy_leaves_earlier_deploys_intact(tmp_path: Path, point: str) -> None:
    helper = tmp_path / "helper"
    helper.mkdir()
    (helper / "tests_server_crash.py").write_text(
        "from runtime.bundler import Bundle\nfrom runtime.manifest import parse_manifest\n\n"
        + "def tiny(version):\n"
        + "    m = parse_manifest({'name': 'app', 'version': version, 'main': 'src/index.ts'})\n"
        + "    return Bundle(manifest=m, code='var x = ' + repr(version) + ';', sourcemap='{}')\n")
    data = tmp_path / "data"
    script = CRASH_SCRIPT.format(root=str(helper), data=str(data), point=point)
    crashed = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60,
                             cwd=Path(__file__).resolve().parents[2])
    assert crashed.returncode == 3, crashed.stderr
    assert any((data / "staging").iterdir()) or any((data / "bundles").glob("*/*"))
    storage = SqliteDeploymentStorage.open(data)
    assert [v.version for v in storage.list_versions("app")] == ["1.0.0"]
    assert storage.get_app("app").live_version == "1.0.0"  # type: ignore[union-attr]
    storage.load_bundle(storage.list_versions("app")[0])
    assert list((data / "staging").iterdir()) == []
    assert len(list((data / "bundles").glob("*/*"))) == 1  # the orphan of the crashed deploy is gone
    assert storage.deploy("app", tiny("2.0.0", name="app"), promote=True, now=3.0).created
    storage.close()


def test_tokens_are_stored_hashed_and_compared_safely(tmp_path: Path) -> None:
    storage = SqliteDeploymentStorage.open(tmp_path)
    token = create_token(storage, "ci")
    assert token.startswith("isoplay_") and len(token) > 40
    assert [(digest, record.name, record.role, record.apps) for digest, record in storage.token_entries()] == [
        (hash_token(token), "ci", "admin", ("*",))]
    assert token not in (tmp_path / "registry.sqlite3").read_bytes().decode("latin-1")
    assert authenticate(storage, f"Bearer {token}").name == "ci"
    for header in (None, "", "Bearer", f"Basic {token}", f"Bearer {token}x"):
        with pytest.raises(Unauthorized):
            authenticate(storage, header)
    with pytest.raises(Conflict):
        create_token(storage, "ci")
    storage.remove_token("ci")
    with pytest.raises(Unauthorized):
        authenticate(storage, f"Bearer {token}")
    with pytest.raises(NotFound):
        storage.remove_token("ci")
    storage.close()


@pytest.mark.parametrize(("spec", "expected"), [
    ("1.2.3", "1.2.3"), ("1.2", "1.2.10"), ("1", "1.10.0"), ("latest", "2.0.0"), ("2", "2.0.0"),
    ("3", None), ("1.3", None), ("2.1.0-beta.1", "2.1.0-beta.1"), ("0", "0.9.0"),
])
def test_range_resolution(spec: str, expected: str | None) -> None:
    published = ["1.2.3", "1.2.10", "1.10.0", "2.0.0", "2.1.0-beta.1", "0.9.0"]
    assert resolve(parse_range(spec), published) == expected


def test_prereleases_only_when_nothing_else_matches() -> None:
    assert resolve(parse_range("3"), ["3.0.0-rc.1", "3.0.0-rc.2"]) == "3.0.0-rc.2"
    assert resolve(parse_range("latest"), ["1.0.0", "2.0.0-rc.1"]) == "1.0.0"


@pytest.mark.parametrize("spec", ["", "v1", "1.x", "01", "1.2.3.4", "^1.2", "latest "])
def test_bad_ranges_are_refused(spec: str) -> None:
    with pytest.raises(InvalidVersion):
        parse_range(spec)
