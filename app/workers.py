"""Workers projects in the IDE window: the environment selector and the "Install dependencies" offer.

Part of the composition root (``app/main.py`` calls ``install_workers``), like the
testing and debugger modules. What it guarantees:

- For a wrangler project with ``[env.NAME]`` sections, a selector lists them. The chosen
  environment is remembered per project and set as ``CLOUDFLARE_ENV`` (the variable
  ``--env`` sets for the CLI) before the project's runtime opens, so every layer that
  resolves the config -- run and the simulator, the dev server's rebuilds, the debugger's
  builds, tests and the release build Publish uploads -- uses the same environment. A
  change reopens the runtime.
- When ``package.json`` declares dependencies and ``node_modules`` is missing or older
  than ``package.json`` / ``package-lock.json`` (``runtime.compat.deps``), or a build
  fails because a package is not installed, the bar offers "Install dependencies". The
  install is the npm that ships with isoplay, run as a child process; a busy bar shows
  while it runs, npm's output goes to the Console line by line, and the project rebuilds
  when it ends. Every check runs on the file worker, never on the GUI thread.
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QTimer

from app.panels.workers.controller import DependencyInstaller
from app.panels.workers.widget import WorkersBar
from runtime.compat.wrangler import ENV_VARIABLE

if TYPE_CHECKING:
    from app.main import Ide

MISSING_PACKAGE_HINT = "Run `isoplay npm install`"
"""What a build error says when an import names a package that is not installed (runtime.compat.build)."""
POLL_MS = 3000
"""How often the dependency check runs while a project is open (it only reads file times)."""


def _setting(root: Path) -> str:
    return "workers/env/" + hashlib.sha1(str(root).encode("utf-8")).hexdigest()[:16]


def _check(root: Path) -> tuple[list[str], str | None]:
    """(environments, why to install) for ``root``: file reads, run on the file worker."""
    from runtime.compat.deps import environments, install_needed

    return environments(root), install_needed(root)


def _npm_command() -> tuple[list[str], dict[str, str]]:
    from app.commands.npm import command

    return command("npm")


@dataclass
class Workers:
    """The bar, the installer, and what the open project's bar shows."""

    ide: Any
    bar: WorkersBar
    installer: DependencyInstaller
    root: Path | None = None
    build_reason: str | None = None
    """Set when the last build failed because a package is not installed."""
    timer: QTimer | None = None
    installing: bool = False
    """From the click until npm ended (finding npm comes before the process starts)."""
    closed: bool = False

    # -- environments ----------------------------------------------------------------

    def env_for(self, root: Path) -> str | None:
        """The environment remembered for ``root`` (None: the top level)."""
        value = self.ide.settings.store.value(_setting(root), "")
        return str(value) if value else None

    def apply_env(self, root: Path) -> None:
        """Set CLOUDFLARE_ENV for ``root`` (before its runtime opens)."""
        env = self.env_for(root)
        if env:
            os.environ[ENV_VARIABLE] = env
        else:
            os.environ.pop(ENV_VARIABLE, None)

    def choose_env(self, env: str | None) -> None:
        """Slot: the user picked ``env``: remember it and reopen the runtime with it."""
        root = self.root
        if root is None or env == self.env_for(root):
            return
        self.ide.settings.store.setValue(_setting(root), env or "")
        self.apply_env(root)
        self.ide.controllers.console.add_message(
            "info", f"environment: {env or 'top level'} (run, dev server, debugger, tests and publish use it)")
        self.ide.window.set_status("build", "⏳ building…")
        self.ide.services.runtime.open_project(root)

    # -- dependencies ----------------------------------------------------------------

    def refresh(self) -> None:
        """Re-read the environments and the dependency state (on the file worker)."""
        root = self.root
        if root is None or self.closed:
            return
        future = self.ide.services.files.submit(_check, root)
        self.ide.services.bridge.watch(future, lambda value: self._on_checked(root, value), None,
                                       "checking the project's dependencies")

    def _on_checked(self, root: Path, value: tuple[list[str], str | None]) -> None:
        if root != self.root:
            return
        names, reason = value
        if names != [self.bar.env.itemData(i) for i in range(1, self.bar.env.count())] \
                or self.bar.chosen_env != self.env_for(root):
            self.bar.show_environments(names, self.env_for(root))
        if self.installing:
            return
        self.bar.show_offer(reason or self.build_reason)

    def on_build_finished(self, report: Any) -> None:
        """A build ended: a missing package makes the offer (its message names the package)."""
        error = getattr(report, "error", None)
        text = str(error) if error is not None else ""
        self.build_reason = None
        if MISSING_PACKAGE_HINT in text:
            line = next((ln for ln in text.splitlines() if MISSING_PACKAGE_HINT in ln), text)
            missing = line.split("Could not resolve ", 1)[-1].split(":", 1)[0].strip()
            self.build_reason = f"a package is not installed ({missing})"
        self.refresh()

    def install(self) -> None:
        """Slot: run npm install in the open project."""
        root = self.root
        if root is None or self.installing:
            return
        self.installing = True
        self.bar.show_installing("Installing dependencies…")
        console = self.ide.controllers.console
        console.add_message("info", f"npm install in {root}", "npm")
        self.ide.window.show_dock("console")
        future = self.ide.services.files.submit(_npm_command)
        self.ide.services.bridge.watch(future, lambda value: self.installer.start(root, *value),
                                       lambda failure: self._on_install_failed(failure.message),
                                       "finding npm")

    def _on_install_failed(self, message: str) -> None:
        self.installing = False
        self.ide.controllers.console.add_message("error", f"cannot run npm: {message}", "npm")
        self.bar.show_offer("npm could not start (see the Console)")

    def on_output(self, line: str) -> None:
        """Slot: a line of npm's output, to the Console."""
        level = "error" if line.lower().startswith(("npm error", "npm err!")) else \
            "warn" if line.lower().startswith("npm warn") else "info"
        self.ide.controllers.console.add_message(level, line, "npm")

    def on_install_finished(self, code: int) -> None:
        """Slot: npm ended; on success rebuild the project."""
        self.installing = False
        if self.closed:
            return
        console = self.ide.controllers.console
        if code == 0:
            console.add_message("info", "npm install finished", "npm")
            self.ide.window.flash("Dependencies installed")
            self.build_reason = None
            self.bar.show_offer(None)
            self.ide.services.runtime.reload()
        else:
            why = "cancelled" if code < 0 else f"failed (exit code {code})"
            console.add_message("error", f"npm install {why}: see npm's output above", "npm")
            self.bar.show_offer(f"npm install {why}")
        self.refresh()

    # -- project lifecycle -------------------------------------------------------------

    def on_project_opening(self, root: Path) -> None:
        """Slot: another project opens: its environment is set before its runtime starts."""
        if self.installer.running:
            self.installer.cancel()
        self.installing = False
        self.root = root
        self.build_reason = None
        self.bar.show_environments([], None)
        self.bar.show_offer(None)
        self.apply_env(root)
        self.refresh()

    def close(self) -> None:
        """Stop the poll and any running install."""
        self.closed = True
        if self.timer is not None:
            self.timer.stop()
        if self.installer.running:
            self.installer.cancel()


def install_workers(ide: Ide) -> Workers:
    """Build the bar (its own toolbar row) and wire it to the project, the runtime and the Console."""
    window = ide.window
    bar = WorkersBar(window)
    window.addToolBarBreak()
    window.addToolBar(bar)
    workers = Workers(ide, bar, DependencyInstaller(window))
    bar.sig_env_chosen.connect(workers.choose_env)
    bar.sig_install_requested.connect(workers.install)
    bar.sig_cancel_requested.connect(workers.installer.cancel)
    workers.installer.sig_output.connect(workers.on_output)
    workers.installer.sig_finished.connect(workers.on_install_finished)
    ide.controllers.project.sig_project_opening.connect(lambda opening: workers.on_project_opening(opening.root))
    ide.services.runtime.sig_build_finished.connect(lambda finished: workers.on_build_finished(finished.report))
    ide.services.runtime.sig_project_opened.connect(lambda opened: workers.on_build_finished(opened.build))
    ide.controllers.editors.sig_file_saved.connect(lambda _saved: workers.refresh())
    timer = QTimer(window)
    timer.setInterval(POLL_MS)
    timer.timeout.connect(workers.refresh)
    timer.start()
    workers.timer = timer
    QTimer.singleShot(0, bar.refresh_visibility)  # after the window restores a saved layout
    return workers
