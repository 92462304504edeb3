"""A recording saved as a test of the project runs with ``isoplay test``, and fails when the code changes."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

sys.path.insert(0, str(Path(__file__).parent))
from replay_app import SECRET, SOURCE, manifest, upstream  # noqa: E402

from runtime.bundler import bundle
from runtime.invocation import HttpRequest
from runtime.isolate import ScriptIsolate
from runtime.kv.store import KVStore
from runtime.project import Project
from runtime.replay import Redactor
from runtime.runner import host_for

REPO = Path(__file__).resolve().parents[3]


@pytest.fixture(scope="module")
def up() -> Iterator[str]:
    with upstream() as address:
        yield address


def isoplay(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "app", *args], cwd=REPO, capture_output=True, text=True, timeout=300)


async def _record_to_file(root: Path, path: str) -> Path:
    project = Project.open(root)
    built = await bundle(project.root, manifest=project.manifest())
    store = KVStore(project.kv_path)
    store.namespace("KV").put("user:1", "ada")
    host = host_for(project, built, store)
    isolate = ScriptIsolate(built, host)
    isolate.record = True
    try:
        result = await isolate.invoke(HttpRequest("GET", "http://localhost" + path))
    finally:
        isolate.close()
        await host.aclose()
        store.close()
    store = KVStore(project.kv_path)  # the test must bring its own KV: empty the project's
    store.namespace("KV").delete("user:1")
    store.close()
    rec = result.recording.to_recording(result, bundle_hash=built.content_hash,
                                        redactor=Redactor(host.secrets, built.manifest.vars))
    out = root / "recorded.isorec"
    out.write_text(rec.to_jsonl(), encoding="utf-8")
    return out


async def test_recordings_saved_as_tests_pass_and_catch_a_change(make_project: Any, up: str) -> None:
    root = make_project({"src/index.ts": SOURCE, ".dev.vars": f'API_TOKEN="{SECRET}"\n'}, manifest(up))
    for path in ("/ok?id=1", "/fail?id=1"):
        saved = isoplay("replay", str(await _record_to_file(root, path)), str(root), "--save-test")
        assert saved.returncode == 0, saved.stderr
    tests = sorted((root / "test").glob("recorded-*.test.ts"))
    assert len(tests) == 2
    text = "\n".join(t.read_text() for t in tests)
    assert 'env.KV.put("user:1", "ada")' in text and "fetchMock.get(" in text and "SELF.fetch(" in text
    assert "toMatch(/^" in text  # the clock and random parts of the body are left open
    ran = isoplay("test", str(root))
    assert ran.returncode == 0, ran.stdout + ran.stderr
    assert "2 passed" in ran.stdout
    # the saved tests pin the behaviour: a changed answer fails them
    (root / "src/index.ts").write_text(SOURCE.replace("failed for ${user}", "broke for ${user}")
                                       .replace("return Response.json({ user,", "return Response.json({ who: user,"))
    changed = isoplay("test", str(root))
    assert changed.returncode == 1
    assert "2 failed" in changed.stdout
