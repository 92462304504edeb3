"""Run one invocation of a project: bundle, load an isolate, invoke, dispose.

This is ``isoplay run``'s engine and the simplest way to drive a script from a
test. The serving paths (dev server, IDE, server runtime) use the isolate pool
instead, which keeps isolates warm.
"""

from __future__ import annotations

from pathlib import Path

from runtime.bundler import Bundle, bundle
from runtime.invocation import HttpRequest, InvocationResult, Trigger
from runtime.isolate import ScriptHost, ScriptIsolate
from runtime.kv.store import KVStore
from runtime.manifest import SECRETS_PATH, check_binding_clash
from runtime.project import Project
from runtime.webapi.cache import SQLiteCacheStore


def host_for(project: Project, built: Bundle, store: KVStore, cache: SQLiteCacheStore | None = None) -> ScriptHost:
    """The ScriptHost of a local project (its KV store, Cache API store, secrets, allow-list).

    Raises:
        ManifestError: a secret has the name of a KV binding (it would hide the binding on ``env``).
    """
    secrets = project.secrets()
    check_binding_clash(secrets, built.manifest.kv_namespaces, str(SECRETS_PATH), what="secret",
                        others=(*built.manifest.unsupported_bindings,
                                *((d.binding, "D1 database") for d in built.manifest.d1_databases),
                                *((r.binding, "R2 bucket") for r in built.manifest.r2_buckets)))
    from runtime.d1 import store as d1
    from runtime.r2 import store as r2

    from runtime.assets import assets_for

    return ScriptHost(script_name=built.manifest.name, fetch_allow=built.manifest.fetch_allow,
                      kv_store=store, secrets=secrets, cache_store=cache,
                      d1_store=d1.store_for(built.manifest, project.d1_dir),
                      r2_store=r2.store_for(built.manifest, project.r2_path),
                      assets=assets_for(project.root, built.manifest))


async def run_once(root: Path | str, trigger: Trigger, *, record: bool = False) -> InvocationResult:
    """Bundle the project at ``root`` and run ``trigger`` in a fresh isolate.

    ``record``: the result's ``recording`` is then a ``runtime.replay.Recording`` (secrets and vars
    redacted), ready to be written to a file.

    Raises:
        ManifestError, BundleError: the project does not build.
    """
    project = Project.open(root)
    built = await bundle(project.root, manifest=project.manifest())
    store = KVStore(project.kv_path)
    cache = SQLiteCacheStore(project.cache_path)
    host = host_for(project, built, store, cache)
    try:
        if host.assets is not None and isinstance(trigger, HttpRequest):  # static assets answer before the Worker
            from runtime.assets import asset_result, header_dict

            answered = asset_result(host.assets.match(trigger.method, trigger.url, header_dict(trigger.headers)))
            if answered is not None:
                return answered  # type: ignore[no-any-return]
        isolate = ScriptIsolate(built, host)
        isolate.record = record
        try:
            result = await isolate.invoke(trigger)
        finally:
            isolate.close()
        if result.recording is not None:
            from runtime.replay import Redactor

            manifest = built.manifest
            result.recording = result.recording.to_recording(
                result, bundle_hash=built.content_hash, app=manifest.name, version=manifest.version,
                redactor=Redactor(host.secrets, dict(manifest.vars)))
        return result
    finally:
        await host.aclose()
        store.close()
        cache.close()
