"""wrangler.toml / wrangler.json / wrangler.jsonc read as isoplay manifests (runtime.compat.wrangler)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from runtime.bundler import load_written
from runtime.compat import jsonc, tomlpos
from runtime.compat.wrangler import dev_vars, find_config, latest_supported_date, load_manifest
from runtime.errors import ManifestError
from runtime.manifest import parse_manifest
from runtime.project import Project, env_declaration

TODAY = dt.date(2026, 12, 4)


def write(root: Path, files: dict[str, str]) -> Path:
    for rel, text in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return root


FULL_TOML = """\
name = "shop"
main = "src/index.ts"
compatibility_date = "2025-01-15"
compatibility_flags = ["nodejs_compat"]
routes = ["shop.example.com/*", { pattern = "api.example.com/*", zone_name = "example.com" }]

[vars]
GREETING = "hi"
RETRIES = 3
FEATURES = { search = true, beta = ["a"] }

[[kv_namespaces]]
binding = "CACHE"
id = "abc"
preview_id = "abc-preview"

[triggers]
crons = ["*/5 * * * *"]

[limits]
cpu_ms = 50000

[[rules]]
type = "Text"
globs = ["**/*.md"]
fallthrough = true

[env.staging]
name = "shop-stage"
vars = { GREETING = "hello staging" }
kv_namespaces = [{ binding = "CACHE", id = "def" }]

[env.bare]
compatibility_date = "2024-06-01"
"""


def test_toml_config_becomes_a_manifest(tmp_path: Path) -> None:
    write(tmp_path, {"wrangler.toml": FULL_TOML})
    m = load_manifest(tmp_path, today=TODAY)
    assert (m.name, m.main, m.source, m.environment) == ("shop", "src/index.ts", "wrangler.toml", None)
    assert m.compatibility_date == "2025-01-15" and m.compatibility_flags == ("nodejs_compat",)
    assert m.vars == {"GREETING": "hi", "RETRIES": 3, "FEATURES": {"search": True, "beta": ["a"]}}
    assert [(k.binding, k.id, k.preview_id) for k in m.kv_namespaces] == [("CACHE", "abc", "abc-preview")]
    assert m.crons == ("*/5 * * * *",)
    assert m.limits.cpu_ms == 50000 and m.limits.timeout_ms == 50000  # raised to cpu_ms
    assert m.routes == ("shop.example.com/*", "api.example.com/* (zone example.com)")
    assert m.rules == (("Text", ("**/*.md",), True),)
    assert m.fetch_allow == ("*",)


def test_environments_inherit_what_wrangler_inherits(tmp_path: Path) -> None:
    write(tmp_path, {"wrangler.toml": FULL_TOML})
    staging = load_manifest(tmp_path, "staging", today=TODAY)
    assert staging.name == "shop-stage"  # set explicitly
    assert staging.vars == {"GREETING": "hello staging"}  # vars are not inherited
    assert [(k.binding, k.id) for k in staging.kv_namespaces] == [("CACHE", "def")]
    assert staging.compatibility_flags == ("nodejs_compat",) and staging.crons == ("*/5 * * * *",)  # inherited
    bare = load_manifest(tmp_path, "bare", today=TODAY)
    assert bare.name == "shop-bare" and bare.compatibility_date == "2024-06-01"
    assert bare.vars == {} and bare.kv_namespaces == ()
    assert any("vars exists at the top level but not in env.bare" in w for w in bare.warnings)
    with pytest.raises(ManifestError, match=r"no environment 'prod' in wrangler.toml \(environments: bare, staging\)"):
        load_manifest(tmp_path, "prod", today=TODAY)


def test_cloudflare_env_variable_selects_the_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write(tmp_path, {"wrangler.toml": FULL_TOML})
    monkeypatch.setenv("CLOUDFLARE_ENV", "staging")
    assert load_manifest(tmp_path, today=TODAY).environment == "staging"
    assert Project.open(tmp_path).manifest().vars == {"GREETING": "hello staging"}


JSONC = """\
// comments are fine
{
  "name": "api",
  /* block
     comment */
  "main": "src/index.ts",
  "compatibility_date": "2025-02-01",
  "vars": { "URL": "https://example.com//not-a-comment", },
  "kv_namespaces": [ { "binding": "KV", }, ],
}
"""


@pytest.mark.parametrize("name", ["wrangler.json", "wrangler.jsonc"])
def test_jsonc_with_comments_and_trailing_commas(tmp_path: Path, name: str) -> None:
    write(tmp_path, {name: JSONC})
    m = load_manifest(tmp_path, today=TODAY)
    assert m.source == name and m.vars == {"URL": "https://example.com//not-a-comment"}
    assert [k.binding for k in m.kv_namespaces] == ["KV"]


def test_lookup_order_is_wranglers(tmp_path: Path) -> None:
    write(tmp_path, {"wrangler.toml": 'name = "t"\nmain = "a.ts"\n', "wrangler.jsonc": '{"name": "j", "main": "a.ts"}'})
    assert find_config(tmp_path).name == "wrangler.jsonc"
    write(tmp_path, {"wrangler.json": '{"name": "k", "main": "a.ts"}'})
    assert find_config(tmp_path).name == "wrangler.json"
    write(tmp_path, {"isoplay.toml": 'name = "own"\nmain = "a.ts"\n'})
    assert Project.open(tmp_path).manifest().name == "own"  # isoplay.toml wins


@pytest.mark.parametrize(
    ("text", "where", "message"),
    [
        ('name = "a"\nmain = "x.ts"\ncompatibility_date = "not-a-date"\n', "wrangler.toml:3:1",
         'compatibility_date must be a date written "YYYY-MM-DD"'),
        ('name = "a"\nmain = "x.ts"\ncompatibility_date = "2025-02-30"\n', "wrangler.toml:3:1", "is not a real date"),
        ('name = "a"\nmain = "x.ts"\ncompatibility_date = "2031-01-01"\n', "wrangler.toml:3:1", "is in the future"),
        ('name = "a"\nmain = "x.ts"\n\n[vars]\nok = 1\n"bad-name" = 2\n', "wrangler.toml:6:1", "not a valid JavaScript identifier"),
        ('name = "a"\nmain = "x.ts"\n[[kv_namespaces]]\nbinding = "A"\n[[kv_namespaces]]\nbinding = "A"\n',
         "wrangler.toml:6:1", "declared twice"),
        ('name = "a"\nmain = "x.ts"\n[triggers]\ncrons = ["* * * * *", "61 * * * *"]\n', "wrangler.toml:4:23",
         "not a valid cron expression"),
        ('name = "a"\nmain = "x.ts"\n[limits]\ncpu_ms = "lots"\n', "wrangler.toml:4:1", "limits.cpu_ms must be a positive integer"),
        ('name = "a"\nmain = "x.ts"\n[[rules]]\ntype = "Blob"\nglobs = ["*.x"]\n', "wrangler.toml:4:1", "rules[0].type must be one of"),
        ('name = "a"\nmain = "x.ts"\ncompatibility_flags = ["nodejs_compat", "Bad Flag"]\n', "wrangler.toml:3:41",
         "compatibility_flags[1] must be a flag name"),
        ('name = "a"\nmain = "x.ts"\nroutes = [5]\n', "wrangler.toml:3:11", "a route is a pattern string"),
        ('name = "a"\nmain = = "x"\n', "wrangler.toml:2:8", "invalid TOML"),
        ('name = "a"\n', "wrangler.toml:1:1", "has no main"),
    ],
)
def test_errors_point_at_file_line_and_key(tmp_path: Path, text: str, where: str, message: str) -> None:
    write(tmp_path, {"wrangler.toml": text})
    with pytest.raises(ManifestError) as info:
        load_manifest(tmp_path, today=TODAY)
    assert str(info.value).startswith(where + ": "), str(info.value)
    assert message in str(info.value)


def test_jsonc_errors_point_at_the_real_position(tmp_path: Path) -> None:
    write(tmp_path, {"wrangler.jsonc": '{\n  // c\n  "name": "a",\n  "main": "x.ts",\n  "vars": {"A": 1,, }\n}\n'})
    with pytest.raises(ManifestError) as info:
        load_manifest(tmp_path, today=TODAY)
    assert str(info.value).startswith("wrangler.jsonc:5:19: invalid JSON"), str(info.value)
    write(tmp_path, {"wrangler.jsonc": '{\n  "name": "a",\n  "main": "x.ts",\n  "env": {\n    "st": {\n'
                                       '      "compatibility_date": "2025-13-01"\n    }\n  }\n}\n'})
    with pytest.raises(ManifestError) as info:
        load_manifest(tmp_path, "st", today=TODAY)
    assert str(info.value).startswith("wrangler.jsonc:6:7: compatibility_date '2025-13-01' is not a real date")


def test_unknown_and_unsupported_keys_warn_and_do_not_fail(tmp_path: Path) -> None:
    write(tmp_path, {"wrangler.toml": 'name = "a"\nmain = "x.ts"\ncompatibility_date = "2025-01-01"\ncolour = "blue"\n'
                                      'workers_dev = true\n[[queues.producers]]\nbinding = "DB"\nqueue = "x"\n'
                                      '[build]\ncommand = "make"\n'})
    m = load_manifest(tmp_path, today=TODAY)
    text = "\n".join(m.warnings)
    assert "wrangler.toml:4:1: unexpected field 'colour'" in text
    assert "wrangler.toml:9:1: build is not supported by isoplay" in text
    assert "queue bindings are not supported by isoplay yet (DB)" in text
    assert "workers_dev" not in text  # no local effect under wrangler dev either
    assert m.unsupported_bindings == (("DB", "queue"),)


def test_missing_date_and_name_fall_back_with_warnings(tmp_path: Path) -> None:
    root = tmp_path / "My_Worker"
    write(root, {"wrangler.toml": 'main = "x.ts"\n'})
    m = load_manifest(root, today=TODAY)
    assert m.name == "my-worker" and m.compatibility_date == latest_supported_date()
    assert any("no compatibility_date" in w for w in m.warnings) and any("no name given" in w for w in m.warnings)


def test_newer_date_than_supported_falls_back(tmp_path: Path) -> None:
    latest = dt.date.fromisoformat(latest_supported_date())
    newer = (latest + dt.timedelta(days=1)).isoformat()
    write(tmp_path, {"wrangler.toml": f'name = "a"\nmain = "x.ts"\ncompatibility_date = "{newer}"\n'})
    m = load_manifest(tmp_path, today=latest + dt.timedelta(days=5))
    assert m.compatibility_date == latest.isoformat()
    assert any("newer than the newest isoplay supports" in w for w in m.warnings)


def test_dev_vars_then_env_files(tmp_path: Path) -> None:
    write(tmp_path, {".env": "A=from-env\nB=env-only\n", ".env.local": "B=local\n"})
    assert dev_vars(tmp_path) == {"A": "from-env", "B": "local"}
    write(tmp_path, {".dev.vars": '# comment\nA="quoted value"\nexport C=3\n'})
    assert dev_vars(tmp_path) == {"A": "quoted value", "C": "3"}  # .dev.vars wins whole, as in wrangler
    write(tmp_path, {".dev.vars.staging": "A=stage\n"})
    assert dev_vars(tmp_path, "staging") == {"A": "stage"}
    write(tmp_path, {".dev.vars": "not-an-identifier=1\n"})
    with pytest.raises(ManifestError, match="not a valid JavaScript identifier"):
        dev_vars(tmp_path)


def test_secrets_toml_overrides_dev_vars(tmp_path: Path) -> None:
    write(tmp_path, {"wrangler.toml": 'name = "a"\nmain = "x.ts"\ncompatibility_date = "2025-01-01"\n',
                     ".dev.vars": "TOKEN=dev\nOTHER=o\n", ".isoplay/secrets.toml": 'TOKEN = "own"\n'})
    assert Project.open(tmp_path).secrets() == {"TOKEN": "own", "OTHER": "o"}


def test_manifest_round_trips_through_a_written_bundle(tmp_path: Path) -> None:
    write(tmp_path, {"wrangler.toml": FULL_TOML})
    m = load_manifest(tmp_path, "staging", today=TODAY)
    again = parse_manifest(m.to_dict(), "manifest.json")
    assert again == m


def test_env_types_follow_json_vars(tmp_path: Path) -> None:
    write(tmp_path, {"wrangler.toml": FULL_TOML + '\n[[r2_buckets]]\nbinding = "FILES"\nbucket_name = "f"\n'})
    text = env_declaration(load_manifest(tmp_path, today=TODAY), {"API_KEY": "x"})
    assert "Generated by isoplay from wrangler.toml" in text
    assert "readonly RETRIES: number;" in text
    assert 'readonly FEATURES: { "search": boolean; "beta": string[] };' in text
    assert "readonly API_KEY: string;" in text and "readonly CACHE: KVNamespace;" in text
    assert "readonly FILES: R2Bucket;" in text  # R2 is implemented (runtime/r2)


def test_jsonc_parser_keeps_positions() -> None:
    text = '{\n  "a": [1, 2,],  // x\n  "b": {"c": "/*not*/"}, /* y */\n}'
    assert jsonc.loads(text) == {"a": [1, 2], "b": {"c": "/*not*/"}}
    pos = jsonc.key_positions(text)
    assert pos[("a",)] == (2, 3) and pos[("a", 1)] == (2, 12) and pos[("b", "c")] == (3, 9)
    with pytest.raises(jsonc.JsoncError) as info:
        jsonc.loads('{\n  "a": 1\n  "b": 2\n}')
    assert (info.value.line, info.value.column) == (3, 3)
    with pytest.raises(jsonc.JsoncError, match="unterminated"):
        jsonc.loads("{ /* never closed }")


def test_toml_locator_finds_tables_arrays_and_dotted_keys() -> None:
    pos = tomlpos.key_positions('a = 1\n[env.prod]\nvars.X = "y"\n[[env.prod.kv_namespaces]]\nbinding = "K"\n'
                                '[[env.prod.kv_namespaces]]\nbinding = "L"\n')
    assert pos[("a",)] == (1, 1)
    assert pos[("env", "prod", "vars", "X")] == (3, 1)
    assert pos[("env", "prod", "kv_namespaces", 1, "binding")] == (7, 1)


def test_a_wrangler_bundle_is_written_and_read_back(tmp_path: Path) -> None:
    from runtime.bundler import bundle_sync

    write(tmp_path, {"wrangler.jsonc": '{"name": "w", "main": "src/index.ts", "compatibility_date": "2025-01-01",'
                                       ' "compatibility_flags": ["nodejs_compat"], "vars": {"N": 1}}',
                     "src/index.ts": "export default { fetch() { return new Response('x'); } };"})
    built = bundle_sync(tmp_path, manifest=Project.open(tmp_path).manifest())
    paths = built.write(tmp_path / "dist")
    again = load_written(paths["script"])
    assert again.manifest == built.manifest and again.manifest.vars == {"N": 1}


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("wrangler.jsonc", "[" * 5000 + "]" * 5000, "nested too deeply"),
        ("wrangler.toml", "a = " + "[" * 5000 + "]" * 5000, "nested too deeply"),
        ("wrangler.json", '{"name": "a", "main": "x.ts", "vars": {"N": ' + "9" * 5000 + "}}", "too many digits"),
        ("wrangler.toml", b"name = \"\xff\"\n", "not UTF-8 text"),
        ("wrangler.jsonc", " " * (1024 * 1024 + 1), "larger than"),
    ],
)
def test_hostile_configs_fail_in_one_line(tmp_path: Path, name: str, content: str | bytes, message: str) -> None:
    path = tmp_path / name
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, encoding="utf-8")
    with pytest.raises(ManifestError) as info:
        load_manifest(tmp_path, today=TODAY)
    assert message in str(info.value) and "\n" not in str(info.value)


def test_cli_env_flag_and_config_summary(tmp_path: Path, tools, capsys: pytest.CaptureFixture[str],  # type: ignore[no-untyped-def]
                                         monkeypatch: pytest.MonkeyPatch) -> None:
    import json

    from app.cli import main

    monkeypatch.setenv("CLOUDFLARE_ENV", "")  # recorded first, so teardown restores the original state
    write(tmp_path, {"wrangler.toml": "colour = 1\n" + FULL_TOML.replace('compatibility_flags = ["nodejs_compat"]\n', ""),
                     "src/index.ts": "export default { fetch(r: Request, env: { GREETING: string }) {"
                                     " return new Response(env.GREETING); } };"})
    code = main(["run", str(tmp_path), "--env", "staging", "--json"])
    monkeypatch.delenv("CLOUDFLARE_ENV")  # the flag exported it (for child processes)
    out, err = capsys.readouterr()
    assert code == 0 and json.loads(out)["body"] == "hello staging"
    assert "wrangler.toml [env staging]: compatibility_date 2025-01-15" in err
    assert "routes (not used locally) shop.example.com/*" in err and "cpu_ms 50000" in err
    assert "unexpected field 'colour'" in err


def test_d1_databases_become_bindings(tmp_path: Path) -> None:
    write(tmp_path, {"wrangler.jsonc": '{"name": "a", "main": "x.ts", "compatibility_date": "2025-01-01",\n'
                                       ' "d1_databases": [{"binding": "DB", "database_name": "prod", "database_id": "uuid-1",\n'
                                       '   "migrations_dir": "db/migrations"}]}\n'})
    m = load_manifest(tmp_path, today=TODAY)
    assert [(d.binding, d.database_name, d.database_id, d.key) for d in m.d1_databases] == [("DB", "prod", "uuid-1", "uuid-1")]
    assert m.unsupported_bindings == () and not any("D1" in w for w in m.warnings)
    write(tmp_path, {"wrangler.jsonc": '{"name": "a", "main": "x.ts", "compatibility_date": "2025-01-01",\n'
                                       ' "d1_databases": [{"binding": "DB", "database_id": 7}]}\n'})
    with pytest.raises(ManifestError) as info:
        load_manifest(tmp_path, today=TODAY)
    assert str(info.value).startswith("wrangler.jsonc:2:") and "d1_databases[0].database_id must be a string" in str(info.value)
