"""The publish client's pure parts: token order, progress, version override, error lines."""

from __future__ import annotations

from collections.abc import Callable

from pathlib import Path

import httpx
import pytest

from runtime.bundler import Bundle
from runtime.publish_client import (
    PublishClient, PublishError, TokenMissing, normalize_server, resolve_token, upload_stream, with_version,
)


def test_token_comes_from_flag_then_env_then_keyring() -> None:
    keyring = {"http://srv:8788": "from-keyring"}
    lookup = keyring.get
    assert resolve_token("http://srv:8788", "flag", env={"ISOPLAY_TOKEN": "env"}, from_keyring=lookup) == "flag"
    assert resolve_token("http://srv:8788", None, env={"ISOPLAY_TOKEN": "env"}, from_keyring=lookup) == "env"
    assert resolve_token("http://srv:8788", None, env={}, from_keyring=lookup) == "from-keyring"
    with pytest.raises(TokenMissing, match="ISOPLAY_TOKEN"):
        resolve_token("http://other", None, env={}, from_keyring=lookup)

    def broken(server: str) -> str | None:
        raise TokenMissing("the system keyring is not available; set ISOPLAY_TOKEN")

    with pytest.raises(TokenMissing, match="ISOPLAY_TOKEN"):
        resolve_token("http://srv:8788", None, env={}, from_keyring=broken)


def test_upload_stream_reports_progress_to_the_total() -> None:
    seen: list[tuple[int, int]] = []
    body = b"x" * 150_000
    assert b"".join(upload_stream(body, lambda sent, total: seen.append((sent, total)))) == body
    assert seen[-1] == (150_000, 150_000) and [s for s, _ in seen] == sorted(s for s, _ in seen) and len(seen) == 3


def test_with_version_changes_the_hash(release: Callable[..., Bundle]) -> None:
    bundle = release("hello", "1.0.0")
    moved = with_version(bundle, "2.0.0")
    assert moved.manifest.version == "2.0.0" and moved.content_hash != bundle.content_hash
    assert with_version(bundle, "1.0.0") is bundle and moved.minified


def test_normalize_server() -> None:
    assert normalize_server("HTTP://Host:8788/") == "http://Host:8788"
    assert normalize_server("localhost:8788") == "http://localhost:8788"


def test_non_json_refusals_are_still_one_line() -> None:
    transport = httpx.MockTransport(lambda request: httpx.Response(502, text="<html>\n<b>Bad gateway</b>\n</html>"))
    with PublishClient("http://srv", "t", transport=transport) as client:
        with pytest.raises(PublishError) as caught:
            client.apps()
    assert str(caught.value) == "server answered 502: <html> <b>Bad gateway</b> </html>"
    assert caught.value.status == 502


def test_without_a_keyring_tokens_go_to_a_file_only_the_user_can_read(tmp_path: Path,
                                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    import stat

    from runtime.publish_client import keyring_token, store_token, token_file

    monkeypatch.setenv("ISOPLAY_CONFIG_DIR", str(tmp_path / "config"))
    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", "keyring.backends.fail.Keyring")
    assert keyring_token("http://srv:8788") is None
    where = store_token("http://srv:8788/", "tok-1")
    store_token("http://other:1", "tok-2")
    assert where == str(token_file()) and token_file().parent == tmp_path / "config"
    assert stat.S_IMODE(token_file().stat().st_mode) == 0o600
    assert keyring_token("http://srv:8788") == "tok-1" and keyring_token("http://other:1") == "tok-2"
    assert resolve_token("http://srv:8788", None, env={}) == "tok-1"
    store_token("http://srv:8788", "tok-3")  # the typed token replaces the remembered one
    assert keyring_token("http://srv:8788") == "tok-3"
    token_file().write_text("not json")  # a damaged file is no token, not a crash
    assert keyring_token("http://srv:8788") is None
