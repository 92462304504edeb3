"""``isoplay types [DIR] [PATH]``: write worker-configuration.d.ts from a wrangler config (as ``wrangler types``)."""

from __future__ import annotations

import argparse
from pathlib import Path


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Add the ``types`` command."""
    p = sub.add_parser("types", help="write worker-configuration.d.ts (Env from the wrangler config, runtime types)",
                       description="Write the Env type of a wrangler project (bindings, vars as literal types, "
                                   "secrets from .dev.vars/.env, one interface per [env.NAME]) and the Workers "
                                   "runtime types isoplay's runtime has, as `wrangler types` does.")
    p.add_argument("dir", type=Path, nargs="?", default=Path("."))
    p.add_argument("path", type=Path, nargs="?", default=None,
                   help="where to write (default: DIR/worker-configuration.d.ts)")
    p.add_argument("--include-runtime", choices=("true", "false"), default="true",
                   help="also write the runtime types (the Workers types minus what isoplay lacks); default true")
    p.add_argument("--env-interface", default="Env", metavar="NAME", help="the name of the Env interface")
    p.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    """Write the file; print where."""
    import re

    from runtime.compat.typegen import write
    from runtime.errors import UserError

    if not re.match(r"^[A-Za-z_$][A-Za-z0-9_$]*$", args.env_interface):
        raise UserError(f"--env-interface {args.env_interface!r} is not a TypeScript identifier")
    root = args.dir.resolve()
    target = args.path if args.path is None or args.path.is_absolute() else Path.cwd() / args.path
    path, changed = write(root, target, include_runtime=args.include_runtime == "true",
                          env_interface=args.env_interface)
    print(f"{'wrote' if changed else 'unchanged:'} {path}")
    return 0
