"""Types for Workers projects: the workers-types overlay matches the isolate, and `isoplay check` works."""

from __future__ import annotations

import asyncio
from pathlib import Path

from runtime.compat.types import MISSING_PREFIX, NODE_GLOBALS, declared_values, runtime_globals, workers_types
from runtime.typecheck import check

CONFIG = ('name = "tc"\nmain = "src/index.ts"\ncompatibility_date = "2025-01-01"\ncompatibility_flags = ["nodejs_compat"]\n'
          '[vars]\nGREETING = "hi"\nN = 3\n[[kv_namespaces]]\nbinding = "KV"\n')
TSCONFIG = """{
  // as create-cloudflare writes it
  "compilerOptions": {
    "target": "es2021", "lib": ["es2021"], "module": "es2022", "moduleResolution": "Bundler",
    "types": ["@cloudflare/workers-types"], "strict": true, "noEmit": true, "skipLibCheck": true,
  },
}
"""
SOURCE = """import { Buffer } from "node:buffer";
import { createHash } from "node:crypto";

export default {
  async fetch(request, env, ctx): Promise<Response> {
    const body = await request.json<{ name: string }>();
    const country = request.cf?.country ?? "??";
    const same = crypto.subtle.timingSafeEqual(new Uint8Array(1), new Uint8Array(1));
    const n: number = env.N;
    await env.KV.put("k", Buffer.from(body.name).toString("hex"));
    ctx.waitUntil(Promise.resolve());
    return new Response(`${env.GREETING} ${country} ${same} ${n} ${createHash("sha1").update("x").digest("hex")}`);
  },
} satisfies ExportedHandler<Env>;
"""


def test_types_never_promise_what_the_isolate_lacks(tools) -> None:  # type: ignore[no-untyped-def]
    present = runtime_globals()
    for node_compat in (False, True):
        overlay = workers_types(tools, node_compat)
        have = present | (NODE_GLOBALS if node_compat else frozenset())
        text = overlay.path.read_bytes()
        promised = {d.name for d in declared_values(text) if not d.name.startswith(MISSING_PREFIX)}
        lacking = promised - have - set(overlay.kept)
        assert not lacking, f"the types promise globals the isolate does not have: {sorted(lacking)}"
        original = (tools.root / "node_modules/@cloudflare/workers-types/index.d.ts").read_bytes()
        declared = {d.name for d in declared_values(original)}
        assert set(overlay.missing) == (declared - have) - (set(overlay.kept) - set(overlay.missing))
        print(f"nodejs_compat={node_compat}: taken out of the Workers types ({len(overlay.missing)}): "
              + ", ".join(overlay.missing))
    assert {"fetch", "Request", "Response", "crypto", "setTimeout"} <= promised  # the basics stay


def project(root: Path, source: str, tsconfig: str | None = TSCONFIG) -> Path:
    (root / "src").mkdir(parents=True)
    (root / "wrangler.toml").write_text(CONFIG, encoding="utf-8")
    if tsconfig is not None:
        (root / "tsconfig.json").write_text(tsconfig, encoding="utf-8")
    (root / "src" / "index.ts").write_text(source, encoding="utf-8")
    return root


def test_a_wrangler_project_type_checks_with_workers_types_and_node(tmp_path: Path, tools) -> None:  # type: ignore[no-untyped-def]
    root = project(tmp_path / "p", SOURCE)
    assert asyncio.run(check(root)) == []
    assert not (root / "types").exists()  # nothing written among the project's files
    env = (root / ".isoplay" / "types" / "env.d.ts").read_text(encoding="utf-8")
    assert "N: 3;" in env and "KV: KVNamespace;" in env  # literal types, as `wrangler types` writes them


def test_a_type_error_keeps_its_position(tmp_path: Path, tools) -> None:  # type: ignore[no-untyped-def]
    root = project(tmp_path / "p", SOURCE.replace("const n: number = env.N;", "const n: string = env.N;"), None)
    diags = asyncio.run(check(root))
    assert len(diags) == 1 and str(diags[0].location) == "src/index.ts:9:11", diags


def test_a_global_the_runtime_lacks_is_explained(tmp_path: Path, tools) -> None:  # type: ignore[no-untyped-def]
    overlay = workers_types(tools, True)
    values = [d for d in declared_values((tools.root / "node_modules/@cloudflare/workers-types/index.d.ts").read_bytes())
              if d.kind == "var" and d.name in overlay.missing]
    assert values, "every workers-types global value is present: nothing to explain"
    name = values[0].name
    root = project(tmp_path / "p", f"export default {{ fetch() {{ console.log({name}); return new Response('x'); }} }};\n")
    diags = asyncio.run(check(root))
    assert any(f"isoplay's runtime does not have it yet" in d.message and name in d.message for d in diags), diags


async def test_runtime_globals_probe_works_on_a_running_loop(tmp_path, monkeypatch) -> None:
    """With no cached answer (a changed prelude), code on a running loop (async tests, the IDE's
    runtime thread writing a template) still gets the globals: the probe runs on its own thread."""
    import platformdirs

    import runtime.compat.types as types

    monkeypatch.setattr(platformdirs, "user_cache_dir", lambda *a, **k: str(tmp_path))
    types.runtime_globals.cache_clear()
    try:
        names = types.runtime_globals()
    finally:
        types.runtime_globals.cache_clear()
    assert {"fetch", "Response", "crypto"} <= names
    assert list(tmp_path.glob("types/globals-*.json"))
