"""``isoplay test``: Workers tests run inside V8 isolates with the project's real bindings.

Test files (``*.test.ts`` / ``*.spec.ts`` by default, ``[test] include`` in
isoplay.toml) are written as for ``@cloudflare/vitest-pool-workers``: they import
``describe``/``it``/``expect``/``vi``/hooks from ``vitest`` and ``env``, ``SELF``,
``fetchMock``, ``createExecutionContext`` ... from ``cloudflare:test``.

Guarantees:

- **A fresh isolate per file.** Each file is bundled by esbuild together with the
  project's main module (which ``SELF`` calls, in the same isolate) and runs in its
  own new isolate with the prelude, the test harness (``resources/testing``:
  chai + ``@vitest/expect`` + ``@vitest/spy`` + ``@sinonjs/fake-timers``), the
  manifest's vars, secrets and KV bindings. Nothing is shared between files.
- **KV and the Cache API isolated per test.** A file's KV and ``caches`` live in
  temporary SQLite stores, never in ``.isoplay/``. All ``beforeAll`` hooks run
  once, then both stores' content is snapshotted; before every test they are
  restored to that snapshot, so a test never sees what an earlier test wrote.
- **No unplanned network.** ``fetch`` obeys the manifest's ``[fetch] allow`` list
  as at run time; ``fetchMock.activate()`` answers from intercepts and, after
  ``disableNetConnect()``, refuses anything unmatched, saying which intercept
  would have matched.
- **Limits are per test.** A test runs in its own invocation with its timeout
  (``it(name, fn, ms)``, ``[test] timeout_ms``, default 5000) and the manifest's
  ``memory_mb``; one that hits either is reported as such, its isolate is replaced
  (``beforeAll`` runs again there) and the run goes on.
- **Positions are TypeScript.** Failures carry source-mapped frames; the first
  frame in the project's sources is the failure's location (file:line:column).

Modules: :mod:`.config` (discovery, ``[test]``), :mod:`.harness` (building the
harness script), :mod:`.build` (bundling test files), :mod:`.sandbox`,
:mod:`.session` (one file), :mod:`.runner` (a whole run, events),
:mod:`.report` (default / json / junit / tap), :mod:`.watch`.
"""

from __future__ import annotations

from runtime.testing.models import FileResult, RunResult, TestCase, TestResult
from runtime.testing.runner import TestRun, run_tests

__all__ = ["FileResult", "RunResult", "TestCase", "TestResult", "TestRun", "run_tests"]
