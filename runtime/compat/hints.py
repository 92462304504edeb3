"""Advice added to a script error when it comes from something Workers (and isoplay) do not have.

A library that reaches for ``eval``/``new Function`` fails with V8's bare EvalError at the
library's line; a ReferenceError names a global without saying whether it is a Workers API
isoplay lacks. ``explain(name, message)`` returns the message with one sentence on what is
missing and what to change; anything else comes back unchanged.
"""

from __future__ import annotations

import re

_NODE_GLOBALS = {"Buffer", "process", "global", "setImmediate", "clearImmediate", "require", "__dirname", "__filename"}
_REF_RE = re.compile(r"^(\w+) is not defined$")


def explain(name: str, message: str) -> str:
    """``message`` plus what is missing and how to change the code or config, when known."""
    if name == "EvalError" and "Code generation from strings disallowed" in message:
        return (f"{message}: the code (often a library) called eval() or new Function(), which Workers and isoplay "
                "forbid; use a build of the library that does not generate code, or a different library")
    match = _REF_RE.match(message) if name == "ReferenceError" else None
    if match:
        missing = match.group(1)
        if missing in _NODE_GLOBALS:
            return (f'{message}: {missing} is a Node.js global; add compatibility_flags = ["nodejs_compat"] to the '
                    "wrangler config (require, __dirname and __filename do not exist in Workers at all)"
                    if missing not in {"require", "__dirname", "__filename"} else
                    f"{message}: Workers have no {missing} (modules are bundled by esbuild); use an import instead")
    return message
