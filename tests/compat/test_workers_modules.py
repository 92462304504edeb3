"""Workers module features in real isolates: errors for what is missing, and the edges of each feature."""

from __future__ import annotations

import asyncio
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
