"""``.wasm`` imports (wrangler's CompiledWasm rule): compiled modules that ship with the bundle.

Real esbuild, real isolates, the real upload format, both stores and a real ``isoplay serve``.
"""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from runtime.bundler import Bundle, bundle_sync, load_written
from runtime.compat import wasm
from runtime.errors import BundleError
from runtime.invocation import HttpRequest
from runtime.manifest import parse_manifest
from runtime.runner import run_once
from runtime.server.errors import BadRequest
from runtime.server.upload import decode_upload, encode_upload

REPO = Path(__file__).resolve().parents[2]

# (module (func (export "add") (param i32 i32) (result i32) local.get 0 local.get 1 i32.add))
ADD_WASM = bytes.fromhex("0061736d0100000001070160027f7f017f030201000707010361646400000a09010700200020016a0b")
# (module (func (export "mul") (param i32 i32) (result i32) local.get 0 local.get 1 i32.mul))
MUL_WASM = ADD_WASM.replace(b"add", b"mul")[:-2] + b"\x6c\x0b"

CONFIG = 'name = "wasm-app"\nmain = "src/index.ts"\ncompatibility_date = "2025-01-01"\n'
SOURCE = '''import add from "./add.wasm";
import addAgain from "./add.wasm?module";
import mul from "../lib/mul.wasm";
const top = await WebAssembly.instantiate(add);
export default {
  async fetch(request: Request): Promise<Response> {
    const url = new URL(request.url);
    if (url.pathname === "/compile") {
      await WebAssembly.compile(new Uint8Array([0, 97, 115, 109, 1, 0, 0, 0]));
      return new Response("compiled");
    }
    if (url.pathname === "/throw") throw new Error("after the wasm imports");
    const again = new WebAssembly.Instance(addAgain, {});
    const m = await WebAssembly.instantiate(mul);
    const a = (top.exports as any).add(1, 2), b = (again.exports as any).add(40, 2), c = (m.exports as any).mul(6, 7);
    return new Response(`${a} ${b} ${c} ${add instanceof WebAssembly.Module} ${WebAssembly.Module.exports(mul)[0].name}`);
  },
};
'''
EXPECTED = b"3 42 42 true mul"


def wasm_project(root: Path, config: str = CONFIG, source: str = SOURCE) -> Path:
    (root / "src").mkdir(parents=True, exist_ok=True)
    (root / "lib").mkdir(exist_ok=True)
    (root / "wrangler.toml").write_text(config, encoding="utf-8")
    (root / "src" / "index.ts").write_text(source, encoding="utf-8")
    (root / "src" / "add.wasm").write_bytes(ADD_WASM)
    (root / "lib" / "mul.wasm").write_bytes(MUL_WASM)
    return root


def get(root: Path, path: str = "/") -> Any:
    return asyncio.run(run_once(root, HttpRequest("GET", "http://localhost" + path)))


def test_wasm_imports_are_compiled_modules_in_run(tmp_path: Path, tools: object) -> None:
    root = wasm_project(tmp_path / "p")
    result = get(root)
    assert result.ok, result.error
    assert result.body == EXPECTED


def run_built(root: Path, built: Bundle, path: str = "/") -> Any:
    """Invoke an already built bundle of ``root`` once in a fresh isolate."""
    from runtime.webapi.cache import SQLiteCacheStore
    from runtime.isolate import ScriptIsolate
    from runtime.kv.store import KVStore
    from runtime.project import Project
    from runtime.runner import host_for

    async def go() -> Any:
        project = Project.open(root)
        store, cache = KVStore(project.kv_path), SQLiteCacheStore(project.cache_path)
        host = host_for(project, built, store, cache)
        try:
            isolate = ScriptIsolate(built, host)
            try:
                return await isolate.invoke(HttpRequest("GET", "http://localhost" + path))
            finally:
                isolate.close()
        finally:
            await host.aclose()
            store.close()
            cache.close()

    return asyncio.run(go())


def test_a_minified_bundle_with_top_level_await_loads(tmp_path: Path, tools: object) -> None:
    # what `publish` builds: esbuild puts the minified ES module's export after the last statement
    built = bundle_sync(wasm_project(tmp_path / "p"), minify=True)
    result = run_built(tmp_path / "p", built)
    assert result.ok and result.body == EXPECTED, result.error


def test_compiling_bytes_at_run_time_stays_refused_with_the_rule(tmp_path: Path, tools: object) -> None:
    result = get(wasm_project(tmp_path / "p"), "/compile")
    assert not result.ok
    assert result.error.name == "CompileError"
    assert "import the .wasm file so it ships with the bundle" in result.error.message


def test_a_thrown_error_maps_to_the_typescript_line(tmp_path: Path, tools: object) -> None:
    result = get(wasm_project(tmp_path / "p"), "/throw")
    assert not result.ok and "after the wasm imports" in result.error.message
    assert "src/index.ts:12:" in result.error.stack, result.error.stack


def test_the_bundle_carries_its_modules_and_the_hash_covers_them(tmp_path: Path, tools: object) -> None:
    root = wasm_project(tmp_path / "p")
    built = bundle_sync(root, minify=True)
    assert sorted(built.wasm_modules.values()) == sorted([ADD_WASM, MUL_WASM])
    assert all(wasm.NAME_RE.match(name) for name in built.wasm_modules)
    assert wasm.MARKER not in built.code and built.code.count("__isoplay.wasm(") == 3
    # the same sources with other bytes in mul.wasm: a different bundle
    (root / "lib" / "mul.wasm").write_bytes(ADD_WASM)
    other = bundle_sync(root, minify=True)
    assert other.content_hash != built.content_hash
    # written and read back (what `isoplay bundle` and the SQLite store do)
    paths = built.write(tmp_path / "out")
    assert sum(1 for key in paths if key.startswith("wasm:")) == 2
    again = load_written(paths["script"])
    assert again.wasm_modules == built.wasm_modules and again.content_hash == built.content_hash


def test_link_keeps_every_column(tmp_path: Path) -> None:
    (tmp_path / "a-ABCD1234.wasm").write_bytes(ADD_WASM)
    code = f'var a="{wasm.MARKER}/a-ABCD1234.wasm",b="{wasm.MARKER}/a-ABCD1234.wasm?module";f(a,b);'
    linked, modules = wasm.link(code, tmp_path)
    assert len(linked) == len(code) and linked.index("f(a,b)") == code.index("f(a,b)")
    assert linked.startswith('var a=__isoplay.wasm("a-ABCD1234.wasm")' + " " * 7 + ',b=__isoplay.wasm("a-ABCD1234.wasm")')
    assert modules == {"a-ABCD1234.wasm": ADD_WASM}


def test_an_invalid_wasm_file_fails_the_build_naming_it(tmp_path: Path, tools: object) -> None:
    root = wasm_project(tmp_path / "p")
    (root / "src" / "add.wasm").write_bytes(b"\0asm\x01\0\0\0\x01\x7f")
    with pytest.raises(BundleError, match=r"add-\w+\.wasm is not a valid WebAssembly module: section 1 at byte 8 "
                                          r"runs past the end"):
        bundle_sync(root)


def test_validate_names_the_problem() -> None:
    assert wasm.validate(ADD_WASM) is None
    assert "magic" in str(wasm.validate(b"not wasm at all"))
    assert "version 2" in str(wasm.validate(b"\0asm\x02\0\0\0"))
    assert "unknown section id 99" in str(wasm.validate(b"\0asm\x01\0\0\0\x63\x00"))
    assert "bad length" in str(wasm.validate(b"\0asm\x01\0\0\0\x01\xff\xff\xff\xff\xff\xff"))


def _bundle_with(modules: dict[str, bytes]) -> Bundle:
    manifest = parse_manifest({"name": "w", "version": "1.0.0", "main": "src/index.ts"})
    return Bundle(manifest=manifest, code="var __isoplay_module = {};", sourcemap='{"version":3,"sources":[],'
                  '"mappings":""}', wasm_modules=modules)


def test_the_upload_format_carries_and_checks_modules() -> None:
    bundle = _bundle_with({"add-X.wasm": ADD_WASM})
    ctype, body = encode_upload(bundle)
    decoded = decode_upload(ctype, body)
    assert decoded.wasm_modules == {"add-X.wasm": ADD_WASM} and decoded.content_hash == bundle.content_hash
    # a module swapped in transit: the hash no longer matches
    swapped = body.replace(ADD_WASM, MUL_WASM)
    with pytest.raises(BadRequest, match="content hash mismatch"):
        decode_upload(ctype, swapped)
    # a part that is not WebAssembly, a name that is not a plain file name, an unknown part
    for modules, pattern in [({"add-X.wasm": b"\0asm\x01\0\0\0\x0a\x05\x00"}, "not valid: section 10"),
                             ({"../evil.wasm": ADD_WASM}, "needs a plain file name")]:
        ctype, body = encode_upload(_bundle_with(modules))
        with pytest.raises(BadRequest, match=pattern) as info:
            decode_upload(ctype, body)
        assert info.value.code == "invalid_wasm"
    ctype, body = encode_upload(bundle)
    with pytest.raises(BadRequest, match="unknown part 'extra'"):
        decode_upload(ctype, body.replace(b'name="wasm:add-X.wasm"', b'name="extra"'))


@pytest.fixture(params=["sqlite", "postgres"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Any]:
    from runtime.store import open_store

    spec = "" if request.param == "sqlite" else request.getfixturevalue("pg_url")
    storage = open_store(spec, tmp_path / "data")
    try:
        yield storage
    finally:
        storage.close()


def test_both_stores_keep_the_modules(store: Any) -> None:
    bundle = _bundle_with({"add-X.wasm": ADD_WASM, "mul-Y.wasm": MUL_WASM})
    store.deploy("w", bundle, promote=True, now=1.0)
    record = store.get_version("w", "1.0.0")
    assert record.size_bytes > len(ADD_WASM) + len(MUL_WASM)
    loaded = store.load_bundle(record)
    assert loaded.wasm_modules == bundle.wasm_modules and loaded.content_hash == bundle.content_hash
    store.delete_app("w")


def _isoplay(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    environ = {k: v for k, v in os.environ.items() if k not in ("ISOPLAY_TOKEN", "ISOPLAY_SERVER")}
    environ["PYTHON_KEYRING_BACKEND"] = "keyring.backends.fail.Keyring"
    environ.update(env or {})
    return subprocess.run([sys.executable, "-m", "app", *args], capture_output=True, text=True, cwd=REPO,
                          env=environ, timeout=120)


def test_publish_to_a_real_serve_stores_and_serves_the_modules(tmp_path: Path, tools: object) -> None:
    from runtime.server.sqlite_storage import SqliteDeploymentStorage
    from runtime.server.tokens import create_token
    from serve_process import ServeProcess

    data = tmp_path / "data"
    storage = SqliteDeploymentStorage.open(data)
    token = create_token(storage, "tests")
    storage.close()
    root = wasm_project(tmp_path / "p")
    server = ServeProcess(["--data", str(data), "--port", "0"])
    try:
        published = _isoplay("publish", str(root), "--server", server.url, env={"ISOPLAY_TOKEN": token})
        assert published.returncode == 0, published.stderr
        assert httpx.get(f"{server.url}/wasm-app/", timeout=30).content == EXPECTED
    finally:
        assert server.stop() == 0
    stored = list((data / "bundles").rglob("*.wasm"))
    assert sorted(p.read_bytes() for p in stored) == sorted([ADD_WASM, MUL_WASM])
    again = ServeProcess(["--data", str(data), "--port", "0"])  # read back from disk after a restart
    try:
        assert httpx.get(f"{again.url}/wasm-app/", timeout=30).content == EXPECTED
    finally:
        assert again.stop() == 0


def test_isoplay_test_imports_wasm_too(tmp_path: Path, tools: object) -> None:
    root = wasm_project(tmp_path / "p")
    (root / "test").mkdir()
    (root / "test" / "add.test.ts").write_text('''import { it, expect } from "vitest";
import add from "../src/add.wasm";
it("adds", async () => {
  const { exports } = await WebAssembly.instantiate(add);
  expect(add).toBeInstanceOf(WebAssembly.Module);
  expect((exports as any).add(20, 22)).toBe(42);
});
''', encoding="utf-8")
    result = _isoplay("test", str(root), "--reporter", "json")
    assert result.returncode == 0, result.stdout + result.stderr
    report = json.loads(result.stdout)
    statuses = [t["status"] for f in report["files"] for t in f["tests"]]
    assert statuses == ["pass"], report


def test_a_custom_compiled_wasm_rule_claims_another_extension(tmp_path: Path, tools: object) -> None:
    config = CONFIG + '[[rules]]\ntype = "CompiledWasm"\nglobs = ["**/*.bin"]\n'
    source = ('import add from "./add.bin";\nexport default { async fetch() { const i = await WebAssembly.'
              'instantiate(add); return new Response(String((i.exports as any).add(2, 3))); } };\n')
    root = wasm_project(tmp_path / "p", config, source)
    (root / "src" / "add.bin").write_bytes(ADD_WASM)
    result = get(root)
    assert result.ok and result.body == b"5", result.error
