"""``isoplay new DIR --template hello|kv|cron|router``: scaffold a project."""

from __future__ import annotations

import argparse
from pathlib import Path

from runtime.project import TEMPLATES, new_project


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Add the ``new`` command."""
    p = sub.add_parser("new", help="create a project from a template")
    p.add_argument("dir", type=Path, help="folder to create (must be empty or absent)")
    p.add_argument("--template", "-t", choices=TEMPLATES, default="hello")
    p.add_argument("--name", help="script name (default: the folder name)")
    p.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    """Scaffold and say what to do next."""
    project = new_project(args.dir, args.template, args.name)
    manifest = project.manifest()
    print(f"Created {manifest.name} from the {args.template} template in {args.dir}")
    for d1 in manifest.d1_databases:
        print(f"  isoplay d1 migrations apply {d1.binding} --dir {args.dir}   create the {d1.binding} database's tables")
    print(f"  isoplay run {args.dir} --request 'GET /'     run it once")
    print(f"  isoplay dev {args.dir}                      serve it with hot reload")
    print(f"  isoplay ide {args.dir}                      open it in the IDE")
    return 0
