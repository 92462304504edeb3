"""Workers module features in real isolates: errors for what is missing, and the edges of each feature."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
from pathlib import Path

import pytest

from runtime.errors import BundleError
from runtime.invocation import HttpRequest, ScheduledTrigger
from runtime.runner import run_once


def project(root: Path, config: str, files: dict[str, str]) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    (root / "wrangler.toml").write_text(config, encoding="utf-8")
    for rel, text in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return root


BASE = 'name = "m"\nmain = "src/index.ts"\ncompatibility_date = "2025-01-01"\n'


def get(root: Path, path: str = "/"):  # type: ignore[no-untyped-def]
    return asyncio.run(run_once(root, HttpRequest("GET", "http://localhost" + path)))


def test_node_import_without_the_flag_names_the_flag(tmp_path: Path, tools) -> None:  # type: ignore[no-untyped-def]
    root = project(tmp_path, BASE, {"src/index.ts": 'import { Buffer } from "node:buffer";\n'
                                                    'export default { fetch() { return new Response(Buffer.from("x").toString("hex")); } };'})
    with pytest.raises(BundleError) as info:
        get(root)
    text = str(info.value)
    assert 'src/index.ts:1:' in text and 'Could not resolve "node:buffer"' in text
    assert 'add compatibility_flags = ["nodejs_compat"] to wrangler.toml' in text
    (root / "wrangler.toml").write_text(BASE + 'compatibility_flags = ["nodejs_compat"]\n', encoding="utf-8")
    assert get(root).body == b"78"


def test_bare_builtin_and_missing_package_get_advice(tmp_path: Path, tools) -> None:  # type: ignore[no-untyped-def]
    root = project(tmp_path, BASE, {"src/index.ts": 'import { join } from "path";\nimport x from "left-pad-nowhere";\n'
                                                    'export default { fetch() { return new Response(join("a", x)); } };'})
    with pytest.raises(BundleError) as info:
        get(root)
    text = str(info.value)
    assert '"path" is a Node.js built-in module; add compatibility_flags = ["nodejs_compat"]' in text
    assert "Run `isoplay npm install` in the project folder" in text


def test_unknown_module_type_says_what_to_do(tmp_path: Path, tools) -> None:  # type: ignore[no-untyped-def]
    root = project(tmp_path, BASE, {"src/index.ts": 'import d from "./data.yaml";\nexport default { fetch() { return new Response(d); } };',
                                    "src/data.yaml": "a: 1\n"})
    with pytest.raises(BundleError, match=r'add a module rule to wrangler.toml, e.g. \[\[rules\]\] type = "Text"'):
        get(root)
    (root / "wrangler.toml").write_text(BASE + '[[rules]]\ntype = "Text"\nglobs = ["**/*.yaml"]\n', encoding="utf-8")
    assert get(root).body == b"a: 1\n"
    (root / "src/index.ts").write_text('import m from "./add.wasm";\n'
                                       'export default { fetch() { return new Response(String(m)); } };')
    (root / "src/add.wasm").write_bytes(b"\0asm\1\0\0\0")
    assert get(root).body == b"[object WebAssembly.Module]"  # tests/compat/test_wasm_modules.py has the rest


def test_top_level_await_that_waits_on_a_timer_fails_clearly(tmp_path: Path, tools) -> None:  # type: ignore[no-untyped-def]
    root = project(tmp_path, BASE, {"src/index.ts": "await new Promise((r) => setTimeout(r, 10));\n"
                                                    "export default { fetch() { return new Response('x'); } };"})
    result = get(root)
    assert not result.ok and "top-level await did not finish while it loaded" in result.error.message


def test_top_level_await_rejection_is_the_load_error(tmp_path: Path, tools) -> None:  # type: ignore[no-untyped-def]
    root = project(tmp_path, BASE, {"src/index.ts": "const cfg = await Promise.reject(new RangeError('bad config'));\n"
                                                    "export default { fetch() { return new Response(String(cfg)); } };"})
    result = get(root)
    assert not result.ok and result.error.name == "RangeError" and "bad config" in result.error.message


def test_service_worker_without_respond_with(tmp_path: Path, tools) -> None:  # type: ignore[no-untyped-def]
    root = project(tmp_path, BASE.replace("src/index.ts", "w.js"), {"w.js": 'addEventListener("fetch", () => {});'})
    result = get(root)
    assert not result.ok and 'no "fetch" event listener called event.respondWith(response)' in result.error.message


def test_scheduled_reaches_a_class_entrypoint(tmp_path: Path, tools) -> None:  # type: ignore[no-untyped-def]
    root = project(tmp_path, BASE, {"src/index.ts": 'import { WorkerEntrypoint } from "cloudflare:workers";\n'
                                                    "export default class extends WorkerEntrypoint {\n"
                                                    "  async scheduled(c: { cron: string }) { console.log('ran', c.cron, typeof this.ctx.waitUntil); }\n}"})
    result = asyncio.run(run_once(root, ScheduledTrigger("*/5 * * * *", 0)))
    assert result.ok and [e.message for e in result.logs] == ["ran */5 * * * * function"]


def test_durable_object_class_is_refused_with_a_reason(tmp_path: Path, tools) -> None:  # type: ignore[no-untyped-def]
    root = project(tmp_path, BASE, {"src/index.ts": 'import { DurableObject } from "cloudflare:workers";\n'
                                                    "class Counter extends DurableObject {}\n"
                                                    "export default { fetch() { new Counter(); return new Response('x'); } };"})
    result = get(root)
    assert not result.ok and "DurableObject from \"cloudflare:workers\" is not supported by isoplay" in result.error.message


def test_lodash_style_global_lookup_finds_self(tmp_path: Path, tools) -> None:  # type: ignore[no-untyped-def]
    root = project(tmp_path, BASE, {"src/index.ts": "const root = (typeof self == 'object' && self) || Function('return this')();\n"
                                                    "export default { fetch() { return new Response(String(root === globalThis)); } };"})
    assert get(root).body == b"true"


def test_isoplay_npm_runs_the_bundled_npm(tmp_path: Path) -> None:
    proc = subprocess.run([sys.executable, "-m", "app", "npm", "--version"], capture_output=True, text=True, timeout=120,
                          cwd=tmp_path)
    assert proc.returncode == 0 and proc.stdout.strip().split(".")[0].isdigit(), proc.stderr
    proc = subprocess.run([sys.executable, "-m", "app", "npm", "run", "no-such-script"], capture_output=True, text=True,
                          timeout=120, cwd=tmp_path)
    assert proc.returncode != 0  # npm's own failure (no package.json) and exit code come through


def test_eval_in_a_library_is_explained(tmp_path: Path, tools) -> None:  # type: ignore[no-untyped-def]
    root = project(tmp_path, BASE, {"src/lib.js": "export const compile = (src) => new Function('x', src);\n",
                                    "src/index.ts": 'import { compile } from "./lib.js";\n'
                                                    "export default { fetch() { return new Response(String(compile('return x')(1))); } };"})
    result = get(root)
    assert not result.ok and result.error.name == "EvalError"
    assert "called eval() or new Function(), which Workers and isoplay forbid" in result.error.message
    assert result.error.frames and result.error.frames[0].file == "src/lib.js"


def test_node_global_without_the_flag_is_explained(tmp_path: Path, tools) -> None:  # type: ignore[no-untyped-def]
    root = project(tmp_path, BASE, {"src/index.ts": "export default { fetch() { return new Response(Buffer.from('a').toString()); } };"})
    result = get(root)
    assert not result.ok and 'Buffer is a Node.js global; add compatibility_flags = ["nodejs_compat"]' in result.error.message


NODE = BASE + 'compatibility_flags = ["nodejs_compat"]\n'


def test_commonjs_requires_of_node_builtins_give_what_node_gives(tmp_path: Path, tools) -> None:  # type: ignore[no-untyped-def]
    # jws (under jsonwebtoken) calls util.inherits(X, require("stream")); many libraries call require("assert")(...)
    lib = """var Stream = require("stream"); var EventEmitter = require("events"); var assert = require("assert");
var util = require("util");
function Data() { Stream.call(this); }
util.inherits(Data, Stream);
assert(typeof Stream === "function", "stream");
module.exports = { data: new Data() instanceof Stream, ee: typeof EventEmitter === "function" && EventEmitter.EventEmitter === EventEmitter,
  readable: typeof Stream.Readable === "function", assertOk: typeof assert.strictEqual === "function",
  once: typeof EventEmitter.once === "function" };
"""
    root = project(tmp_path, NODE, {"src/lib.cjs": lib, "src/index.ts":
                                    'import r from "./lib.cjs";\nimport { Readable } from "node:stream";\n'
                                    'import EE, { once } from "node:events";\n'
                                    'export default { fetch() { return Response.json({ ...r, esm: typeof Readable === "function"'
                                    ' && typeof EE === "function" && typeof once === "function" }); } };'})
    result = get(root)
    assert result.ok, result.error
    assert json.loads(result.body) == {"data": True, "ee": True, "readable": True, "assertOk": True, "once": True,
                                       "esm": True}


def test_node_crypto_secret_keys_work_and_asymmetric_ones_say_what_to_use(tmp_path: Path, tools) -> None:  # type: ignore[no-untyped-def]
    source = """import { createHmac, createSecretKey, createPrivateKey, KeyObject } from "node:crypto";
export default { fetch(request: Request) {
  if (new URL(request.url).pathname === "/private") createPrivateKey("-----BEGIN PRIVATE KEY-----");
  const key = createSecretKey("k", "utf8");
  return Response.json({ type: key.type, size: key.symmetricKeySize, isKey: key instanceof KeyObject,
    same: key.equals(createSecretKey(Buffer.from("k"))), jwk: key.export({ format: "jwk" }),
    mac: createHmac("sha256", key).update("x").digest("hex") === createHmac("sha256", "k").update("x").digest("hex") });
} };
"""
    root = project(tmp_path, NODE, {"src/index.ts": source})
    result = get(root)
    assert result.ok, result.error
    assert json.loads(result.body) == {"type": "secret", "size": 1, "isKey": True, "same": True,
                                       "jwk": {"kty": "oct", "k": "aw"}, "mac": True}
    refused = get(root, "/private")
    assert not refused.ok and "crypto.createPrivateKey: isoplay's node:crypto has hashing" in refused.error.message
    assert "use crypto.subtle (WebCrypto)" in refused.error.message


def test_cloudflare_sockets_builds_and_connect_says_what_is_missing(tmp_path: Path, tools) -> None:  # type: ignore[no-untyped-def]
    root = project(tmp_path, BASE, {"src/index.ts": 'import { connect } from "cloudflare:sockets";\n'
                                                    'export default { fetch() { connect("db:5432"); return new Response("x"); } };'})
    result = get(root)
    assert not result.ok and result.error.name == "NotSupportedError"
    assert "outbound TCP sockets) is not supported by isoplay yet" in result.error.message
    assert "@neondatabase/serverless" in result.error.message


@pytest.mark.parametrize(("code", "expected"), [
    ('import fs from "node:fs";\nexport default { fetch() { return new Response(fs.readFileSync("/x", "utf8")); } };',
     "fs.readFileSync is a Node.js API that nodejs_compat does not implement (isoplay uses unenv, as wrangler does); "
     "Workers have no file system"),
    ("export default { fetch() { return new Response(String(new XMLHttpRequest())); } };",
     "XMLHttpRequest is not defined: Workers have no XMLHttpRequest; use fetch()"),
    ("export default { fetch() { return new Response(String(window.location)); } };",
     "window is not defined: Workers have no window or DOM; the global object is globalThis"),
    ('export default { fetch() { return new Response(localStorage.getItem("k")); } };',
     "localStorage is not defined: Workers have no browser storage; keep data in a KV namespace binding"),
    ('export default { fetch() { return new Response(String(new Function("return 1")())); } };',
     "called eval() or new Function(), which Workers and isoplay forbid"),
])
def test_what_workers_lack_is_explained(tmp_path: Path, tools, code: str, expected: str) -> None:  # type: ignore[no-untyped-def]
    root = project(tmp_path, NODE, {"src/index.ts": "// @ts-nocheck\n" + code})
    result = get(root)
    assert not result.ok and expected in result.error.message, result.error


def test_a_rule_without_fallthrough_hides_the_default_rule_of_its_type_as_in_wrangler(tmp_path: Path, tools) -> None:  # type: ignore[no-untyped-def]
    config = BASE + '[[rules]]\ntype = "Data"\nglobs = ["**/*.ico"]\n'
    root = project(tmp_path, config, {"src/index.ts": 'import b from "./blob.bin";\n'
                                                      'export default { fetch() { return new Response(b); } };'})
    (root / "src" / "blob.bin").write_bytes(b"\x01\x02")
    with pytest.raises(BundleError) as info:
        get(root)
    assert "matches wrangler's default Data rule (**/*.bin), which is ignored because a Data rule in wrangler.toml " \
           "comes first without fallthrough = true" in str(info.value)
    (root / "wrangler.toml").write_text(config + "fallthrough = true\n", encoding="utf-8")
    assert get(root).body == b"\x01\x02"
