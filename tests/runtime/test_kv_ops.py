"""The kv.* host ops at the op boundary: JSON in, settle triple out."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from runtime import hostops
from runtime.kv import KVNamespaceStore, KVStore

T0 = 1_700_000_000.0


class Host:
    """A HostContext stand-in whose kv() is backed by a real store."""

    script_name = "t"
    fetch_allow: tuple[str, ...] = ()

    def __init__(self, store: KVStore, bindings: tuple[str, ...] = ("KV",)) -> None:
        self.store = store
        self.bindings = bindings

    def kv(self, binding: str) -> KVNamespaceStore:
        if binding not in self.bindings:
            raise KeyError(binding)
        return self.store.namespace(binding)

    def http(self) -> Any:
        raise AssertionError("not used")


@pytest.fixture
def store(tmp_path: Path) -> Iterator[KVStore]:
    with KVStore.for_data_dir(tmp_path, now=lambda: T0) as s:
        yield s


@pytest.fixture
def host(store: KVStore) -> Host:
    return Host(store)


async def call(host: Host, op: str, args: Any) -> Any:
    """Run an op; return its value or raise AssertionError with the JS error."""
    op_id, ok, value = await hostops.dispatch(host, [7, op, args])
    assert op_id == 7
    if not ok:
        raise AssertionError(value)
    return value


async def fail(host: Host, op: str, args: Any) -> dict[str, str]:
    """Run an op that must reject; return its {name, message}."""
    _, ok, value = await hostops.dispatch(host, [1, op, args])
    assert not ok, value
    return dict(value)


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


async def test_put_get_text_and_bytes(host: Host) -> None:
    assert await call(host, "kv.put", {"binding": "KV", "key": "t", "value": {"text": "héllo"}}) is None
    assert await call(host, "kv.put", {"binding": "KV", "key": "b", "value": {"b64": b64(b"\x00\xff")}}) is None
    assert await call(host, "kv.get", {"binding": "KV", "key": "t", "type": "text"}) == {"text": "héllo"}
    assert await call(host, "kv.get", {"binding": "KV", "key": "t", "type": "bytes"}) == {"b64": b64("héllo".encode())}
    assert await call(host, "kv.get", {"binding": "KV", "key": "b", "type": "bytes"}) == {"b64": b64(b"\x00\xff")}
    # invalid UTF-8 read as text decodes with U+FFFD, as TextDecoder does
    assert await call(host, "kv.get", {"binding": "KV", "key": "b", "type": "text"}) == {"text": "\x00\ufffd"}
    assert await call(host, "kv.get", {"binding": "KV", "key": "nope", "type": "text"}) is None


async def test_get_with_metadata_and_expiration(host: Host, store: KVStore) -> None:
    args = {"binding": "KV", "key": "k", "value": {"text": "v"}, "expirationTtl": 120, "metadata": '{"a":[1,2]}'}
    await call(host, "kv.put", args)
    got = await call(host, "kv.getWithMetadata", {"binding": "KV", "key": "k", "type": "text"})
    assert got == {"value": {"text": "v"}, "metadata": {"a": [1, 2]}}
    missing = await call(host, "kv.getWithMetadata", {"binding": "KV", "key": "x", "type": "text"})
    assert missing == {"value": None, "metadata": None}
    entry = store.namespace("KV").get_with_metadata("k")
    assert entry is not None and entry.expiration == int(T0) + 120


async def test_delete_and_list(host: Host) -> None:
    for key in ["b", "a", "c"]:
        await call(host, "kv.put", {"binding": "KV", "key": key, "value": {"text": key}, "metadata": '{"k":1}'})
    await call(host, "kv.delete", {"binding": "KV", "key": "c"})
    page = await call(host, "kv.list", {"binding": "KV", "limit": 1})
    assert page["keys"] == [{"name": "a", "metadata": {"k": 1}}]
    assert page["list_complete"] is False
    rest = await call(host, "kv.list", {"binding": "KV", "cursor": page["cursor"], "prefix": None})
    assert rest == {"keys": [{"name": "b", "metadata": {"k": 1}}], "list_complete": True}
    json.dumps(rest)  # the result crosses as JSON


@pytest.mark.parametrize(
    ("op", "args", "message"),
    [
        ("kv.put", {"key": "k" * 513, "value": {"text": "v"}},
         "KV PUT failed: 414 UTF-8 encoded length of 513 exceeds key length limit of 512."),
        ("kv.get", {"key": "k" * 513, "type": "text"}, "KV GET failed: 414 UTF-8 encoded length of 513"),
        ("kv.delete", {"key": ""}, "KV DELETE failed: 400 Key names must not be empty"),
        ("kv.put", {"key": "k", "value": {"text": "v"}, "expirationTtl": 10},
         "Invalid expiration_ttl of 10. Expiration TTL must be at least 60."),
        ("kv.put", {"key": "k", "value": {"text": "v"}, "expirationTtl": "NaN"},
         "Invalid expiration_ttl of NaN. Please specify integer greater than 0."),
        ("kv.put", {"key": "k", "value": {"text": "v"}, "expiration": T0},
         "Expiration times must be at least 60 seconds in the future."),
        ("kv.put", {"key": "k", "value": {"text": "v"}, "metadata": json.dumps({"m": "x" * 1100})},
         "Metadata length of 1109 exceeds limit of 1024."),
        ("kv.put", {"key": "k", "value": {"b64": b64(bytes(25 * 1024 * 1024 + 1))}},
         "Value length of 26214401 exceeds limit of 26214400."),
        ("kv.get", {"key": "k", "type": "text", "cacheTtl": 5}, "Invalid cache_ttl of 5."),
        ("kv.list", {"limit": 5000}, "Invalid key_count_limit of 5000."),
        ("kv.list", {"cursor": "%%%"}, "Invalid cursor"),
        ("kv.list", {"prefix": "p" * 600}, "KV LIST failed: 414"),
    ],
)
async def test_limits_reject_with_type_error(host: Host, op: str, args: dict[str, Any], message: str) -> None:
    error = await fail(host, op, {"binding": "KV", **args})
    assert error["name"] == "TypeError"
    assert message in error["message"]


@pytest.mark.parametrize(
    ("op", "args", "message"),
    [
        ("kv.get", {"binding": "KV", "key": 5, "type": "text"}, "KV key must be a string, not int"),
        ("kv.get", {"binding": "KV", "key": "k", "type": "stream"}, "KV get type must be one of text, bytes"),
        ("kv.put", {"binding": "KV", "key": "k", "value": 3}, "value must be a string, ArrayBuffer"),
        ("kv.put", {"binding": "KV", "key": "k", "value": {"b64": "@@"}}, "not valid base64"),
        ("kv.put", {"binding": "KV", "key": "k", "value": {"text": ""}, "expirationTtl": True}, "must be a number"),
        ("kv.put", {"binding": "KV", "key": "k", "value": {"text": ""}, "metadata": {"a": 1}},
         "KV metadata must be a string"),
        ("kv.list", {"binding": "KV", "limit": "10"}, "KV limit must be a number, not str"),
        ("kv.list", [], "arguments must be an object"),
        ("kv.get", {"binding": "NOPE", "key": "k", "type": "text"}, "no KV namespace is bound to 'NOPE'"),
        ("kv.get", {"key": "k", "type": "text"}, "KV binding must be a string"),
    ],
)
async def test_bad_arguments_reject_with_type_error(host: Host, op: str, args: Any, message: str) -> None:
    error = await fail(host, op, args)
    assert error == {"name": "TypeError", "message": error["message"]}
    assert message in error["message"]


async def test_failed_put_writes_nothing(host: Host, store: KVStore) -> None:
    await fail(host, "kv.put", {"binding": "KV", "key": "k", "value": {"text": "v"}, "expirationTtl": 1})
    assert store.statistics().keys == 0


async def test_lone_surrogates_are_stored_as_replacement_characters(host: Host) -> None:
    await call(host, "kv.put", {"binding": "KV", "key": "a\ud800", "value": {"text": "x\udc00"}})
    assert await call(host, "kv.get", {"binding": "KV", "key": "a\ufffd", "type": "text"}) == {"text": "x\ufffd"}
