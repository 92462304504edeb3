"""Bad input through the real CLI (``python -m app`` subprocesses): one ``isoplay: file: reason`` line, exit 1.

Before: a UTF-16 or binary isoplay.toml and a Latin-1 source gave a UnicodeDecodeError traceback, and
``timeout_ms = 99999999999999999999999`` crashed a thread with OverflowError while ``isoplay run`` exited 0.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from sec_harness import isoplay, manifest_text, one_line_error

GOOD = manifest_text()

CASES = {
    "timeout-overflow": (GOOD + "[limits]\ntimeout_ms = 99999999999999999999999\n", {},
                         "isoplay.toml: [limits] timeout_ms must be from 1 to 3600000 (got 99999999999999999999999)"),
    "memory-negative": (GOOD + "[limits]\nmemory_mb = -5\n", {}, "[limits] memory_mb must be from 8 to 16384 (got -5)"),
    "queue-float": (GOOD + "[limits]\nmax_queue = 1e400\n", {}, "[limits] max_queue must be an integer from 0 to"),
    "utf16-manifest": (GOOD.encode("utf-16"), {}, "isoplay.toml: the file is UTF-16 text; save it as UTF-8"),
    "binary-manifest": (bytes(range(256)), {}, "isoplay.toml:1: the file holds a NUL byte"),
    "latin1-source": (GOOD, {"src/index.ts": 'export default { fetch() { return new Response("caf\xe9"); } };\n'
                             .encode("latin-1")},
                      "src/index.ts:1:52: error: not UTF-8 text (byte 0xe9); save the file as UTF-8"),
    "latin1-imported-module": (GOOD, {"src/index.ts": 'import { s } from "./util";\n'
                                      'export default { fetch() { return new Response(s); } };\n',
                                      "src/util.ts": 'export const s = "\xfc";\n'.encode("latin-1")},
                               "src/util.ts:1:19: error: not UTF-8 text (byte 0xfc)"),
    "var-shadows-binding": (GOOD.replace('V = "1"', 'KV = "1"') + '[[kv_namespaces]]\nbinding = "KV"\n', {},
                            "[vars] KV has the same name as the [[kv_namespaces]] binding 'KV'"),
}


@pytest.mark.parametrize("command", ["run", "bundle"])
@pytest.mark.parametrize("case", list(CASES), ids=list(CASES))
def test_bad_project_is_one_line_and_exit_1(project: Callable[..., Path], tmp_path: Path, case: str,
                                            command: str) -> None:
    manifest, files, expected = CASES[case]
    root = project(manifest, files or None)
    args = ["run", str(root), "--request", "GET /"] if command == "run" else ["bundle", str(root), "-o",
                                                                              str(tmp_path / "out")]
    line = one_line_error(isoplay(*args))
    assert expected in line, line
    assert not (tmp_path / "out").exists() or not any((tmp_path / "out").iterdir())


def test_largest_allowed_timeout_still_runs(project: Callable[..., Path]) -> None:
    root = project(GOOD + "[limits]\ntimeout_ms = 3600000\nqueue_timeout_ms = 3600000\n")
    result = isoplay("run", str(root), "--request", "GET /", "--json")
    assert result.returncode == 0, result.stderr
    assert '"status": 200' in result.stdout and "v=1" in result.stdout


def test_check_reports_a_bad_manifest_in_one_line(project: Callable[..., Path]) -> None:
    root = project(GOOD + "[limits]\ntimeout_ms = 99999999999999999999999\n")
    assert "[limits] timeout_ms must be from 1 to 3600000" in one_line_error(isoplay("check", str(root)))


WRANGLER = 'name = "w"\nmain = "src/index.ts"\ncompatibility_date = "2024-09-23"\n'
SOURCE = 'export default { fetch() { return new Response("ok"); } };\n'


@pytest.mark.parametrize(("config", "dev_vars", "expected"), [
    pytest.param(WRANGLER + '[vars]\nDB = "x"\n[[d1_databases]]\nbinding = "DB"\ndatabase_name = "d"\ndatabase_id = "1"\n',
                 None, "[vars] DB has the same name as the D1 database binding 'DB'", id="var-vs-d1"),
    pytest.param(WRANGLER + '[vars]\nQ = "x"\n[[queues.producers]]\nbinding = "Q"\nqueue = "q"\n',
                 None, "[vars] Q has the same name as the", id="var-vs-queue"),
    pytest.param(WRANGLER + '[[d1_databases]]\nbinding = "DB"\ndatabase_name = "d"\ndatabase_id = "1"\n',
                 "DB=secret\n", "secret DB has the same name as the D1 database binding 'DB'", id="secret-vs-d1"),
    pytest.param(WRANGLER + '[[kv_namespaces]]\nbinding = "KV"\nid = "1"\n', "KV=secret\n",
                 "secret KV has the same name as the [[kv_namespaces]] binding 'KV'", id="secret-vs-kv"),
])
def test_a_var_or_secret_named_like_any_binding_is_refused(tmp_path: Path, config: str, dev_vars: str | None,
                                                           expected: str) -> None:
    """Point 8's last line: a var (or secret) with a binding's name would silently hide one of them on env."""
    root = tmp_path / "w"
    (root / "src").mkdir(parents=True)
    (root / "src" / "index.ts").write_text(SOURCE)
    (root / "wrangler.toml").write_text(config)
    if dev_vars is not None:
        (root / ".dev.vars").write_text(dev_vars)
    line = one_line_error(isoplay("run", str(root), "--request", "GET /"))
    assert expected in line, line
