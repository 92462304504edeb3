"""``isoplay bundle DIR [-o OUT] [--minify]``: build script + source map + manifest."""

from __future__ import annotations

import argparse
from pathlib import Path

from runtime.bundler import bundle_sync
from runtime.project import Project
from app.commands._env import add_env_argument, show_config_warnings


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Add the ``bundle`` command."""
    p = sub.add_parser("bundle", help="bundle a project with esbuild")
    p.add_argument("dir", type=Path, nargs="?", default=Path("."))
    add_env_argument(p)
    p.add_argument("-o", "--out", type=Path, help="output folder (default: DIR/dist)")
    p.add_argument("--minify", action="store_true", help="minify (names kept for stack traces)")
    p.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    """Bundle and print the written files."""
    show_config_warnings(args.dir)
    project = Project.open(args.dir)
    built = bundle_sync(project.root, minify=args.minify)
    for warning in built.warnings:
        print(warning)
    out = args.out or project.root / "dist"
    paths = built.write(out)
    size = paths["script"].stat().st_size
    print(f"Bundled {built.manifest.name}@{built.manifest.version} ({size:,} bytes, sha256 {built.content_hash[:12]})")
    for kind, path in paths.items():
        print(f"  {kind:9} {path}")
    return 0
