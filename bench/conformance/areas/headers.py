"""Conformance area ``headers``: Conformance area ``headers``: the Fetch standard's Headers, as the WPT ``fetch/api/headers``
tests check it (constructor conversions, name/value validation and normalisation, sort and
combine, Set-Cookie, live iteration, guards). Each subtest is ours: a JS function that throws
on a mismatch.
"""

from __future__ import annotations

from bench.conformance import Outcome
from bench.conformance.jsisolate import Isolate, run_js

NAME = "headers"

JS = r"""
(data) => {
  const eq = (a, b, what) => { const x = JSON.stringify(a), y = JSON.stringify(b); if (x !== y) throw new Error(`${what ?? "value"}: got ${x}, want ${y}`); };
  const throwsType = (fn, what) => { try { fn(); } catch (e) { if (e instanceof TypeError) return; throw new Error(`${what}: threw ${e && e.name}, want TypeError`); } throw new Error(`${what}: did not throw`); };
  const T = {
    "no init is empty": () => eq([...new Headers()], []),
    "undefined init is empty": () => eq([...new Headers(undefined)], []),
    "null init throws": () => throwsType(() => new Headers(null), "new Headers(null)"),
    "primitive init throws": () => { for (const v of [1, "a=b", true]) throwsType(() => new Headers(v), String(v)); },
    "record init": () => eq([...new Headers({ b: "2", A: "1" })], [["a", "1"], ["b", "2"]]),
    "record keeps insertion for combine": () => eq(new Headers({ "x": "1", "X": "2" }).get("x"), "1, 2"),
    "record skips non-enumerable": () => { const o = { a: "1" }; Object.defineProperty(o, "b", { value: "2", enumerable: false }); eq([...new Headers(o)], [["a", "1"]]); },
    "record with symbol key throws": () => throwsType(() => new Headers({ [Symbol("s")]: "x" }), "symbol key"),
    "record through a proxy uses ownKeys": () => {
      const log = [];
      const p = new Proxy({ a: "1", b: "2" }, {
        ownKeys(t) { log.push("ownKeys"); return Reflect.ownKeys(t); },
        getOwnPropertyDescriptor(t, k) { log.push("gOPD " + String(k)); return Reflect.getOwnPropertyDescriptor(t, k); },
        get(t, k) { if (k !== Symbol.iterator) log.push("get " + String(k)); return Reflect.get(t, k); },
      });
      eq([...new Headers(p)], [["a", "1"], ["b", "2"]]);
      eq(log, ["ownKeys", "gOPD a", "get a", "gOPD b", "get b"], "trap order");
    },
    "sequence init": () => eq([...new Headers([["b", "2"], ["a", "1"]])], [["a", "1"], ["b", "2"]]),
    "sequence of non-pairs throws": () => { throwsType(() => new Headers([["a"]]), "one item"); throwsType(() => new Headers([["a", "b", "c"]]), "three items"); },
    "sequence item must be an object": () => throwsType(() => new Headers(["ab"]), "string item"),
    "custom iterable init": () => {
      const it = { *[Symbol.iterator]() { yield ["x-a", "1"]; yield new Set(["x-b", "2"]); } };
      eq([...new Headers(it)], [["x-a", "1"], ["x-b", "2"]]);
    },
    "iterable whose items are custom iterables": () => {
      const pair = (a, b) => ({ [Symbol.iterator]: function* () { yield a; yield b; } });
      eq([...new Headers([pair("k", "v")])], [["k", "v"]]);
    },
    "non-callable Symbol.iterator throws": () => throwsType(() => new Headers({ [Symbol.iterator]: 1 }), "iterator 1"),
    "Headers init copies": () => { const a = new Headers({ a: "1" }); const b = new Headers(a); a.set("a", "2"); eq(b.get("a"), "1"); },
    "ByteString: code unit above 0xFF throws": () => { throwsType(() => new Headers({ a: "\u0100" }), "value"); throwsType(() => new Headers().append("a", "\u2022"), "append"); },
    "ByteString: latin-1 value kept": () => eq(new Headers({ a: "\u00e9" }).get("a"), "\u00e9"),
    "values are ToString-ed": () => { const h = new Headers(); h.append("a", 1); h.set("b", null); h.append("c", { toString: () => "x" }); eq([...h], [["a", "1"], ["b", "null"], ["c", "x"]]); },
    "invalid names throw": () => { for (const n of ["", "a b", "a:b", "\u00e9", "a\n", "(", "a\u0000"]) throwsType(() => new Headers().append(n, "x"), JSON.stringify(n)); },
    "valid token names": () => { const h = new Headers(); h.append("!#$%&'*+-.^_`|~09azAZ", "v"); eq(h.has("!#$%&'*+-.^_`|~09AZAZ"), true); },
    "invalid values throw": () => { for (const v of ["a\u0000b", "a\rb", "a\nb"]) throwsType(() => new Headers().append("a", v), JSON.stringify(v)); },
    "values are trimmed of HTTP whitespace": () => eq(new Headers({ a: " \t\r\n x y \n\t" }).get("a"), "x y"),
    "vertical tab and form feed are kept": () => eq(new Headers({ a: "\u000bx\u000c" }).get("a"), "\u000bx\u000c"),
    "names are case-insensitive": () => { const h = new Headers({ "Content-Type": "a" }); eq([h.get("content-type"), h.has("CONTENT-TYPE")], ["a", true]); },
    "append combines with comma-space": () => { const h = new Headers(); h.append("a", "1"); h.append("A", "2"); eq(h.get("a"), "1, 2"); },
    "set replaces all values": () => { const h = new Headers([["a", "1"], ["a", "2"]]); h.set("a", "3"); eq([...h], [["a", "3"]]); },
    "delete removes all values": () => { const h = new Headers([["a", "1"], ["a", "2"], ["b", "3"]]); h.delete("A"); eq([...h], [["b", "3"]]); },
    "get of absent is null": () => eq(new Headers().get("a"), null),
    "empty value is kept": () => eq(new Headers({ a: "" }).get("a"), ""),
    "iteration is sorted by name": () => eq([...new Headers([["c", "1"], ["a", "2"], ["B", "3"]]).keys()], ["a", "b", "c"]),
    "set-cookie values are not combined": () => {
      const h = new Headers([["Set-Cookie", "a=1"], ["set-cookie", "b=2"], ["x", "1"]]);
      eq([...h], [["set-cookie", "a=1"], ["set-cookie", "b=2"], ["x", "1"]]);
      eq(h.get("set-cookie"), "a=1, b=2");
    },
    "getSetCookie": () => { const h = new Headers(); eq(h.getSetCookie(), []); h.append("set-cookie", "a=1; Path=/"); h.append("Set-Cookie", "b=2"); eq(h.getSetCookie(), ["a=1; Path=/", "b=2"]); },
    "getSetCookie returns a copy": () => { const h = new Headers({ "set-cookie": "a" }); h.getSetCookie().push("x"); eq(h.getSetCookie(), ["a"]); },
    "set-cookie sorts among other names": () => eq([...new Headers([["z", "1"], ["set-cookie", "s"], ["a", "2"]]).keys()], ["a", "set-cookie", "z"]),
    "iterator is live: additions seen": () => {
      const h = new Headers([["a", "1"], ["c", "3"]]);
      const seen = [];
      for (const [k] of h) { seen.push(k); if (k === "a") h.append("b", "2"); }
      eq(seen, ["a", "b", "c"]);
    },
    "iterator is live: deletions seen": () => {
      const h = new Headers([["a", "1"], ["b", "2"], ["c", "3"]]);
      const it = h.keys(); eq(it.next().value, "a"); h.delete("b"); eq(it.next().value, "c"); eq(it.next().done, true);
    },
    "forEach is live and passes (value, key, headers)": () => {
      const h = new Headers([["a", "1"]]); const seen = [];
      h.forEach(function (v, k, o) { seen.push([k, v, o === h, this.t]); if (k === "a") h.set("b", "2"); }, { t: 7 });
      eq(seen, [["a", "1", true, 7], ["b", "2", true, 7]]);
    },
    "iterator prototype and tag": () => {
      const it = new Headers().entries();
      const proto = Object.getPrototypeOf(it);
      eq(Object.prototype.toString.call(it), "[object Headers Iterator]");
      eq(Object.getPrototypeOf(proto) === Object.getPrototypeOf(Object.getPrototypeOf([][Symbol.iterator]())), true, "IteratorPrototype");
      eq(typeof it[Symbol.iterator], "function");
    },
    "@@iterator is entries": () => eq(Headers.prototype[Symbol.iterator] === Headers.prototype.entries, true),
    "toStringTag": () => eq(Object.prototype.toString.call(new Headers()), "[object Headers]"),
    "missing arguments throw": () => {
      const h = new Headers();
      throwsType(() => h.append("a"), "append(1)"); throwsType(() => h.set("a"), "set(1)");
      throwsType(() => h.get(), "get()"); throwsType(() => h.has(), "has()"); throwsType(() => h.delete(), "delete()");
    },
    "immutable request headers refuse changes": () => {
      const r = new Request("https://x/", { headers: { a: "1" } });
      r.headers.set("b", "2"); eq(r.headers.get("b"), "2", "a new Request's headers are mutable");
      const res = Response.redirect("https://x/", 302);
      throwsType(() => res.headers.set("a", "1"), "redirect response");
    },
    "Response init headers accept a custom iterable": () => {
      const r = new Response("x", { headers: { *[Symbol.iterator]() { yield ["x-a", "1"]; } } });
      eq(r.headers.get("x-a"), "1");
    },
  };
  const out = [];
  for (const [name, fn] of Object.entries(T)) {
    try { fn(); out.push([name, null]); } catch (e) { out.push([name, String(e && e.message || e)]); }
  }
  return out;
}
"""


def run(iso: Isolate | None = None) -> list[Outcome]:
    """One outcome per subtest."""
    return run_js(JS, {}, iso)
