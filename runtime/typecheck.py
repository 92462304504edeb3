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


async def check(root: Path) -> list[Diagnostic]:
    """Run ``tsc --noEmit -p root`` and return its diagnostics (empty: clean)."""
    await asyncio.to_thread(write_types, root)
    tools = await asyncio.to_thread(toolchain.ensure)
    proc = await asyncio.create_subprocess_exec(
        str(tools.tsc), "--noEmit", "-p", ".", "--pretty", "false",
        cwd=root, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT,
    )
    out, _ = await proc.communicate()
    return parse_tsc_output(out.decode("utf-8", "replace"))
