"""Bad input in the IDE (offscreen, real runtime thread, esbuild and tsc): a Problems row and the build status.

Opening a project whose isoplay.toml is UTF-16, whose limit overflows, or whose source is Latin-1 must
show the one-line reason in the Problems panel and the status bar, never a traceback; fixing the file
on disk and rebuilding clears it.
"""

from __future__ import annotations

import os
import time

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from collections.abc import Callable, Iterator  # noqa: E402
from pathlib import Path  # noqa: E402
from typing import Any  # noqa: E402

import pytest  # noqa: E402

from sec_harness import manifest_text  # noqa: E402

WAIT_MS = 60_000
GOOD = manifest_text()


@pytest.fixture
def ide(qtbot: Any, tmp_path: Path) -> Iterator[Callable[[Path], Any]]:
    from PySide6.QtCore import QSettings

    from app.main import build_app
    from app.settings import AppSettings
    from editor.lsp import ServerStatus

    ides: list[Any] = []

    def make(root: Path) -> Any:
        made = build_app(AppSettings(QSettings(str(tmp_path / f"s{len(ides)}.ini"), QSettings.Format.IniFormat)))
        ides.append(made)
        made.window.show()
        with qtbot.waitSignal(made.services.runtime.sig_build_finished, timeout=WAIT_MS):
            made.open_project(root)
        return made

    yield make
    for made in ides:
        made.window.close_guard = None
        clients = [c for c in [made.services.language.client] if c is not None]
        made.shutdown()
        for client in clients:
            qtbot.waitUntil(lambda c=client: c.status is ServerStatus.STOPPED, timeout=5_000)
        qtbot.wait(50)
        made.window.close()
        made.window.deleteLater()


CASES = {
    "utf16-manifest": (GOOD.encode("utf-16"), {}, "isoplay.toml: the file is UTF-16 text; save it as UTF-8", None),
    "timeout-overflow": ((GOOD + "[limits]\ntimeout_ms = 99999999999999999999999\n").encode(), {},
                         "[limits] timeout_ms must be from 1 to 3600000", None),
    "latin1-source": (GOOD.encode(), {"src/index.ts": 'export default { fetch() { return new Response("\xe9"); } };\n'
                                      .encode("latin-1")}, "not UTF-8 text (byte 0xe9)", ("index.ts", 1)),
}


@pytest.mark.parametrize("case", list(CASES), ids=list(CASES))
def test_bad_input_reaches_problems_and_status(qtbot: Any, ide: Callable[[Path], Any], tmp_path: Path,
                                               tools: Any, case: str) -> None:
    from sec_harness import HELLO_TS, write_project

    manifest, files, expected, where = CASES[case]
    root = write_project(tmp_path / "p", manifest, files or {"src/index.ts": HELLO_TS})
    made = ide(root)
    qtbot.waitUntil(lambda: any(p.source == "build" for p in made.controllers.problems.problems()), timeout=WAIT_MS)
    build = [p for p in made.controllers.problems.problems() if p.source == "build"]
    assert len(build) == 1 and expected in build[0].message, build
    assert "Traceback" not in build[0].message and "\n" not in build[0].message
    if where is not None:
        assert build[0].location is not None
        assert (build[0].location.path.name, build[0].location.line) == where
    assert made.window.status["build"].text() == "✗ build failed"

    write_project(root, GOOD, {"src/index.ts": HELLO_TS})
    reports: list[Any] = []
    made.services.runtime.sig_build_finished.connect(lambda finished: reports.append(finished.report))
    made.services.runtime.reload()
    asked = [time.monotonic()]

    def good_build() -> bool:
        if any(report.ok for report in reports):
            return True
        if time.monotonic() - asked[-1] > 15 and len(asked) < 3:
            # Once in ~3 full CI runs no good build came within 60 s after the fix was written (the file
            # watcher builds too); ask again, and keep every report for the message if it still fails.
            asked.append(time.monotonic())
            made.services.runtime.reload()
        return False

    try:
        qtbot.waitUntil(good_build, timeout=WAIT_MS)
    except Exception:
        raise AssertionError(f"no good build after the fix; reloads asked {len(asked)}, builds reported: "
                             f"{[(r.ok, getattr(r, 'error', None)) for r in reports]}") from None
    qtbot.waitUntil(lambda: not [p for p in made.controllers.problems.problems() if p.source == "build"],
                    timeout=WAIT_MS)
