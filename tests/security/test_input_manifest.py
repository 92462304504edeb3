"""Hostile isoplay.toml files, read from disk by the real loader: every one is a one-line ManifestError.

Each case writes a real file and loads it with ``runtime.manifest.load_manifest`` (what ``run``, ``dev``,
``serve``'s publish client and the IDE call). The error must name the file and, for a bad value, the key
and its allowed range; nothing else (UnicodeDecodeError, OverflowError, RecursionError, ValueError) may escape.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from runtime.errors import ManifestError
from runtime.manifest import LIMIT_RANGES, load_manifest, load_secrets
from sec_harness import manifest_text, write_project

GOOD = manifest_text()


def load_error(root: Path) -> str:
    with pytest.raises(ManifestError) as info:
        load_manifest(root)
    message = str(info.value)
    assert "\n" not in message and len(message) < 400, message
    return message


def nested(depth: int) -> str:
    return "[" * depth + "1" + "]" * depth


FILE_ATTACKS = {
    "utf16-le-bom": (GOOD.encode("utf-16"), "is UTF-16 text; save it as UTF-8"),
    "utf16-be-bom": (b"\xfe\xff" + GOOD.encode("utf-16-be"), "is UTF-16 text"),
    "utf16-no-bom": (GOOD.encode("utf-16-le"), "looks like UTF-16 text"),
    "utf32-bom": (GOOD.encode("utf-32"), "is UTF-32 text"),
    "latin1": (GOOD.replace('V = "1"', 'V = "caf\u00e9"').encode("latin-1"), ":6:9: the file is not UTF-8 text (byte 0xe9)"),
    "random-binary": (bytes(range(256)) * 4, "NUL byte"),
    "nul-in-text": (GOOD.encode() + b"\x00\n", ":8: the file holds a NUL byte"),
    "elf-header": (b"\x7fELF\x02\x01\x01" + b"\x00" * 64, "NUL byte"),
    "truncated-utf8": (GOOD.encode() + b'X = "\xe2\x82"\n', "not UTF-8 text (byte 0xe2)"),
    "over-1mib": (GOOD.encode() + b"#" * (1024 * 1024 + 10), "larger than 1048576 bytes"),
    "deep-arrays": ((GOOD + f"\n[limits]\nx = {nested(5000)}\n").encode(), "nested too deeply"),
    "deep-inline-tables": ((GOOD.replace("[vars]\n", "") + "\nx = " + "{a=" * 3000 + "1" + "}" * 3000 + "\n").encode(),
                           "nested too deeply"),
    "5000-digit-int": ((GOOD + f"\n[limits]\ntimeout_ms = {'9' * 5000}\n").encode(), "too many digits"),
    "not-toml": (b"<html><body>hello</body></html>\n", "isoplay.toml: "),
}


@pytest.mark.parametrize("case", list(FILE_ATTACKS), ids=list(FILE_ATTACKS))
def test_hostile_file_bytes_are_one_clear_line(tmp_path: Path, case: str) -> None:
    data, expected = FILE_ATTACKS[case]
    root = write_project(tmp_path / "p", data)
    message = load_error(root)
    assert "isoplay.toml" in message and expected in message, message


def test_manifest_that_is_a_directory(tmp_path: Path) -> None:
    root = tmp_path / "p"
    (root / "isoplay.toml").mkdir(parents=True)
    assert "not found" in load_error(root)


def test_a_utf8_bom_is_accepted(tmp_path: Path) -> None:
    root = write_project(tmp_path / "p", b"\xef\xbb\xbf" + GOOD.encode())
    assert load_manifest(root).vars == {"V": "1"}


SECRETS_ATTACKS = {
    "utf16": ('A = "x"\n'.encode("utf-16"), "UTF-16"),
    "latin1": ('A = "\u00e9"\n'.encode("latin-1"), "not UTF-8"),
    "binary": (b"\x00\x01\x02", "NUL byte"),
    "bad-name": (b'"a b" = "x"\n', "not a valid JavaScript identifier"),
    "huge-value": (b'A = "' + b"x" * 70_000 + b'"\n', "at most 65536 allowed"),
}


@pytest.mark.parametrize("case", list(SECRETS_ATTACKS), ids=list(SECRETS_ATTACKS))
def test_hostile_secrets_file(tmp_path: Path, case: str) -> None:
    data, expected = SECRETS_ATTACKS[case]
    root = write_project(tmp_path / "p", GOOD)
    (root / ".isoplay").mkdir()
    (root / ".isoplay" / "secrets.toml").write_bytes(data)
    with pytest.raises(ManifestError) as info:
        load_secrets(root)
    assert "secrets.toml" in str(info.value) and expected in str(info.value), str(info.value)


# ---- [limits]: every key has a range ------------------------------------------------------------------
def _limits(key: str, value: str) -> str:
    extra = "max_isolates = 1024\n" if key == "min_idle" else ""
    return GOOD + f"\n[limits]\n{extra}{key} = {value}\n"


BAD_VALUES = {
    "below": lambda lo, hi: str(lo - 1),
    "above": lambda lo, hi: str(hi + 1),
    "huge": lambda lo, hi: "99999999999999999999999",
    "negative-huge": lambda lo, hi: "-99999999999999999999999",
    "float": lambda lo, hi: "1.5",
    "inf": lambda lo, hi: "inf",
    "nan": lambda lo, hi: "nan",
    "string": lambda lo, hi: '"100"',
    "bool": lambda lo, hi: "true",
    "array": lambda lo, hi: "[1]",
    "table": lambda lo, hi: "{ a = 1 }",
    "date": lambda lo, hi: "1979-05-27",
}


@pytest.mark.parametrize("kind", list(BAD_VALUES))
@pytest.mark.parametrize("key", list(LIMIT_RANGES))
def test_limit_values_out_of_range_or_type_name_key_and_range(tmp_path: Path, key: str, kind: str) -> None:
    low, high = LIMIT_RANGES[key]
    root = write_project(tmp_path / "p", _limits(key, BAD_VALUES[kind](low, high)))
    message = load_error(root)
    assert message.startswith("isoplay.toml: ") and f"[limits] {key} must be" in message, message
    assert f"from {low} to {high}" in message, message


@pytest.mark.parametrize("edge", ["low", "high"])
@pytest.mark.parametrize("key", list(LIMIT_RANGES))
def test_limit_edges_are_accepted(tmp_path: Path, key: str, edge: str) -> None:
    low, high = LIMIT_RANGES[key]
    value = low if edge == "low" else high
    root = write_project(tmp_path / "p", _limits(key, str(value)))
    assert getattr(load_manifest(root).limits, key) == value


# ---- strings, names, counts ----------------------------------------------------------------------------
BAD_FIELDS = {
    "name-newline": ('name = "app\\n"\nmain = "src/index.ts"\n', "name must match"),
    "name-nul": ('name = "a\\u0000b"\nmain = "src/index.ts"\n', "name must match"),
    "name-100k": (f'name = "{"a" * 100_000}"\nmain = "src/index.ts"\n', "(100000 characters)"),
    "name-int": ('name = 5\nmain = "src/index.ts"\n', "name must be a string"),
    "version-100k": (f'name = "a"\nversion = "1.0.0-{"a" * 100_000}"\nmain = "x.ts"\n', "version must be semver"),
    "main-nul": ('name = "a"\nmain = "src/\\u0000index.ts"\n', "main must be a relative path"),
    "main-long": (f'name = "a"\nmain = "{"a/" * 1000}x.ts"\n', "main must be a relative path of 1-1024"),
    "main-empty": ('name = "a"\nmain = ""\n', "main must be a relative path"),
    "main-table": ('name = "a"\nmain = { x = 1 }\n', "main must be a path to the entry file (got a table with 1"),
    "var-control-name": (GOOD + '"A\\u0007" = "x"\n', "[vars] name"),
    "var-long-name": (GOOD + f'{"A" * 300} = "x"\n', "must be 1-255 characters"),
    "var-huge-value": (GOOD + f'BIG = "{"x" * 70_000}"\n', "[vars] BIG is 70000 bytes (at most 65536 allowed)"),
    "var-nested": (GOOD + f"DEEP = {nested(200)}\n", "[vars] DEEP is nested deeper than 16 levels"),
    "too-many-vars": (GOOD + "".join(f'V{i} = "x"\n' for i in range(1100)), "[vars] has 1101 entries"),
    "var-shadows-binding": (GOOD.replace('V = "1"', 'KV = "1"') + '[[kv_namespaces]]\nbinding = "KV"\n',
                            "[vars] KV has the same name as the [[kv_namespaces]] binding 'KV'"),
    "binding-newline": (GOOD + '[[kv_namespaces]]\nbinding = "KV\\n"\n', "not a valid JavaScript identifier"),
    "binding-300": (GOOD + f'[[kv_namespaces]]\nbinding = "{"K" * 300}"\n', "not a valid JavaScript identifier"),
    "too-many-kv": (GOOD + "".join(f'[[kv_namespaces]]\nbinding = "K{i}"\n' for i in range(300)),
                    "[[kv_namespaces]] has 300 entries"),
    "cron-huge": (GOOD + f'[triggers]\ncrons = ["{"*" * 1000}"]\n', "at most 256 characters"),
    "cron-nul": (GOOD + '[triggers]\ncrons = ["* * * * *\\u0000"]\n', "without control characters"),
    "too-many-crons": (GOOD + "[triggers]\ncrons = [" + ", ".join(['"* * * * *"'] * 70) + "]\n",
                       "crons has 70 entries"),
    "fetch-port-99999": (GOOD + '[fetch]\nallow = ["example.com:99999"]\n', "(port 1-65535)"),
    "fetch-port-0": (GOOD + '[fetch]\nallow = ["example.com:0"]\n', "(port 1-65535)"),
    "fetch-newline": (GOOD + '[fetch]\nallow = ["example.com\\n"]\n', "is not a host or host:port"),
    "fetch-long": (GOOD + f'[fetch]\nallow = ["{"a" * 300}.com"]\n', "is not a host or host:port"),
    "fetch-too-many": (GOOD + "[fetch]\nallow = [" + ", ".join(f'"h{i}.com"' for i in range(1100)) + "]\n",
                       "allow has 1100 entries"),
    "compat-date-int": ('compatibility_date = 2024\nname = "a"\nmain = "x.ts"\n', "compatibility_date must be"),
    "compat-date-junk": ('compatibility_date = "tomorrow"\nname = "a"\nmain = "x.ts"\n',
                        'compatibility_date must be a date like "2024-09-23"'),
    "unknown-key-huge": (GOOD.replace("[vars]", f'{"k" * 5000} = 1\n[vars]'), "(5002 characters)"),
}


@pytest.mark.parametrize("case", list(BAD_FIELDS), ids=list(BAD_FIELDS))
def test_hostile_fields_are_named(tmp_path: Path, case: str) -> None:
    text, expected = BAD_FIELDS[case]
    message = load_error(write_project(tmp_path / "p", text))
    assert message.startswith("isoplay.toml: ") and expected in message, message
