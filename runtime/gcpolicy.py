"""The cyclic garbage collector's settings for serving processes (``isoplay dev``, ``isoplay serve``).

A served request is freed by reference counting (the HTTP front breaks the one
cycle a request used to make), so the cyclic GC finds almost nothing; yet with
CPython's default thresholds it still ran every few dozen requests under load
and walked the young objects of every request in flight each time: about 5 us
of a 45 us request (measured with ``gc.callbacks`` over 100,000 in-process
requests, ~2,000 collections). For a server process:

- ``gc.freeze()`` once the server has started moves everything loaded so far
  (modules, the app, the toolchain's tables) out of the collector's view, so an
  occasional full collection no longer walks them again and again.
- The first generation's threshold goes from 700 to ``GEN0_THRESHOLD``: a
  collection still happens after that many container objects were allocated
  and not freed, so real cyclic garbage (from user-visible admin routes,
  asyncio internals, ...) stays bounded at a few MB.

The IDE process keeps its own policy (``editor/qt_gc.py``), and library code
never changes the collector: only the two serving commands call ``tune_for_serving``.
"""

from __future__ import annotations

import gc

GEN0_THRESHOLD = 50_000
"""Net container allocations between collections of the youngest generation."""


def tune_for_serving() -> tuple[int, int, int]:
    """Freeze the objects loaded so far and raise the young-generation threshold.

    Call once the server has started (after the first build); returns the
    previous thresholds.
    """
    previous = gc.get_threshold()
    gc.collect()  # what startup left behind goes now, not into the permanent generation
    gc.freeze()
    gc.set_threshold(GEN0_THRESHOLD, previous[1], previous[2])
    return previous
