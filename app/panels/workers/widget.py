"""``WorkersBar``: environment selector and the install-dependencies offer, as one toolbar row."""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QComboBox, QLabel, QProgressBar, QPushButton, QToolBar, QWidget

TOP_LEVEL = "(top level)"


class WorkersBar(QToolBar):
    """The toolbar: ``Environment [top level ▾]`` and ``<why> [Install dependencies]`` (or progress)."""

    sig_env_chosen = Signal(object)
    """str | None: the user picked an environment (None: the config's top level)."""
    sig_install_requested = Signal()
    """The user asked to install the dependencies."""
    sig_cancel_requested = Signal()
    """The user asked to stop a running install."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("Workers", parent)
        self.setObjectName("workersToolbar")
        self.setMovable(False)
        self.env_label = QLabel(" Environment ")
        self.env = QComboBox()
        self.env.setObjectName("envSelector")
        self.env.setToolTip("The wrangler [env.NAME] that run, the dev server, the debugger, tests and publish use")
        self.env.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
        self.deps_label = QLabel()
        self.deps_label.setObjectName("depsReason")
        self.install = QPushButton("Install dependencies")
        self.install.setObjectName("installDependencies")
        self.progress = QProgressBar()
        self.progress.setRange(0, 0)  # npm gives no fraction: a busy bar
        self.progress.setMaximumWidth(120)
        self.progress.setTextVisible(False)
        self.cancel = QPushButton("Cancel")
        self._env_actions = [self.addWidget(self.env_label), self.addWidget(self.env)]
        self._separator = self.addSeparator()
        self._deps_actions = [self.addWidget(self.deps_label), self.addWidget(self.install)]
        self._busy_actions = [self.addWidget(self.progress), self.addWidget(self.cancel)]
        self.env.activated.connect(lambda index: self.sig_env_chosen.emit(self.env.itemData(index)))
        self.install.clicked.connect(lambda _checked=False: self.sig_install_requested.emit())
        self.cancel.clicked.connect(lambda _checked=False: self.sig_cancel_requested.emit())
        self.show_environments([], None)
        self.show_offer(None)

    def show_environments(self, names: list[str], current: str | None) -> None:
        """List the config's environments (none: the selector hides) and select ``current``."""
        self.env.clear()
        self.env.addItem(TOP_LEVEL, None)
        for name in names:
            self.env.addItem(name, name)
        index = self.env.findData(current) if current in names else 0
        self.env.setCurrentIndex(max(0, index))
        for action in self._env_actions:
            action.setVisible(bool(names))
        self._refresh()

    def show_offer(self, reason: str | None) -> None:
        """Offer to install dependencies (``reason`` says why), or withdraw the offer (None)."""
        self.deps_label.setText(f" npm dependencies: {reason} " if reason else "")
        for action in self._deps_actions:
            action.setVisible(reason is not None)
        for action in self._busy_actions:
            action.setVisible(False)
        self._refresh()

    def show_installing(self, text: str) -> None:
        """An install runs: a busy bar and Cancel instead of the button."""
        self.deps_label.setText(f" {text} ")
        self._deps_actions[0].setVisible(True)
        self._deps_actions[1].setVisible(False)
        for action in self._busy_actions:
            action.setVisible(True)
        self._refresh()

    @property
    def chosen_env(self) -> str | None:
        """The environment the selector shows."""
        data = self.env.currentData()
        return data if isinstance(data, str) else None

    @property
    def busy(self) -> bool:
        """Whether the busy bar (an install under way) is shown instead of the button."""
        return self._busy_actions[0].isVisible() and not self._deps_actions[1].isVisible()

    @property
    def offering(self) -> bool:
        """Whether the install offer (or a running install) is shown."""
        return self._deps_actions[0].isVisible()

    def refresh_visibility(self) -> None:
        """Show the bar only when it has something to offer."""
        self._refresh()

    def _refresh(self) -> None:
        envs = self._env_actions[0].isVisible()
        deps = self._deps_actions[0].isVisible()
        self._separator.setVisible(envs and deps)
        self.setVisible(envs or deps)

