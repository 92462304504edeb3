"""The errors isoplay raises, each with a stable ``code``.

Hierarchy::

    IsoplayError
    ├── UserError                 the user can fix it: shown as a message, never a traceback
    │   ├── ManifestError         isoplay.toml / secrets.toml is invalid
    │   ├── BundleError           esbuild refused the sources (file:line:col diagnostics)
    │   ├── TypeCheckError        tsc reported type errors
    │   ├── ScriptError           the script threw, or broke the handler contract
    │   ├── LimitExceeded         a limit was hit (timeout, memory, queue) -- names the limit
    │   ├── KVLimitError          a KV call broke a Workers KV limit
    │   ├── FetchRefused          fetch() to a host outside the allow-list
    │   ├── CronSyntaxError       a cron expression does not parse
    │   └── ToolchainError        esbuild / TypeScript are missing and cannot be installed
    └── SystemError_              a fault of isoplay itself: logged with its traceback
        ├── IsolateCrashed        the V8 isolate died underneath an invocation
        └── RuntimeDisposed       a stopped object was used

User errors render as one line (``file:line:col: message`` where a location
exists) in the CLI, the IDE and the HTTP API.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Location:
    """A position in a user's source file (1-based line and column)."""

    file: str
    """Path relative to the project root, with forward slashes."""
    line: int
    """1-based line number."""
    column: int = 1
    """1-based column number."""

    def __str__(self) -> str:
        return f"{self.file}:{self.line}:{self.column}"


class IsoplayError(Exception):
    """Base of every error isoplay raises on purpose."""

    code = "isoplay_error"

    def __init__(self, message: str, *, location: Location | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.location = location

    def __str__(self) -> str:
        if self.location is not None:
            return f"{self.location}: {self.message}"
        return self.message


class UserError(IsoplayError):
    """An error the user caused and can fix."""

    code = "user_error"


class ManifestError(UserError):
    """isoplay.toml or .isoplay/secrets.toml is invalid."""

    code = "manifest_invalid"


class BundleError(UserError):
    """esbuild could not build the project; ``diagnostics`` lists every problem."""

    code = "bundle_failed"

    def __init__(self, message: str, *, diagnostics: list[Diagnostic] | None = None) -> None:
        diags = diagnostics or []
        super().__init__(message, location=diags[0].location if diags else None)
        self.diagnostics = diags

    def __str__(self) -> str:
        if self.diagnostics:
            return "\n".join(str(d) for d in self.diagnostics)
        return self.message


class TypeCheckError(BundleError):
    """The TypeScript compiler reported errors."""

    code = "type_check_failed"


class ScriptError(UserError):
    """The script threw, or returned something the runtime cannot use."""

    code = "script_error"

    def __init__(self, message: str, *, stack: str = "", location: Location | None = None) -> None:
        super().__init__(message, location=location)
        self.stack = stack


class LimitExceeded(UserError):
    """An invocation hit a limit; ``limit`` names it (timeout_ms, memory_mb, queue)."""

    code = "limit_exceeded"

    def __init__(self, limit: str, message: str) -> None:
        super().__init__(message)
        self.limit = limit


class KVLimitError(UserError):
    """A KV call broke a Workers KV limit or passed a bad option."""

    code = "kv_limit"


class FetchRefused(UserError):
    """fetch() targeted a host that is not on the manifest's allow-list."""

    code = "fetch_refused"


class CronSyntaxError(UserError):
    """A cron expression does not parse."""

    code = "cron_syntax"


class ToolchainError(UserError):
    """The JS toolchain (esbuild, TypeScript) is missing and could not be installed."""

    code = "toolchain_missing"


class SystemError_(IsoplayError):  # noqa: N801 - avoid shadowing the builtin SystemError
    """A fault inside isoplay rather than in the user's script."""

    code = "system_error"


class IsolateCrashed(SystemError_):
    """The V8 isolate failed underneath an invocation."""

    code = "isolate_crashed"


class RuntimeDisposed(SystemError_):
    """An object was used after ``stop()``/``close()``."""

    code = "runtime_disposed"


@dataclass(frozen=True)
class Diagnostic:
    """One compiler or bundler message with its source location."""

    message: str
    """The message text, one line."""
    location: Location | None = None
    """Where it points, if anywhere."""
    severity: str = "error"
    """``error`` or ``warning``."""

    def __str__(self) -> str:
        if self.location is not None:
            return f"{self.location}: {self.severity}: {self.message}"
        return f"{self.severity}: {self.message}"
