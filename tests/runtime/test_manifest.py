"""Manifest validation: every bad key is named with the expected type."""

from __future__ import annotations

from pathlib import Path

import pytest

from runtime.errors import ManifestError
from runtime.manifest import load_manifest, load_secrets, parse_manifest

GOOD = {
    "name": "hello", "version": "1.2.3", "main": "src/index.ts",
    "vars": {"GREETING": "hi"}, "kv_namespaces": [{"binding": "KV"}],
    "triggers": {"crons": ["*/5 * * * *"]}, "limits": {"timeout_ms": 1000, "memory_mb": 64},
    "fetch": {"allow": ["api.example.com", "127.0.0.1:8080"]},
}


def test_full_manifest_parses() -> None:
    m = parse_manifest(GOOD)
    assert (m.name, m.version, m.main) == ("hello", "1.2.3", "src/index.ts")
    assert m.vars == {"GREETING": "hi"}
    assert [kv.binding for kv in m.kv_namespaces] == ["KV"]
    assert m.crons == ("*/5 * * * *",)
    assert (m.limits.timeout_ms, m.limits.memory_mb) == (1000, 64)
    assert m.fetch_allow == ("api.example.com", "127.0.0.1:8080")


def test_defaults_mirror_workers() -> None:
    m = parse_manifest({"name": "a", "main": "x.ts"})
    assert m.limits.memory_mb == 128 and m.version == "0.1.0"


@pytest.mark.parametrize(
    ("patch", "expected"),
    [
        ({"name": "Hello World"}, "name must match"),
        ({"version": "1.2"}, "version must be semver"),
        ({"vars": {"A": None}}, "[vars] A must be a string or a JSON value"),
        ({"limits": {"timeout_ms": "fast"}}, "[limits] timeout_ms must be an integer from 1 to 3600000 (got a string 'fast')"),
        ({"limits": {"memory_mb": True}}, "[limits] memory_mb must be an integer"),
        ({"limits": {"timeout_ms": 0}}, "[limits] timeout_ms must be from 1 to 3600000 (got 0)"),
        ({"limits": {"cpu_secs": 5}}, "unknown key [limits] 'cpu_secs'"),
        ({"colour": "blue"}, "unknown key 'colour'"),
        ({"kv_namespaces": [{"binding": "my-kv"}]}, "not a valid JavaScript identifier"),
        ({"kv_namespaces": [{"binding": "A"}, {"binding": "A"}]}, "declared twice"),
        ({"triggers": {"crons": ["* * *"]}}, "must have 5 fields"),
        ({"triggers": {"crons": ["99 * * * *"]}}, "not a valid cron expression"),
        ({"fetch": {"allow": ["http://x.com/"]}}, "is not a host or host:port"),
        ({"main": 3}, "main must be a path"),
    ],
)
def test_bad_values_name_key_and_type(patch: dict, expected: str) -> None:
    with pytest.raises(ManifestError) as info:
        parse_manifest({**GOOD, **patch})
    assert expected in str(info.value)
    assert str(info.value).startswith("isoplay.toml: ")


def test_missing_and_broken_files(tmp_path: Path) -> None:
    with pytest.raises(ManifestError, match="not found"):
        load_manifest(tmp_path)
    (tmp_path / "isoplay.toml").write_text('name = "a"\nmain = \n', encoding="utf-8")
    with pytest.raises(ManifestError, match="line 2"):
        load_manifest(tmp_path)


def test_secrets_come_from_the_ignored_file(tmp_path: Path) -> None:
    assert load_secrets(tmp_path) == {}
    (tmp_path / ".isoplay").mkdir()
    (tmp_path / ".isoplay" / "secrets.toml").write_text('API_KEY = "s3cret"\n', encoding="utf-8")
    assert load_secrets(tmp_path) == {"API_KEY": "s3cret"}
    (tmp_path / ".isoplay" / "secrets.toml").write_text("API_KEY = 5\n", encoding="utf-8")
    with pytest.raises(ManifestError, match="API_KEY must be a string"):
        load_secrets(tmp_path)
