"""A crossing's input is staged in the isolate's shared buffer (V8Isolate.stage), so its code is the same
text every time and V8 compiles it once; inputs it cannot stage, and an input the same as the last one of
its kind, are written into the code. Either way the script sees the same request and host-op results."""

from __future__ import annotations

import asyncio
import json
import sys
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "security"))

from isolate_harness import raw_bundle  # noqa: E402

from runtime.invocation import HttpRequest  # noqa: E402
from runtime.isolate import ScriptHost, ScriptIsolate  # noqa: E402
from runtime.kv.store import KVStore  # noqa: E402

SCRIPT = """
var __isoplay_module = { default: { async fetch(request, env) {
  const url = new URL(request.url);
  const body = await request.text();
  let stored = null;
  if (url.searchParams.has("kv")) {
    await env.KV.put(url.searchParams.get("kv"), body);
    stored = await env.KV.get(url.searchParams.get("kv"));
  }
  return Response.json({ path: url.pathname + url.search, tag: request.headers.get("x-tag"),
                         length: body.length, tail: body.slice(-3), stored });
} } };
"""


def _exercise(requests: list[HttpRequest], tmp_path: Path) -> tuple[list[dict[str, Any]], list[str]]:
    """Each request's decoded answer, and the code of every crossing made (in order)."""

    async def go() -> tuple[list[dict[str, Any]], list[str]]:
        host = ScriptHost("staged", kv_store=KVStore(tmp_path / "kv.sqlite3"))
        isolate = ScriptIsolate(raw_bundle(SCRIPT, kv=("KV",)), host)
        codes: list[str] = []
        real = isolate.v8.eval_json

        def spy(code: str, **kwargs: Any) -> Any:
            codes.append(code)
            return real(code, **kwargs)

        isolate.v8.eval_json = spy  # type: ignore[method-assign]
        try:
            answers = []
            for request in requests:
                result = await isolate.invoke(request)
                assert result.status == 200, (result.outcome, result.error, result.body)
                answers.append(json.loads(result.body))
            return answers, codes
        finally:
            isolate.close()
            await host.aclose()

    return asyncio.run(go())


def _get(path: str, tag: str = "t") -> HttpRequest:
    return HttpRequest(url=f"http://x{path}", headers=(("x-tag", tag),))


def test_new_requests_cross_with_the_same_code_text(tmp_path: Path) -> None:
    answers, codes = _exercise([_get("/a?n=1"), _get("/b?n=2", "second")], tmp_path)
    assert answers[0]["path"] == "/a?n=1" and answers[1] == {"path": "/b?n=2", "tag": "second", "length": 0,
                                                              "tail": "", "stored": None}
    assert codes == ["__isoplay.invokeBatch(null,2)"] * 2


def test_a_repeated_request_is_written_into_the_code_and_answers_the_same(tmp_path: Path) -> None:
    answers, codes = _exercise([_get("/same"), _get("/same"), _get("/other")], tmp_path)
    assert answers[0] == answers[1] and answers[2]["path"] == "/other"
    assert codes[0] == codes[2] == "__isoplay.invokeBatch(null,2)"
    assert "/same" in codes[1]  # V8 compiled this text the time before


def test_inputs_that_cannot_be_staged_are_written_into_the_code(tmp_path: Path) -> None:
    big = "x" * (40 * 1024) + "end"  # larger than the shared buffer, still an inline body
    requests = [HttpRequest("POST", "http://x/non-ascii", (("x-tag", "caf\u00e9"),), body="h\u00e9llo \u263a".encode()),
                HttpRequest("POST", "http://x/big", (), body=big.encode())]
    answers, codes = _exercise(requests, tmp_path)
    assert answers[0]["tag"] == "caf\u00e9"  # a Latin-1 header value: not ASCII
    assert answers[0]["tail"] == "o \u263a" and answers[1]["length"] == len(big) and answers[1]["tail"] == "end"
    assert all("null" not in code.split("(", 1)[1][:5] for code in codes), codes


def test_host_op_results_are_staged_for_the_resume(tmp_path: Path) -> None:
    answers, codes = _exercise([HttpRequest("POST", "http://x/kv?kv=k1", (), body=b"v1"),
                                HttpRequest("POST", "http://x/kv?kv=k2", (), body="w\u00e9".encode())], tmp_path)
    assert answers[0]["stored"] == "v1" and answers[1]["stored"] == "w\u00e9"
    resumes = [code for code in codes if code.startswith("__isoplay.resume(")]
    assert "__isoplay.resume(null)" in resumes  # the first request's KV results
    assert any("w\u00e9" in code for code in resumes)  # a non-ASCII value is written into the code
