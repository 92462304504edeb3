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
_UNENV_RE = re.compile(r"^\[unenv\] ([\w.]+) is not implemented yet!$")
_BROWSER = {
    "XMLHttpRequest": "Workers have no XMLHttpRequest; use fetch() (most HTTP libraries have a fetch adapter)",
    "window": "Workers have no window or DOM; the global object is globalThis (or self)",
    "document": "Workers have no DOM; to read or change HTML use HTMLRewriter",
    "localStorage": "Workers have no browser storage; keep data in a KV namespace binding (env.NAME)",
    "sessionStorage": "Workers have no browser storage; keep data in a KV namespace binding (env.NAME)",
    "indexedDB": "Workers have no browser storage; keep data in a KV namespace binding (env.NAME)",
    "Deno": "this is the Deno runtime's global; Workers have the Web APIs and, with nodejs_compat, node:* modules",
    "Bun": "this is the Bun runtime's global; Workers have the Web APIs and, with nodejs_compat, node:* modules",
}


def explain(name: str, message: str) -> str:
    """``message`` plus what is missing and how to change the code or config, when known."""
    if name == "EvalError" and "Code generation from strings disallowed" in message:
        return (f"{message}: the code (often a library) called eval() or new Function(), which Workers and isoplay "
                "forbid; use a build of the library that does not generate code, or a different library")
    unenv = _UNENV_RE.match(message)
    if unenv:
        api = unenv.group(1)
        module = api.split(".")[0]
        advice = ("Workers have no file system: import files with a module rule (Text/Data) or keep them in KV"
                  if module == "fs" else
                  "use the Web API Workers have instead (fetch, crypto.subtle, streams ...) or a library built on it")
        return (f"{message}: {api} is a Node.js API that nodejs_compat does not implement (isoplay uses unenv, "
                f"as wrangler does); {advice}")
    match = _REF_RE.match(message) if name == "ReferenceError" else None
    if match and match.group(1) in _BROWSER:
        return f"{message}: {_BROWSER[match.group(1)]}"
    if match:
        missing = match.group(1)
        if missing in _NODE_GLOBALS:
            return (f'{message}: {missing} is a Node.js global; add compatibility_flags = ["nodejs_compat"] to the '
                    "wrangler config (require, __dirname and __filename do not exist in Workers at all)"
                    if missing not in {"require", "__dirname", "__filename"} else
                    f"{message}: Workers have no {missing} (modules are bundled by esbuild); use an import instead")
    return message
