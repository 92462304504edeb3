"""``--env NAME``: the wrangler environment a command uses (as ``wrangler --env`` / ``CLOUDFLARE_ENV``)."""

from __future__ import annotations

import argparse
import os
from typing import Any

from runtime.compat.wrangler import ENV_VARIABLE


class _EnvAction(argparse.Action):
    """Stores the name and exports it as CLOUDFLARE_ENV, so every layer (bundler, debugger worker
    processes, publish) resolves the same environment."""

    def __call__(self, parser: argparse.ArgumentParser, namespace: argparse.Namespace, values: Any,
                 option_string: str | None = None) -> None:
        setattr(namespace, self.dest, values)
        os.environ[ENV_VARIABLE] = str(values)


def add_env_argument(p: argparse.ArgumentParser) -> None:
    """Add ``--env NAME`` to a command's parser."""
    p.add_argument("--env", "-e", metavar="NAME", action=_EnvAction, default=None,
                   help=f"the [env.NAME] environment of a wrangler config (default: ${ENV_VARIABLE} or the top level)")


def show_config_warnings(directory: Any) -> None:
    """Print the config's warnings (unknown keys, unsupported bindings ...) to stderr, as wrangler does.
    Errors are left to the command itself, which reports them its own way."""
    import sys
    from pathlib import Path

    from runtime.errors import UserError
    from runtime.project import Project

    try:
        manifest = Project.open(Path(directory)).manifest()
    except UserError:
        return
    for warning in manifest.warnings:
        print(f"▲ [WARNING] {warning}", file=sys.stderr)
    summary = config_summary(manifest)
    if summary:
        print(summary, file=sys.stderr)


def config_summary(manifest: Any) -> str | None:
    """One line on what a wrangler config sets that isoplay shows but does not act on locally."""
    if manifest.source == "isoplay.toml":
        return None
    parts = [f"compatibility_date {manifest.compatibility_date}"]
    if manifest.compatibility_flags:
        parts.append("flags " + ", ".join(manifest.compatibility_flags))
    if manifest.routes:
        parts.append("routes (not used locally) " + ", ".join(manifest.routes))
    if manifest.limits.cpu_ms is not None:
        parts.append(f"cpu_ms {manifest.limits.cpu_ms} (isoplay enforces wall time: timeout_ms "
                     f"{manifest.limits.timeout_ms})")
    env = f" [env {manifest.environment}]" if manifest.environment else ""
    return f"{manifest.source}{env}: " + "; ".join(parts)
