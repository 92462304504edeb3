"""The declared types (resources/types/webplatform.d.ts) against real code, and against the isolate."""

from __future__ import annotations

import asyncio
import re
from pathlib import Path

from bench.conformance.jsisolate import isolate
from runtime.project import new_project
from runtime.typecheck import check

USES = """
export default {
  async fetch(request: Request): Promise<Response> {
    const hit = await caches.default.match(request);
    if (hit) return hit;
    const m = new URLPattern({ pathname: "/books/:id" }).exec(request.url);
    if (request.headers.get("upgrade") === "websocket") {
      const [client, server] = Object.values(new WebSocketPair());
      server.accept();
      server.addEventListener("message", (e) => server.send(String(e.data)));
      return new Response(null, { status: 101, webSocket: client });
    }
    const out = new HTMLRewriter()
      .on("a", { element(el) { el.setAttribute("x", m?.pathname.groups.id ?? ""); el.onEndTag((t) => { t.after("!"); }); } })
      .onDocument({ end(end) { end.append("<!-- -->", { html: true }); } })
      .transform(new Response("<a>x</a>"));
    await (await caches.open("x")).put(request, out.clone());
    return out;
  },
} satisfies ExportedHandler;
"""


def test_declared_web_platform_types_check_and_catch_mistakes(tmp_path: Path, tools: object) -> None:
    project = new_project(tmp_path / "p", "hello")
    (project.root / "src" / "index.ts").write_text(USES, encoding="utf-8")
    assert asyncio.run(check(project.root)) == []
    (project.root / "src" / "index.ts").write_text(USES.replace("el.setAttribute(", "el.setAtribute("), encoding="utf-8")
    errors = asyncio.run(check(project.root))
    assert errors and "setAtribute" in str(errors[0])


def test_declared_globals_exist_in_the_isolate() -> None:
    text = (Path(__file__).resolve().parents[3] / "resources" / "types" / "webplatform.d.ts").read_text()
    declared = re.findall(r"^declare (?:class|const) (\w+)", text, re.M)
    assert {"WebSocketPair", "HTMLRewriter"} <= set(declared)
    with isolate() as iso:
        kinds = iso.json("JSON.stringify(" + repr(declared) + ".map((n) => typeof globalThis[n]))")
        extra = iso.json("JSON.stringify([typeof caches.default.match, typeof URLPattern,"
                         " typeof new Response(null, { status: 101, webSocket: new WebSocketPair()[0] }).webSocket.accept])")
    assert kinds == ["function"] * len(declared)
    assert extra == ["function", "function", "function"]
