"""Code generation from strings is refused in every form, in an app served by a real ``isoplay serve``.

Workers forbids ``eval`` and ``new Function``; V8 runs with code generation from strings disallowed.
Each variant runs inside the deployed app's handler and reports what happened; a variant that managed to
run generated code would answer ``ran``.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from sec_harness import ServeProcess, create_token_offline, release, upload

VARIANTS = {
    "eval": 'eval("globalThis.__pwned = 1; 1")',
    "indirect-eval": '(0, eval)("1")',
    "computed-eval": '(globalThis as any)["ev" + "al"]("1")',
    "new-function": 'new Function("return 1")()',
    "function-call": 'Function("return 1")()',
    "constructor-of-a-function": '(function () {}).constructor("return 1")()',
    "constructor-of-an-arrow": '(() => 0).constructor("return 1")()',
    "async-function-constructor": 'Object.getPrototypeOf(async function () {}).constructor("return 1")()',
    "generator-constructor": 'Object.getPrototypeOf(function* () {}).constructor("yield 1")().next()',
    "async-generator-constructor": 'Object.getPrototypeOf(async function* () {}).constructor("yield 1")()',
    "reflect-construct": 'Reflect.construct(Function, ["return 1"])()',
    "reflect-apply": 'Reflect.apply(Function, null, ["return 1"])()',
    "bound-function": 'Function.bind(null, "return 1")()()',
    "eval-in-with-proxy": 'new Proxy({}, { get: () => eval })["x"]("1")',
    "eval-unicode-escape": 'globalThis["\\u0065val"]("1")',
    "settimeout-string": 'setTimeout("globalThis.__pwned = 1", 0)',
    "setinterval-string": 'setInterval("globalThis.__pwned = 1", 1)',
    "dynamic-import-of-a-data-url": 'import(["data:text/javascript", "globalThis.__pwned = 1"].join(","))',
    "function-from-template": 'Function`return 1```',
    "json-reviver-function": 'JSON.parse("1", Function as any)',
}

SOURCE = """
const VARIANTS: Record<string, () => unknown> = {
%s
};
export default {
  async fetch(request: Request): Promise<Response> {
    const name = new URL(request.url).searchParams.get("v") ?? "";
    const variant = VARIANTS[name];
    if (!variant) return new Response("no such variant", { status: 404 });
    try {
      const value = await variant();
      await new Promise((r) => setTimeout(r, 5));
      return Response.json({ ran: true, value: String(value), pwned: (globalThis as any).__pwned ?? null });
    } catch (e: any) {
      return Response.json({ ran: false, name: e?.name, message: String(e?.message ?? e),
                             pwned: (globalThis as any).__pwned ?? null });
    }
  },
};
""" % "\n".join(f"  {name!r}: () => {code}," for name, code in VARIANTS.items())


@pytest.fixture(scope="module")
def app_url(tmp_path_factory: pytest.TempPathFactory, tools: Any) -> Iterator[str]:
    data = tmp_path_factory.mktemp("serve-codegen")
    token = create_token_offline(data, "root")
    server = ServeProcess(data).start()
    with server.client(token) as client:
        published = upload(client, release(tmp_path_factory.mktemp("b"), "gen", "1.0.0", source=SOURCE))
        assert published.status_code == 201, published.text
    yield f"{server.url}/gen/"
    server.stop()


@pytest.mark.parametrize("variant", list(VARIANTS))
def test_code_generation_from_strings_is_refused(app_url: str, variant: str) -> None:
    answer = httpx.get(app_url, params={"v": variant}, timeout=30)
    assert answer.status_code == 200, answer.text
    result = answer.json()
    assert result["pwned"] is None, result
    assert result["ran"] is False, result
    assert result["name"] in ("EvalError", "TypeError", "Error"), result
    if result["name"] == "EvalError":
        assert "Code generation from strings disallowed" in result["message"], result
