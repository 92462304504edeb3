"""Run one invocation of a project: bundle, load an isolate, invoke, dispose.

This is ``isoplay run``'s engine and the simplest way to drive a script from a
test. The serving paths (dev server, IDE, server runtime) use the isolate pool
instead, which keeps isolates warm.
"""

from __future__ import annotations

from pathlib import Path

from runtime.bundler import Bundle, bundle
from runtime.invocation import InvocationResult, Trigger
from runtime.isolate import ScriptHost, ScriptIsolate
from runtime.project import Project


def kv_factory_for(project_kv_path: Path):  # type: ignore[no-untyped-def]
    """A ``ScriptHost.kv_factory`` over the project's local KV database."""
    from runtime.kv.store import KVStore

    store = KVStore(project_kv_path)
    return store.namespace


def host_for(project: Project, built: Bundle) -> ScriptHost:
    """The ScriptHost of a local project (its KV file, secrets, allow-list)."""
    return ScriptHost(
        script_name=built.manifest.name,
        fetch_allow=built.manifest.fetch_allow,
        kv_factory=kv_factory_for(project.kv_path),
        secrets=project.secrets(),
    )


async def run_once(root: Path | str, trigger: Trigger) -> InvocationResult:
    """Bundle the project at ``root`` and run ``trigger`` in a fresh isolate.

    Raises:
        ManifestError, BundleError: the project does not build.
    """
    project = Project.open(root)
    built = await bundle(project.root)
    host = host_for(project, built)
    isolate = ScriptIsolate(built, host)
    try:
        return await isolate.invoke(trigger)
    finally:
        isolate.close()
        await host.aclose()
