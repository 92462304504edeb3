"""``isoplay publish DIR --server URL``: build a release bundle and deploy it; shared server flags."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import IO

from runtime.errors import UserError
from runtime.publish_client import SERVER_ENV, PublishClient, build_release, resolve_token
from app.commands._env import add_env_argument


def add_server_arguments(p: argparse.ArgumentParser) -> None:
    """``--server`` and ``--token``, shared by publish, versions, rollback and login."""
    p.add_argument("--server", default=os.environ.get(SERVER_ENV), metavar="URL",
                   help=f"the isoplay server (default: ${SERVER_ENV})")
    p.add_argument("--token", default=None, metavar="T",
                   help="API token (default: $ISOPLAY_TOKEN, then the keyring entry `isoplay login` saved)")


def server_of(args: argparse.Namespace) -> str:
    """The ``--server`` value, or a UserError saying it is needed."""
    if not args.server:
        raise UserError(f"--server URL is required (or set {SERVER_ENV})")
    return str(args.server)


def client_for(args: argparse.Namespace) -> PublishClient:
    """A client for ``--server`` with the resolved token."""
    server = server_of(args)
    return PublishClient(server, resolve_token(server, args.token))


def human_size(size: int) -> str:
    """``12.3 kB``-style sizes."""
    for unit in ("B", "kB", "MB"):
        if size < 1000 or unit == "MB":
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1000  # type: ignore[assignment]
    raise AssertionError("unreachable")


class ProgressBar:
    """A one-line upload bar on a terminal; a single summary line otherwise."""

    WIDTH = 30

    def __init__(self, stream: IO[str]) -> None:
        self.stream = stream
        self.tty = hasattr(stream, "isatty") and stream.isatty()

    def __call__(self, sent: int, total: int) -> None:
        if self.tty:
            filled = int(self.WIDTH * sent / total) if total else self.WIDTH
            bar = "#" * filled + "-" * (self.WIDTH - filled)
            percent = 100 * sent // total if total else 100
            self.stream.write(f"\ruploading [{bar}] {percent:3d}% {human_size(sent)}/{human_size(total)}")
        if sent >= total:
            self.stream.write(("\n" if self.tty else "") + f"uploaded {human_size(total)}\n")
        self.stream.flush()


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Add the ``publish`` command."""
    p = sub.add_parser("publish", help="build a release bundle and deploy it to an isoplay server")
    p.add_argument("dir", type=Path, nargs="?", default=Path("."))
    add_env_argument(p)
    add_server_arguments(p)
    p.add_argument("--version", dest="set_version", metavar="X", help="publish as this version (default: isoplay.toml's)")
    p.add_argument("--no-promote", action="store_true", help="store the version without making it live")
    p.add_argument("--dry-run", action="store_true", help="build and let the server validate; store nothing")
    p.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    """Build, upload, print the live URL."""
    server = server_of(args)
    token = resolve_token(server, args.token)
    bundle = build_release(args.dir, version=args.set_version)
    name, version = bundle.manifest.name, bundle.manifest.version
    print(f"built {name}@{version}: script {human_size(len(bundle.code.encode()))}, source map "
          f"{human_size(len(bundle.sourcemap.encode()))}, hash {bundle.content_hash[:12]}", file=sys.stderr)
    promote = not args.no_promote
    with PublishClient(server, token) as client:
        if args.dry_run:
            plan = client.dry_run(bundle, promote=promote)
            what = "create" if plan.action == "create" else "change nothing (same content already published)"
            print(f"dry run: publishing {name}@{version} would {what}" + ("" if promote else " (not promoted)"))
            return 0
        result = client.publish(bundle, promote=promote, on_progress=ProgressBar(sys.stderr))
    state = "live" if result.live else "not live (--no-promote)"
    what = "published" if result.created else "already published with the same content"
    print(f"{name}@{version} {what}, {state}", file=sys.stderr)
    print(result.live_url if result.live else result.url)
    return 0
