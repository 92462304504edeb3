"""Whether a project's npm dependencies need installing, and the environments its config defines.

Guarantees:

- ``install_needed(root)`` says why ``npm install`` should run (or None): ``package.json``
  declares dependencies and ``node_modules`` is missing, or ``package.json`` /
  ``package-lock.json`` changed after the last install (npm writes
  ``node_modules/.package-lock.json`` at the end of every install; its time is the
  install's). It only reads file times: cheap enough to ask after every build.
- ``environments(root)`` lists the ``[env.NAME]`` sections of a wrangler config (empty for
  an isoplay.toml project or a config that does not parse: the build reports that).
"""

from __future__ import annotations

import json
from pathlib import Path

INSTALL_MARKER = Path("node_modules") / ".package-lock.json"


def install_needed(root: Path) -> str | None:
    """Why the dependencies should be installed now, or None when they are in place (or there are none)."""
    package = root / "package.json"
    try:
        data = json.loads(package.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(data, dict) or not (data.get("dependencies") or data.get("devDependencies")):
        return None
    if not (root / "node_modules").is_dir():
        return "node_modules is missing"
    marker = root / INSTALL_MARKER
    try:
        installed = marker.stat().st_mtime
    except OSError:
        return "node_modules was not installed by npm (no node_modules/.package-lock.json)"
    for name in ("package.json", "package-lock.json"):
        try:
            if (root / name).stat().st_mtime > installed + 0.001:
                return f"{name} changed since the last install"
        except OSError:
            continue
    return None


def environments(root: Path) -> list[str]:
    """The names of the wrangler config's ``[env.NAME]`` sections, in file order."""
    from runtime.compat.wrangler import find_config, read_config
    from runtime.errors import UserError

    path = find_config(root)
    if path is None or (root / "isoplay.toml").is_file():
        return []
    try:
        envs = read_config(path).data.get("env")
    except UserError:
        return []
    return [str(name) for name in envs] if isinstance(envs, dict) else []
