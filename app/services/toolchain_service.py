"""``ToolchainService``: find or install esbuild and tsc off the GUI thread."""

from __future__ import annotations

import concurrent.futures
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from PySide6.QtCore import QObject, Signal

from app.bridge import FutureBridge
from app.services.types import Failure
from runtime import toolchain


@dataclass(frozen=True)
class ToolchainReady:
    """Payload of ``ToolchainService.sig_toolchain_ready``."""

    esbuild: Path
    """The esbuild executable."""
    tsc: Path
    """The TypeScript 7 compiler (also the language server)."""


class ToolchainService(QObject):
    """Resolves the pinned JS toolchain once, on a worker thread.

    Args:
        bridge: delivers the result on the GUI thread.
        resolve: the resolver (default ``runtime.toolchain.ensure``; may download on first use).
    """

    sig_toolchain_ready = Signal(object)
    """ToolchainReady: esbuild and tsc are available."""
    sig_toolchain_failed = Signal(object)
    """Failure: the toolchain is missing and could not be installed (a ToolchainError inside)."""

    def __init__(self, bridge: FutureBridge, resolve: Callable[[], toolchain.Toolchain] = toolchain.ensure,
                 parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._bridge = bridge
        self._resolve = resolve
        self._executor = concurrent.futures.ThreadPoolExecutor(1, thread_name_prefix="isoplay-toolchain")
        self.ready: ToolchainReady | None = None
        """The resolved toolchain once ``sig_toolchain_ready`` has fired."""

    def start(self) -> None:
        """Resolve the toolchain (returns at once)."""
        future = self._executor.submit(self._resolve)
        self._bridge.watch(future, self._on_resolved, self.sig_toolchain_failed.emit, "preparing esbuild and TypeScript")

    def _on_resolved(self, tools: toolchain.Toolchain) -> None:
        self.ready = ToolchainReady(Path(tools.esbuild), Path(tools.tsc))
        self.sig_toolchain_ready.emit(self.ready)

    def shutdown(self) -> None:
        """Stop the worker (an install in progress finishes in the background)."""
        self._executor.shutdown(wait=False, cancel_futures=True)
