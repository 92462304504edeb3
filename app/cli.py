"""The ``isoplay`` command line: one module per subcommand in app/commands/.

Each module defines ``register(subparsers)`` which adds its parser and sets
``handler=<function(args) -> int>``. With no subcommand, ``isoplay`` opens the
IDE. User errors print as one clear line and exit 1, never a traceback.
"""

from __future__ import annotations

import argparse
import importlib
import pkgutil
import sys
from collections.abc import Sequence
from pathlib import Path

from runtime.errors import IsoplayError, UserError


def build_parser(only: str | None = None) -> argparse.ArgumentParser:
    """The argument parser with every command module registered (or just ``only``'s, which
    spares a command the imports of all the others: ``isoplay test`` starts ~1 s sooner)."""
    from app import commands

    parser = argparse.ArgumentParser(
        prog="isoplay",
        description="IDE, playground and runtime for Workers-style TypeScript scripts.",
    )
    parser.add_argument("--version", action="store_true", help="print isoplay, V8, esbuild and TypeScript versions")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for info in sorted(pkgutil.iter_modules(commands.__path__), key=lambda m: m.name):
        if only is not None and info.name != only:
            continue
        module = importlib.import_module(f"app.commands.{info.name}")
        register = getattr(module, "register", None)
        if register is not None:
            register(sub)
    return parser


def print_version() -> int:
    """Print the versions of isoplay and its engines."""
    from importlib.metadata import version

    from runtime import toolchain
    from runtime.engine import v8_version

    print(f"isoplay {version('isoplay')}")
    print(f"V8 {v8_version()}")
    found = toolchain.find()
    if found is None:
        pins = toolchain.pinned_versions()
        print(f"esbuild {pins['esbuild']} (not installed yet)")
        print(f"TypeScript {pins['typescript']} (not installed yet)")
    else:
        versions = found.versions()
        print(f"esbuild {versions['esbuild']}")
        print(f"TypeScript {versions['typescript']}")
    return 0


def _command_names(parser: argparse.ArgumentParser) -> set[str]:
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            return set(action.choices)
    return set()


def _command_module(name: str) -> str | None:
    """``name`` when a command module of that name registers it (then only that module is imported:
    ``isoplay dev`` answers its first request sooner without the server, publish and IDE imports)."""
    from app import commands

    if name.startswith("-"):
        return None
    return name if any(info.name == name for info in pkgutil.iter_modules(commands.__path__)) else None


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``isoplay`` console command."""
    argv = list(sys.argv[1:] if argv is None else argv)
    parser = build_parser(only=_command_module(argv[0]) if argv else None)
    if argv and not argv[0].startswith("-") and argv[0] not in _command_names(parser) and Path(argv[0]).is_dir():
        argv.insert(0, "ide")  # ``isoplay DIR`` (a file manager's "Open with") opens DIR in the IDE
    args = parser.parse_args(argv)
    if args.version:
        return print_version()
    if args.command is None:
        args = parser.parse_args(["ide", *argv])
    args.argv = argv  # the command line as given (``serve --workers`` hands it on to its workers)
    try:
        return int(args.handler(args) or 0)
    except UserError as exc:
        print(f"isoplay: {exc}", file=sys.stderr)
        return 1
    except IsoplayError as exc:
        print(f"isoplay: internal error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:  # `isoplay ... | head`: the reader left; say nothing, as other commands do
        import os

        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())  # Python's exit flush must not fail on the closed pipe again
        return 141


if __name__ == "__main__":
    sys.exit(main())
