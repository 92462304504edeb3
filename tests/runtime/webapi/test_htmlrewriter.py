"""HTMLRewriter: an HTML page rewritten by a real script (lol-html as WebAssembly, loaded on first use)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path

from runtime.invocation import HttpRequest
from runtime.runner import run_once

PAGE = (
    '<!DOCTYPE html><html><head><title>Old title</title></head><body>'
    '<a href="/docs">docs</a> <a href="https://other.test/">abs</a> <a>no href</a>'
    '<div id="user">guest</div><p class="note">Hello <b>world</b></p>'
    '<!-- internal note --><script>var x = "<a href=/no>";</script>'
    '<img src="a.png" data-lazy="b.png"></body></html>'
)

def _source() -> str:
    import json

    return SOURCE_TEMPLATE.replace("__PAGE__", json.dumps(PAGE))


SOURCE_TEMPLATE = """
interface Env { KV: KVNamespace }
const PAGE = __PAGE__;
export default {
  async fetch(request: Request, env: Env): Promise<Response> {
    await env.KV.put("user", "Ada <Lovelace>");
    const seen: string[] = [];
    const upstream = new Response(PAGE, { headers: { "content-type": "text/html; charset=utf-8", "content-length": "1" } });
    if (new URL(request.url).pathname === "/bad") {
      try { new HTMLRewriter().on("a[", { element() {} }).transform(upstream); await new HTMLRewriter().on("a[", {}).transform(upstream).text(); }
      catch (e) { return new Response(`${(e as Error).name}: ${(e as Error).message}`, { status: 400 }); }
      return new Response("no error");
    }
    return new HTMLRewriter()
      .on("a[href^='/']", { element(el) { el.setAttribute("href", "https://site.test" + el.getAttribute("href")); } })
      .on("a:not([href])", { element(el) { el.remove(); } })
      .on("title", { text(t) { if (t.lastInTextNode) t.replace("New title"); else t.remove(); } })
      .on("div#user", {
        async element(el) {
          const name = await env.KV.get("user");
          el.setInnerContent(name ?? "?");
          el.setAttribute("data-loaded", "1");
        },
      })
      .on("p.note b", { element(el) { el.tagName = "strong"; el.onEndTag((end) => { end.after("!", { html: false }); }); } })
      .on("img[data-lazy]", { element(el) { el.setAttribute("src", el.getAttribute("data-lazy")!); el.removeAttribute("data-lazy"); seen.push([...el.attributes].map(([k]) => k).join(",")); } })
      .onDocument({
        doctype(d) { seen.push(`doctype:${d.name}`); },
        comments(c) { c.remove(); },
        end(end) { end.append(`<!-- seen ${seen.join(";")} -->`, { html: true }); },
      })
      .transform(upstream);
  },
};
"""

MANIFEST = 'name = "rw"\nmain = "src/index.ts"\n[[kv_namespaces]]\nbinding = "KV"\n'


def test_html_page_rewritten_with_selectors_and_an_async_handler(make_project: Callable[..., Path]) -> None:
    root = make_project({"src/index.ts": _source()}, MANIFEST)
    result = asyncio.run(run_once(root, HttpRequest("GET", "http://localhost/page")))
    assert result.outcome == "ok", result.error
    assert result.status == 200
    headers = dict(result.headers)
    assert headers["content-type"] == "text/html; charset=utf-8" and "content-length" not in headers
    assert result.body_text() == (
        '<!DOCTYPE html><html><head><title>New title</title></head><body>'
        '<a href="https://site.test/docs">docs</a> <a href="https://other.test/">abs</a> '
        '<div id="user" data-loaded="1">Ada &lt;Lovelace&gt;</div><p class="note">Hello <strong>world</strong>!</p>'
        '<script>var x = "<a href=/no>";</script>'
        '<img src="b.png"></body></html><!-- seen doctype:html;src -->'
    )


def test_bad_selector_is_a_clear_error(make_project: Callable[..., Path]) -> None:
    root = make_project({"src/index.ts": _source()}, MANIFEST)
    result = asyncio.run(run_once(root, HttpRequest("GET", "http://localhost/bad")))
    assert result.outcome == "ok", result.error
    assert result.status == 400, result.body_text()
    assert "a[" in result.body_text() or "selector" in result.body_text().lower()
