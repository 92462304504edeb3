"""The Workers bar on the real main window (offscreen): environment selector and the Install dependencies offer.

Real services, real isolates, and a real ``npm install`` (of a ``file:`` dependency, so no network).
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import Qt

from ide_testutil import WAIT_MS
from runtime.compat.wrangler import ENV_VARIABLE
from runtime.invocation import HttpRequest

CONFIG = '''name = "envs"
main = "src/index.ts"
compatibility_date = "2025-06-01"

[vars]
GREETING = "top"

[env.staging.vars]
GREETING = "staging"

[env.production.vars]
GREETING = "production"
'''
SOURCE = '''import { tag } from "local-dep";

export default {
  async fetch(request: Request, env: { GREETING: string }): Promise<Response> {
    return new Response(`${env.GREETING} ${tag()}`);
  },
};
'''


@pytest.fixture
def wrangler_project(tmp_path: Path, tools: Any, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.delenv(ENV_VARIABLE, raising=False)  # restored after the test: the bar sets it
    root = tmp_path / "envs"
    (root / "src").mkdir(parents=True)
    (root / "wrangler.toml").write_text(CONFIG, encoding="utf-8")
    (root / "src" / "index.ts").write_text(SOURCE, encoding="utf-8")
    dep = root / "vendor" / "local-dep"
    dep.mkdir(parents=True)
    (dep / "package.json").write_text(json.dumps({"name": "local-dep", "version": "1.0.0", "type": "module",
                                                  "main": "index.js"}), encoding="utf-8")
    (dep / "index.js").write_text('export function tag() { return "local"; }\n', encoding="utf-8")
    (root / "package.json").write_text(json.dumps({"name": "envs", "private": True,
                                                   "dependencies": {"local-dep": "file:./vendor/local-dep"}}),
                                       encoding="utf-8")
    return root


def _run(qtbot: Any, ide: Any, path: str = "/") -> Any:
    with qtbot.waitSignal(ide.services.runtime.sig_invocation_finished, timeout=WAIT_MS) as blocker:
        ide.services.runtime.run(HttpRequest("GET", "http://localhost" + path))
    return blocker.args[0].result


def _console_lines(ide: Any, source: str) -> list[str]:
    return [e.message for e in ide.controllers.console.entries if e.source == source]


def test_install_dependencies_offer_runs_npm_and_the_project_builds(
        qtbot: Any, ide_factory: Callable[..., Any], wrangler_project: Path) -> None:
    ide = ide_factory(wrangler_project)
    bar = ide.workers.bar
    qtbot.waitUntil(lambda: bar.offering and bar.install.isVisible(), timeout=WAIT_MS)
    assert "node_modules is missing" in bar.deps_label.text()
    with qtbot.waitSignal(ide.services.runtime.sig_invocation_refused, timeout=WAIT_MS) as refused:
        ide.services.runtime.run(HttpRequest("GET", "http://localhost/"))
    text = str(refused.args[0].error)  # the build failed: the refusal names the package and npm install
    assert 'Could not resolve "local-dep"' in text and "Run `isoplay npm install`" in text
    qtbot.mouseClick(bar.install, Qt.MouseButton.LeftButton)
    assert bar.busy  # a busy bar and Cancel while npm runs
    with qtbot.waitSignal(ide.services.runtime.sig_build_finished, timeout=120_000,
                          check_params_cb=lambda finished: finished.report.ok):
        qtbot.waitUntil(lambda: not ide.workers.installer.running, timeout=120_000)
    assert (wrangler_project / "node_modules" / "local-dep" / "index.js").is_file()
    # the Console gets the closing line through its own queued signal: the rebuild may finish first (a CI flake)
    qtbot.waitUntil(lambda: "npm install finished" in _console_lines(ide, "npm"), timeout=WAIT_MS)
    lines = _console_lines(ide, "npm")
    assert lines[0] == f"npm install in {wrangler_project}"
    assert any("added 1 package" in line or "up to date" in line for line in lines), lines
    qtbot.waitUntil(lambda: not bar.offering, timeout=WAIT_MS)
    assert _run(qtbot, ide).body == b"top local"
    # package.json changes after the install: the offer comes back (found by the poll, off the GUI thread)
    package = wrangler_project / "package.json"
    later = (wrangler_project / "node_modules" / ".package-lock.json").stat().st_mtime + 5
    os.utime(package, (later, later))
    qtbot.waitUntil(lambda: bar.offering, timeout=WAIT_MS)
    assert "package.json changed since the last install" in bar.deps_label.text()


def test_environment_selector_drives_run_debug_and_publish_builds(
        qtbot: Any, ide_factory: Callable[..., Any], settings_factory: Callable[[str], Any],
        wrangler_project: Path) -> None:
    (wrangler_project / "src" / "index.ts").write_text(SOURCE.replace('import { tag } from "local-dep";\n', "")
                                                       .replace("${tag()}", "local"), encoding="utf-8")
    (wrangler_project / "package.json").unlink()
    settings = settings_factory("envs")
    ide = ide_factory(wrangler_project, settings)
    bar = ide.workers.bar
    qtbot.waitUntil(lambda: bar.env.isVisible() and bar.env.count() == 3, timeout=WAIT_MS)
    assert [bar.env.itemText(i) for i in range(3)] == ["(top level)", "staging", "production"]
    assert not bar.offering  # no package.json: nothing to install
    assert _run(qtbot, ide).body == b"top local"
    with qtbot.waitSignal(ide.services.runtime.sig_project_opened, timeout=WAIT_MS):
        bar.env.setCurrentIndex(1)
        bar.env.activated.emit(1)
    assert os.environ.get(ENV_VARIABLE) == "staging"
    assert _run(qtbot, ide).body == b"staging local"
    # the debugger's build and the release build Publish uploads resolve the same environment
    from debugger.build import build_debug
    from runtime.publish_client import build_release

    assert build_debug(wrangler_project).bundle.manifest.vars["GREETING"] == "staging"
    release = build_release(wrangler_project)
    assert release.manifest.vars["GREETING"] == "staging" and release.manifest.name == "envs-staging"
    # remembered per project: another window on the same settings opens it in staging
    ide.shutdown()
    os.environ.pop(ENV_VARIABLE, None)
    again = ide_factory(wrangler_project, settings)
    assert os.environ.get(ENV_VARIABLE) == "staging"
    qtbot.waitUntil(lambda: again.workers.bar.chosen_env == "staging", timeout=WAIT_MS)
    assert _run(qtbot, again).body == b"staging local"
    with qtbot.waitSignal(again.services.runtime.sig_project_opened, timeout=WAIT_MS):
        again.workers.bar.env.setCurrentIndex(0)
        again.workers.bar.env.activated.emit(0)
    assert ENV_VARIABLE not in os.environ and _run(qtbot, again).body == b"top local"
