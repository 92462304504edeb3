"""Secrets and vars out of recordings, and back in on replay.

Every string in a kept recording (trigger, op arguments and results, tape
values, the response, logs, errors) and every base64 body is searched for the
value of each secret and var the manifest names; each occurrence becomes the
placeholder ``<isoplay:secret:NAME>`` (or ``var``). A replay fills the
placeholders with the values the user has locally (``.dev.vars``, the
manifest's vars); a secret the user does not have replays as its placeholder,
consistently, so the replay still matches. Values shorter than
``MIN_LENGTH`` characters are not redacted (replacing every "1" would destroy
the recording): ``Redactor.skipped`` names them.
"""

from __future__ import annotations

import base64
from typing import Any

MIN_LENGTH = 4


def placeholder(kind: str, name: str) -> str:
    """The text that stands for a redacted value."""
    return f"<isoplay:{kind}:{name}>"


class Redactor:
    """Replaces known values by placeholders (``redact``) and placeholders by values (``fill``)."""

    def __init__(self, secrets: dict[str, str] | None = None, vars_: dict[str, Any] | None = None) -> None:
        pairs: list[tuple[str, str]] = []
        self.skipped: list[str] = []
        for kind, values in (("secret", secrets or {}), ("var", vars_ or {})):
            for name, value in values.items():
                if not isinstance(value, str):
                    continue
                if len(value) < MIN_LENGTH:
                    self.skipped.append(name)
                    continue
                pairs.append((value, placeholder(kind, name)))
        # longest first, so a value containing another is replaced whole
        self._pairs = sorted(pairs, key=lambda p: -len(p[0]))
        self._bytes = [(v.encode("utf-8"), p.encode("utf-8")) for v, p in self._pairs]

    @property
    def placeholders(self) -> list[str]:
        """Every placeholder this redactor can write."""
        return [p for _, p in self._pairs]

    def redact(self, value: Any) -> Any:
        """A copy of JSON-like ``value`` with every known value replaced by its placeholder."""
        return self._walk(value, forward=True) if self._pairs else value

    def fill(self, value: Any) -> Any:
        """A copy of JSON-like ``value`` with every placeholder replaced by its value."""
        return self._walk(value, forward=False) if self._pairs else value

    def used(self, value: Any) -> list[str]:
        """The placeholders that occur in JSON-like ``value``."""
        if not self._pairs:
            return []
        found: set[str] = set()

        def visit(v: Any) -> None:
            if isinstance(v, str):
                found.update(p for _, p in self._pairs if p in v)
            elif isinstance(v, dict):
                for item in v.values():
                    visit(item)
            elif isinstance(v, list):
                for item in v:
                    visit(item)

        visit(value)
        return sorted(found)

    def _walk(self, v: Any, *, forward: bool) -> Any:
        if isinstance(v, str):
            for value, ph in self._pairs:
                a, b = (value, ph) if forward else (ph, value)
                if a in v:
                    v = v.replace(a, b)
            return v
        if isinstance(v, list):
            return [self._walk(item, forward=forward) for item in v]
        if isinstance(v, dict):
            if len(v) == 1 and isinstance(v.get("b64"), str):
                try:
                    raw = base64.b64decode(v["b64"], validate=True)
                except ValueError:
                    return dict(v)
                for value, ph in self._bytes:
                    a, b = (value, ph) if forward else (ph, value)
                    if a in raw:
                        raw = raw.replace(a, b)
                return {"b64": base64.b64encode(raw).decode("ascii")}
            return {k: self._walk(item, forward=forward) for k, item in v.items()}
        return v
