"""The pure KV validators: limits and production's message text."""

from __future__ import annotations

import pytest

from runtime.errors import KVLimitError
from runtime.kv import limits, validate

NOW = 1_700_000_000.0


def test_limits_match_workers_kv() -> None:
    assert limits.MAX_KEY_SIZE_BYTES == 512
    assert limits.MAX_VALUE_SIZE_BYTES == 25 * 1024 * 1024
    assert limits.MAX_METADATA_SIZE_BYTES == 1024
    assert limits.MIN_EXPIRATION_TTL_SECONDS == 60
    assert limits.MAX_LIST_LIMIT == 1000


@pytest.mark.parametrize(
    ("key", "message"),
    [
        ("a" * 513, "KV PUT failed: 414 UTF-8 encoded length of 513 exceeds key length limit of 512."),
        ("é" * 257, "KV PUT failed: 414 UTF-8 encoded length of 514 exceeds key length limit of 512."),
        ("", "KV PUT failed: 400 Key names must not be empty"),
        (".", 'KV PUT failed: 400 Illegal key name ".". Please use a different name.'),
        ("..", 'KV PUT failed: 400 Illegal key name "..". Please use a different name.'),
    ],
)
def test_bad_keys_are_refused_with_production_text(key: str, message: str) -> None:
    with pytest.raises(KVLimitError) as info:
        validate.validate_key("PUT", key)
    assert str(info.value) == message
    assert info.value.code == "kv_limit"


@pytest.mark.parametrize("key", ["a" * 512, "é" * 256, "...", "a/b", "🙂"])
def test_keys_within_limits_pass(key: str) -> None:
    validate.validate_key("GET", key)


def test_value_size_limit() -> None:
    validate.validate_value_size(limits.MAX_VALUE_SIZE_BYTES)
    with pytest.raises(KVLimitError, match=r"^KV PUT failed: 413 Value length of 26214401 exceeds limit of 26214400\.$"):
        validate.validate_value_size(limits.MAX_VALUE_SIZE_BYTES + 1)


def test_metadata_size_is_measured_in_utf8_bytes() -> None:
    validate.validate_metadata('"' + "a" * 1022 + '"')
    with pytest.raises(KVLimitError, match=r"Metadata length of 1026 exceeds limit of 1024\."):
        validate.validate_metadata('"' + "é" * 512 + '"')


@pytest.mark.parametrize(
    ("kwargs", "expected"),
    [
        ({"expiration": None, "expiration_ttl": None}, None),
        ({"expiration": None, "expiration_ttl": 60}, int(NOW) + 60),
        ({"expiration": None, "expiration_ttl": 90.9}, int(NOW) + 90),
        ({"expiration": NOW + 60, "expiration_ttl": None}, int(NOW) + 60),
        ({"expiration": NOW + 5, "expiration_ttl": 120}, int(NOW) + 120),  # ttl wins
    ],
)
def test_resolve_expiration(kwargs: dict[str, float | None], expected: int | None) -> None:
    assert validate.resolve_expiration(now=NOW, **kwargs) == expected


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"expiration_ttl": 59}, "Invalid expiration_ttl of 59. Expiration TTL must be at least 60."),
        ({"expiration_ttl": 0}, "Invalid expiration_ttl of 0. Please specify integer greater than 0."),
        ({"expiration_ttl": -5}, "Invalid expiration_ttl of -5. Please specify integer greater than 0."),
        ({"expiration_ttl": float("nan")}, "Invalid expiration_ttl of NaN. Please specify integer greater than 0."),
        ({"expiration": NOW - 10}, "Expiration times must be at least 60 seconds in the future."),
        ({"expiration": NOW + 59}, "Expiration times must be at least 60 seconds in the future."),
        ({"expiration": 0}, "Invalid expiration of 0. Please specify integer greater than the current number"),
        ({"expiration": float("inf")}, "Invalid expiration of Infinity."),
    ],
)
def test_bad_expirations_are_refused(kwargs: dict[str, float], message: str) -> None:
    with pytest.raises(KVLimitError) as info:
        validate.resolve_expiration(now=NOW, expiration=kwargs.get("expiration"), expiration_ttl=kwargs.get("expiration_ttl"))
    assert str(info.value).startswith("KV PUT failed: 400 ")
    assert message in str(info.value)


def test_validate_put_checks_key_first_and_returns_expiry() -> None:
    assert validate.validate_put("k", 3, now=NOW, expiration_ttl=60, metadata_json='{"a":1}') == int(NOW) + 60
    with pytest.raises(KVLimitError, match="414"):
        validate.validate_put("k" * 600, 10**9, now=NOW, expiration_ttl=1)


@pytest.mark.parametrize(
    ("limit", "expected"), [(None, 1000), (1, 1), (1000, 1000), (10.7, 10)]
)
def test_list_limit_accepts_1_to_1000(limit: float | None, expected: int) -> None:
    assert validate.validate_list_limit(limit) == expected


@pytest.mark.parametrize(
    ("limit", "message"),
    [
        (0, "KV LIST failed: 400 Invalid key_count_limit of 0. Please specify an integer greater than 0."),
        (1001, "KV LIST failed: 400 Invalid key_count_limit of 1001. Please specify an integer less than 1000."),
        (float("nan"), "KV LIST failed: 400 Invalid key_count_limit of NaN. Please specify an integer greater than 0."),
    ],
)
def test_list_limit_out_of_range(limit: float, message: str) -> None:
    with pytest.raises(KVLimitError) as info:
        validate.validate_list_limit(limit)
    assert str(info.value) == message


def test_cache_ttl_minimum() -> None:
    validate.validate_cache_ttl(None)
    validate.validate_cache_ttl(60)
    with pytest.raises(KVLimitError, match=r"^KV GET failed: 400 Invalid cache_ttl of 30\. Cache TTL must be at least 60\.$"):
        validate.validate_cache_ttl(30)


@pytest.mark.parametrize("key", ["", "a", "é/🙂", "x" * 512])
def test_cursor_round_trip(key: str) -> None:
    assert validate.decode_cursor(validate.encode_cursor(key)) == key


@pytest.mark.parametrize("cursor", ["!!!", "a b", "/w"])
def test_foreign_cursor_is_refused(cursor: str) -> None:
    with pytest.raises(KVLimitError, match="Invalid cursor"):
        validate.decode_cursor(cursor)


def test_lone_surrogates_become_replacement_characters() -> None:
    assert validate.to_usv("a\ud800b") == "a\ufffdb"
    assert validate.to_usv("plain") == "plain"
    assert validate.utf8_length("\ud800") == 3  # as U+FFFD, like TextEncoder
