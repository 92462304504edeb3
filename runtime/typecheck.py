"""Type-check a project with the TypeScript 7 compiler (``tsc --noEmit``)."""

from __future__ import annotations

import asyncio
import re
from pathlib import Path

from runtime import toolchain
from runtime.errors import Diagnostic, Location
from runtime.project import write_types

_LINE_RE = re.compile(r"^(?P<file>.+?)\((?P<line>\d+),(?P<col>\d+)\): (?P<sev>error|warning) (?P<code>TS\d+): (?P<msg>.*)$")


def parse_tsc_output(text: str) -> list[Diagnostic]:
    """Parse ``tsc --pretty false`` output into diagnostics (continuation lines appended)."""
    diags: list[Diagnostic] = []
    for line in text.splitlines():
        match = _LINE_RE.match(line)
        if match:
            loc = Location(match["file"].replace("\\", "/"), int(match["line"]), int(match["col"]))
            diags.append(Diagnostic(f"{match['msg']} ({match['code']})", loc, match["sev"]))
        elif diags and line.startswith("  "):
            last = diags[-1]
            diags[-1] = Diagnostic(f"{last.message} {line.strip()}", last.location, last.severity)
        elif line.strip():
            diags.append(Diagnostic(line.strip()))
    return diags


_MISSING_NAME_RE = re.compile(r"^Cannot find name '([\w$]+)'|^'([\w$]+)' only refers to a type, but is being used as a value")


async def check(root: Path) -> list[Diagnostic]:
    """Run ``tsc --noEmit`` on the project and return its diagnostics (empty: clean).

    An isoplay.toml project is checked with its own tsconfig (types/ refreshed first); a
    wrangler project through ``.isoplay/tsconfig.check.json`` (runtime.compat.types), and a
    name its types had to drop because the runtime lacks it is reported as such.
    """
    from runtime.manifest import MANIFEST_NAME
    from runtime.project import project_manifest

    manifest = await asyncio.to_thread(project_manifest, root)
    tools = await asyncio.to_thread(toolchain.ensure)
    config = "."
    missing: tuple[str, ...] = ()
    if manifest.source == MANIFEST_NAME:
        await asyncio.to_thread(write_types, root, manifest)
    else:
        from runtime.compat.types import check_config

        path, overlay = await asyncio.to_thread(check_config, root, manifest, tools)
        config, missing = str(path.relative_to(root)), overlay.missing
    proc = await asyncio.create_subprocess_exec(
        str(tools.tsc), "--noEmit", "-p", config, "--pretty", "false",
        cwd=root, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT,
    )
    out, _ = await proc.communicate()
    return [_explain_missing(d, missing) for d in parse_tsc_output(out.decode("utf-8", "replace"))]


def _explain_missing(diag: Diagnostic, missing: tuple[str, ...]) -> Diagnostic:
    match = _MISSING_NAME_RE.match(diag.message)
    name = match and (match.group(1) or match.group(2))
    if name and name in missing:
        return Diagnostic(f"{diag.message}: the Workers types declare {name}, but isoplay's runtime does not "
                          "have it yet, so isoplay's types leave it out", diag.location, diag.severity)
    return diag
