"""App names, versions and version ranges: pure validators and semver resolution.

An app is addressed as ``/{app}`` (its live version) or ``/{app}@{range}``:

- ``1.2.3`` (any full semver, prereleases included): exactly that version;
- ``1.2``: the highest published ``1.2.x``;
- ``1``: the highest published ``1.x.y``;
- ``latest``: the highest published version.

Partial ranges and ``latest`` skip prereleases (as npm does) unless a
prerelease is the only match. ``latest`` is the highest version by semver
precedence, which is not necessarily the live one after a rollback.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

import semver

APP_NAME_RE = re.compile(r"^[a-z0-9-]{1,63}\Z")
RESERVED_APP_NAMES = {
    "api": "/api/ is the server's deploy and admin API",
    "metrics": "/metrics is the server's Prometheus endpoint",
    "health": "kept for the server's health checks",
    "cdn-cgi": "/cdn-cgi/ is kept for platform routes (as on Cloudflare; isoplay dev serves its scheduled handler there)",
    "isoplay": "kept for the server's own routes",
}
"""App names that collide (or would collide) with the server's own routes, each with the reason."""
"""What an app name may be (the same rule as a manifest's name)."""
_PARTIAL_RE = re.compile(r"^(0|[1-9]\d*)(?:\.(0|[1-9]\d*))?\Z")
LATEST = "latest"


class InvalidName(ValueError):
    """An app name does not match ``[a-z0-9-]{1,63}``."""


class InvalidVersion(ValueError):
    """A version is not semver, or a range is not one of the supported forms."""


def check_app_name(name: str) -> str:
    """Return ``name`` if it is a valid app name.

    Raises:
        InvalidName: with the reason.
    """
    if not APP_NAME_RE.match(name):
        raise InvalidName(f"app name {name[:80]!r} must match [a-z0-9-]{{1,63}}")
    reason = RESERVED_APP_NAMES.get(name)
    if reason is not None:
        raise InvalidName(f"app name {name!r} is reserved: {reason}")
    return name


def check_version(version: str) -> semver.Version:
    """Parse a full semver version.

    Raises:
        InvalidVersion: the text is not semver like ``1.2.3``.
    """
    try:
        return semver.Version.parse(version)
    except (ValueError, TypeError):
        raise InvalidVersion(f"version {version[:80]!r} is not semver like \"1.2.3\"") from None


@dataclass(frozen=True)
class VersionRange:
    """A parsed ``@range``: an exact version, a major(.minor) prefix, or latest."""

    text: str
    exact: semver.Version | None = None
    major: int | None = None
    minor: int | None = None

    def matches(self, version: semver.Version) -> bool:
        """Whether ``version`` falls in this range (ignoring the prerelease rule)."""
        if self.exact is not None:
            return version == self.exact
        if self.major is not None and version.major != self.major:
            return False
        return self.minor is None or version.minor == self.minor


def parse_range(text: str) -> VersionRange:
    """Parse ``1.2.3``, ``1.2``, ``1`` or ``latest``.

    Raises:
        InvalidVersion: any other form.
    """
    if text == LATEST:
        return VersionRange(text)
    partial = _PARTIAL_RE.match(text)
    if partial:
        minor = partial.group(2)
        return VersionRange(text, major=int(partial.group(1)), minor=None if minor is None else int(minor))
    if semver.Version.is_valid(text):
        return VersionRange(text, exact=semver.Version.parse(text))
    raise InvalidVersion(f"version range {text[:80]!r} must be 1.2.3, 1.2, 1 or latest")


def resolve(spec: VersionRange, versions: Iterable[str]) -> str | None:
    """The published version ``spec`` selects, or None when nothing matches."""
    parsed = [semver.Version.parse(v) for v in versions]
    matching = [v for v in parsed if spec.matches(v)]
    if spec.exact is None:
        stable = [v for v in matching if not v.prerelease]
        matching = stable or matching
    return str(max(matching)) if matching else None


def sort_versions(versions: Iterable[str]) -> list[str]:
    """Versions, highest first by semver precedence."""
    return [str(v) for v in sorted((semver.Version.parse(v) for v in versions), reverse=True)]


def split_app_segment(segment: str) -> tuple[str, str | None]:
    """Split the first path segment ``app`` or ``app@range`` into (app, range text)."""
    name, sep, rng = segment.partition("@")
    return name, (rng if sep else None)
