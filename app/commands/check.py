"""``isoplay check DIR``: type-check with TypeScript 7 (separate from bundling)."""

from __future__ import annotations

import argparse
import asyncio
from pathlib import Path

from runtime.project import Project
from runtime.typecheck import check
from app.commands._env import add_env_argument, show_config_warnings


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Add the ``check`` command."""
    p = sub.add_parser("check", help="type-check a project (tsc --noEmit)")
    p.add_argument("dir", type=Path, nargs="?", default=Path("."))
    add_env_argument(p)
    p.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    """Print diagnostics as file:line:col lines; exit 1 on errors."""
    show_config_warnings(args.dir)
    project = Project.open(args.dir)
    diags = asyncio.run(check(project.root))
    for diag in diags:
        print(diag)
    errors = sum(1 for d in diags if d.severity == "error")
    print(f"{errors} error(s)" if errors else "No type errors.")
    return 1 if errors else 0
