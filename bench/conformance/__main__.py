"""``python -m bench.conformance``: pass/total per Web API area."""

from __future__ import annotations

import argparse
import json
import sys

from bench.conformance import area_modules, run_area


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.conformance")
    parser.add_argument("areas", nargs="*", help="areas to run (default: all)")
    parser.add_argument("--json", action="store_true", help="also print one JSON line")
    parser.add_argument("--failures", action="store_true", help="list failed cases")
    args = parser.parse_args(argv)
    modules = area_modules()
    names = args.areas or list(modules)
    unknown = [n for n in names if n not in modules]
    if unknown:
        parser.error(f"unknown area(s) {', '.join(unknown)}; known: {', '.join(modules)}")
    summary: dict[str, dict[str, int]] = {}
    total = passed = 0
    print(f"{'area':28} {'pass':>6} {'total':>6} {'rate':>8}")
    for name in names:
        outcomes = run_area(modules[name])
        ok = sum(1 for _, good, _ in outcomes if good)
        summary[name] = {"pass": ok, "total": len(outcomes)}
        total += len(outcomes)
        passed += ok
        rate = 100 * ok / len(outcomes) if outcomes else 0.0
        print(f"{name:28} {ok:6d} {len(outcomes):6d} {rate:7.1f}%", flush=True)
        if args.failures:
            for case, good, detail in outcomes:
                if not good:
                    print(f"    FAIL {case}: {detail}")
    rate = 100 * passed / total if total else 0.0
    print(f"{'total':28} {passed:6d} {total:6d} {rate:7.1f}%")
    if args.json:
        print(json.dumps({"areas": summary, "pass": passed, "total": total}))
    return 0


sys.exit(main(sys.argv[1:]))
