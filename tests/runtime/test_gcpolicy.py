"""The serving processes' GC policy: applied by ``isoplay dev`` once it serves, never by library code."""

from __future__ import annotations

import gc
import subprocess
import sys
import textwrap

from runtime.gcpolicy import GEN0_THRESHOLD


def test_tune_for_serving_freezes_and_raises_the_young_threshold() -> None:
    # in a child: freezing the test process would change every later test's collector
    code = textwrap.dedent("""
        import gc, json
        from runtime.gcpolicy import tune_for_serving
        before = gc.get_threshold()
        previous = tune_for_serving()
        print(json.dumps([list(previous), list(before), list(gc.get_threshold()), gc.get_freeze_count()]))
    """)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    import json

    previous, before, after, frozen = json.loads(out)
    assert previous == before
    assert after == [GEN0_THRESHOLD, before[1], before[2]]
    assert frozen > 1000  # the loaded modules' objects


def test_importing_the_runtime_leaves_the_collector_alone() -> None:
    import runtime.devserver
    import runtime.server.httpserver

    assert runtime.devserver.serve and runtime.server.httpserver.HttpServer

    assert gc.get_threshold()[0] != GEN0_THRESHOLD
