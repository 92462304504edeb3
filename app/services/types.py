"""Value types shared between panels and services (frozen dataclasses for Qt signals)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class SourceLocation:
    """A place in a project file that a click can open."""

    path: Path
    """Absolute path of the file."""
    line: int
    """1-based line number."""
    column: int = 1
    """1-based column number."""

    def __str__(self) -> str:
        return f"{self.path.name}:{self.line}:{self.column}"


@dataclass(frozen=True)
class Failure:
    """A background operation failed (payload of ``FutureBridge``'s error path)."""

    context: str
    """What was being done, e.g. ``"saving src/index.ts"``."""
    error: BaseException
    """The exception itself (traceback attached)."""

    @property
    def message(self) -> str:
        """One line for the user: the context and the error text."""
        return f"{self.context}: {self.error}"
