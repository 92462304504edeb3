"""The isoplay command line, run as a user would (a real subprocess)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from runtime.project import TEMPLATES


def isoplay(*args: str, cwd: Path | None = None, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "app", *args], capture_output=True, text=True, cwd=cwd,
                          input=stdin, timeout=120)


@pytest.mark.parametrize("template", TEMPLATES)
def test_every_template_scaffolds_checks_and_runs(tmp_path: Path, template: str, tools) -> None:
    target = tmp_path / f"my-{template}"
    created = isoplay("new", str(target), "--template", template)
    assert created.returncode == 0, created.stderr
    # an isoplay.toml template gets types/env.d.ts; the wrangler one, worker-configuration.d.ts (`isoplay types`)
    assert (target / "types" / "env.d.ts").is_file() or (target / "worker-configuration.d.ts").is_file()
    checked = isoplay("check", str(target))
    assert checked.returncode == 0, checked.stdout + checked.stderr
    ran = isoplay("run", str(target), "--request", "GET /", "--json")
    out = json.loads(ran.stdout)
    assert ran.returncode == 0, out
    assert out["status"] == 200 and out["error"] is None


def test_run_json_shape_and_request_flags(tmp_path: Path, tools) -> None:
    isoplay("new", str(tmp_path / "p"))
    (tmp_path / "body.txt").write_text("from file")
    src = 'export default { async fetch(r: Request) { console.info("hdr", r.headers.get("x-k")); return new Response(r.method + " " + new URL(r.url).search + " " + await r.text()); } };\n'
    (tmp_path / "p" / "src" / "index.ts").write_text(src)
    ran = isoplay("run", str(tmp_path / "p"), "--request", "PUT /a?b=1", "-H", "X-K: v", "-d", f"@{tmp_path / 'body.txt'}", "--json")
    out = json.loads(ran.stdout)
    assert set(out) >= {"status", "headers", "body", "logs", "error", "duration_ms", "heap"}
    assert out["body"] == "PUT ?b=1 from file"
    assert out["logs"][0]["level"] == "info" and out["logs"][0]["message"] == "hdr v"
    assert isinstance(out["logs"][0]["time"], float) and out["heap"]["used"] > 0


def test_run_triggers_and_failures_exit_nonzero(tmp_path: Path, tools) -> None:
    isoplay("new", str(tmp_path / "p"))
    (tmp_path / "p" / "src" / "index.ts").write_text(
        'export default {\n  run(i: any) { return { twice: i.n * 2 }; },\n  event(e: any) { throw new Error("no " + e.name); },\n};\n')
    once = isoplay("run", str(tmp_path / "p"), "--once", '{"n": 4}', "--json")
    assert once.returncode == 0 and json.loads(json.loads(once.stdout)["body"]) == {"twice": 8}
    event = isoplay("run", str(tmp_path / "p"), "--event", "signup", "--payload", "{}")
    assert event.returncode == 1
    assert "src/index.ts:3:25: Error: no signup" in event.stderr
    bad = isoplay("run", str(tmp_path / "p"), "--once", "{nope")
    assert bad.returncode == 1 and "--once: not valid JSON" in bad.stderr and "Traceback" not in bad.stderr


def test_build_error_prints_location_and_exits_1(tmp_path: Path, tools) -> None:
    isoplay("new", str(tmp_path / "p"))
    (tmp_path / "p" / "src" / "index.ts").write_text("export default {\n  fetch() { return new Response(; }\n};\n")
    for command in ("run", "bundle"):
        proc = isoplay(command, str(tmp_path / "p"))
        assert proc.returncode == 1
        assert "src/index.ts:2:" in proc.stderr and "Traceback" not in proc.stderr


def test_check_reports_type_errors(tmp_path: Path, tools) -> None:
    isoplay("new", str(tmp_path / "p"))
    (tmp_path / "p" / "src" / "extra.ts").write_text("export const n: number = 'x';\n")
    proc = isoplay("check", str(tmp_path / "p"))
    assert proc.returncode == 1
    assert "src/extra.ts:1:14: error: Type 'string' is not assignable to type 'number'. (TS2322)" in proc.stdout


def test_bad_manifest_is_one_clear_line(tmp_path: Path, tools) -> None:
    isoplay("new", str(tmp_path / "p"))
    manifest = tmp_path / "p" / "isoplay.toml"
    text = manifest.read_text().replace("memory_mb = 128", 'memory_mb = "lots"')
    manifest.write_text(text)
    proc = isoplay("run", str(tmp_path / "p"))
    assert proc.returncode == 1
    assert proc.stderr.strip().splitlines() == [
        "isoplay: isoplay.toml: [limits] memory_mb must be an integer from 8 to 16384 (got a string 'lots')"]


def test_version_lists_engines(tools) -> None:
    proc = isoplay("--version")
    assert proc.returncode == 0
    lines = proc.stdout.splitlines()
    assert lines[0].startswith("isoplay ") and lines[1].startswith("V8 14.")
    assert lines[2] == "esbuild 0.28.2" and lines[3] == "TypeScript 7.0.2"


def test_d1_migrations_and_execute_on_the_local_database(tmp_path: Path, tools) -> None:
    target = tmp_path / "notes"
    created = isoplay("new", str(target), "--template", "d1")
    assert "isoplay d1 migrations apply DB" in created.stdout
    missing = isoplay("run", str(target), "--request", "GET /notes", "--json")
    assert "D1_ERROR: no such table: notes" in json.loads(missing.stdout)["error"]["message"]
    listed = isoplay("d1", "migrations", "list", "DB", "--dir", str(target))
    assert listed.stdout.splitlines() == ["· 0001_create_notes.sql   (not applied)"], listed.stderr
    applied = isoplay("d1", "migrations", "apply", "notes", "--dir", str(target))  # by database_name too
    assert applied.returncode == 0 and applied.stdout.splitlines() == ["✓ applied 0001_create_notes.sql"], applied.stderr
    assert isoplay("d1", "migrations", "apply", "DB", "--dir", str(target)).stdout.startswith("no migrations to apply")
    posted = json.loads(isoplay("run", str(target), "--request", "POST /notes", "-d", "buy milk", "--json").stdout)
    assert posted["status"] == 201 and json.loads(posted["body"])["text"] == "buy milk"
    shown = isoplay("d1", "execute", "DB", "--dir", str(target), "--command", "SELECT id, text FROM notes")
    assert shown.returncode == 0 and shown.stdout.splitlines()[2].split() == ["1", "│", "buy", "milk"], shown.stdout
    as_json = json.loads(isoplay("d1", "execute", "DB", "--dir", str(target), "--json",
                                 "--command", "SELECT count(*) AS n FROM notes").stdout)
    assert as_json[0]["results"] == [{"n": 1}] and as_json[0]["success"] is True
    # one command is one transaction: a failing statement undoes the ones before it, and says so
    failed = isoplay("d1", "execute", "DB", "--dir", str(target), "--command",
                     "INSERT INTO notes (text) VALUES ('x'); INSERT INTO notes (nope) VALUES (1)")
    assert failed.returncode == 1 and "no column named nope" in failed.stderr and "nothing was changed" in failed.stderr
    refused = isoplay("d1", "execute", "DB", "--dir", str(target), "--command", f"ATTACH '{tmp_path / 'x.db'}' AS x")
    assert refused.returncode == 1 and "SQLITE_AUTH" in refused.stderr and not (tmp_path / "x.db").exists()
    unknown = isoplay("d1", "execute", "OTHER", "--dir", str(target), "--command", "SELECT 1")
    assert "has no D1 database 'OTHER' (d1_databases bindings: DB)" in unknown.stderr
    count = isoplay("d1", "execute", "DB", "--dir", str(target), "--json", "--command", "SELECT count(*) AS n FROM notes")
    assert json.loads(count.stdout)[0]["results"] == [{"n": 1}]
    # a recorded invocation replays on the rows it read then, whatever the database holds now
    recording = tmp_path / "list.isorec"
    isoplay("run", str(target), "--request", "GET /notes", "--record", str(recording))
    isoplay("d1", "execute", "DB", "--dir", str(target), "--command", "DELETE FROM notes")
    replayed = isoplay("replay", str(recording), str(target))
    assert replayed.returncode == 0 and "buy milk" in replayed.stdout and "same response and logs" in replayed.stderr


def test_r2_object_put_get_list_delete_on_the_local_bucket(tmp_path: Path, tools) -> None:
    root = tmp_path / "files"
    (root / "src").mkdir(parents=True)
    (root / "isoplay.toml").write_text('name = "files"\nmain = "src/index.ts"\n[[r2_buckets]]\nbinding = "FILES"\n'
                                       'bucket_name = "uploads"\n')
    (root / "src" / "index.ts").write_text(
        "export default { async fetch(r: Request, env: { FILES: R2Bucket }) {\n"
        "  const o = await env.FILES.get(new URL(r.url).pathname.slice(1));\n"
        "  if (!o) return new Response('missing', { status: 404 });\n"
        "  const h = new Headers(); o.writeHttpMetadata(h); return new Response(o.body, { headers: h });\n} };\n")
    (tmp_path / "logo.svg").write_text("<svg/>")
    put = isoplay("r2", "object", "put", "uploads/img/logo.svg", "--file", str(tmp_path / "logo.svg"), "--dir", str(root))
    assert put.returncode == 0 and "(6 bytes, image/svg+xml" in put.stdout, put.stderr
    piped = isoplay("r2", "object", "put", "FILES/notes.txt", "--pipe", "--custom-metadata", '{"owner": "ada"}',
                    "--dir", str(root), stdin="hello")
    assert piped.returncode == 0, piped.stderr
    served = json.loads(isoplay("run", str(root), "--request", "GET /img/logo.svg", "--json").stdout)
    assert served["body"] == "<svg/>" and served["headers"]["content-type"] == "image/svg+xml"  # the script sees it
    listed = json.loads(isoplay("r2", "object", "list", "uploads", "--json", "--dir", str(root)).stdout)
    assert [(o["key"], o["size"], o["customMetadata"]) for o in listed] == [("img/logo.svg", 6, {}),
                                                                         ("notes.txt", 5, {"owner": "ada"})]
    assert isoplay("r2", "object", "get", "uploads/notes.txt", "--pipe", "--dir", str(root)).stdout == "hello"
    assert isoplay("r2", "object", "delete", "uploads/notes.txt", "--dir", str(root)).returncode == 0
    gone = isoplay("r2", "object", "get", "uploads/notes.txt", "--pipe", "--dir", str(root))
    assert gone.returncode == 1 and "uploads/notes.txt: no such object" in gone.stderr
    unknown = isoplay("r2", "object", "list", "other", "--dir", str(root))
    assert "has no R2 bucket 'other' (r2_buckets: FILES (uploads))" in unknown.stderr
