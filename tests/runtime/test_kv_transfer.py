"""Export a namespace as a wrangler bulk file and import it back."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from runtime.errors import KVLimitError
from runtime.kv import KVStore
from runtime.kv.transfer import export_namespace, import_namespace

T0 = 1_700_000_000.0


class Clock:
    t = T0

    def __call__(self) -> float:
        return self.t


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def store(tmp_path: Path, clock: Clock) -> Iterator[KVStore]:
    with KVStore.for_data_dir(tmp_path, now=clock) as s:
        yield s


def test_export_then_import_round_trips(store: KVStore) -> None:
    kv = store.namespace("A")
    kv.put("text", "héllo", metadata={"m": [1]})
    kv.put("bin", b"\x00\xff\xfe")
    kv.put("ttl", "v", expiration_ttl=600)
    text = export_namespace(store, "A")
    items = json.loads(text)
    assert items == [
        {"key": "bin", "value": "AP/+", "base64": True},
        {"key": "text", "value": "héllo", "metadata": {"m": [1]}},
        {"key": "ttl", "value": "v", "expiration": int(T0) + 600},
    ]
    assert import_namespace(store, "B", text) == 3
    assert list(store.records("B")) == list(store.records("A"))


def test_import_accepts_ttl_skips_expired_and_can_replace(store: KVStore, clock: Clock) -> None:
    store.namespace("A").put("old", "x")
    text = json.dumps([
        {"key": "a", "value": "1", "expiration_ttl": 60},
        {"key": "gone", "value": "2", "expiration": int(T0) - 1},
        {"key": "soon", "value": "3", "expiration": int(T0) + 5},  # no 60 s minimum on import
    ])
    assert import_namespace(store, "A", text, replace=True) == 2
    assert [k.name for k in store.namespace("A").list().keys] == ["a", "soon"]
    clock.t += 10
    assert [k.name for k in store.namespace("A").list().keys] == ["a"]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("not json", "not JSON"),
        ('{"key": "a"}', "expected a JSON array"),
        ('[{"key": "ok", "value": "v"}, {"key": "a"}]', 'entry 1: "value" must be a string'),
        ('[{"key": "ok", "value": "v"}, 3]', "entry 1: expected an object"),
        ('[{"key": 1, "value": "v"}]', '"key" must be a string'),
        ('[{"key": "a", "value": "v", "ttl": 5}]', "unknown field 'ttl'"),
        ('[{"key": "a", "value": "@@", "base64": true}]', "not valid base64"),
        ('[{"key": "a", "value": "v", "expiration": "soon"}]', '"expiration" must be a number'),
        ('[{"key": "a", "value": "v", "expiration_ttl": 5}]', "Expiration TTL must be at least 60"),
        ('[{"key": "ok", "value": "v"}, {"key": "", "value": "v"}]', "Key names must not be empty"),
    ],
)
def test_bad_import_files_write_nothing(store: KVStore, text: str, message: str) -> None:
    with pytest.raises(KVLimitError, match=message):
        import_namespace(store, "A", text)
    assert store.statistics().keys == 0
