"""The prelude's Web APIs against WHATWG-specified results, in one real isolate.

Each table row is a JS expression and the value the spec (URL, Fetch, Encoding,
HTML, WebCrypto) says it evaluates to. Digests are checked against hashlib.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from runtime.engine import V8Isolate
from runtime.stock import load_prelude

MB = 1024 * 1024


class JS:
    """Evaluate expressions in one isolate that has the prelude loaded."""

    def __init__(self, loop: asyncio.AbstractEventLoop, isolate: V8Isolate) -> None:
        self.loop = loop
        self.isolate = isolate

    def _eval(self, code: str) -> Any:
        async def run() -> Any:
            return self.isolate.eval(code, timeout=5)

        return self.loop.run_until_complete(run())

    def __call__(self, expr: str) -> Any:
        """The JSON value of a synchronous expression; a thrown error becomes {"throws": name}."""
        code = (
            "(() => { try { const v = (" + expr + "); return JSON.stringify({ v: v === undefined ? null : v }); }"
            " catch (e) { return JSON.stringify({ throws: e && e.name, message: String(e && e.message) }); } })()"
        )
        out = json.loads(self._eval(code))
        return out["v"] if "v" in out else {"throws": out["throws"]}

    def wait(self, expr: str) -> Any:
        """The JSON value an async expression (a Promise) settles to."""
        self._eval(
            "globalThis.__out = null; (async () => (" + expr + "))().then("
            "(v) => { globalThis.__out = JSON.stringify({ v: v === undefined ? null : v }); },"
            "(e) => { globalThis.__out = JSON.stringify({ throws: e && e.name, message: String(e && e.message) }); })"
        )
        out = json.loads(self._eval("globalThis.__out"))
        return out["v"] if "v" in out else {"throws": out["throws"]}

    def logs(self, code: str) -> list[list[Any]]:
        """Run statements and return the console lines they produced as [level, message]."""
        self._eval("(() => {" + code + "})()")
        drained = json.loads(self._eval("__isoplay.abort()"))
        return [[level, message] for level, _time, message in drained["logs"]]


@pytest.fixture(scope="module")
def js() -> Iterator[JS]:
    """One isolate with the prelude, shared by the module's tests."""
    loop = asyncio.new_event_loop()

    async def make() -> V8Isolate:
        isolate = V8Isolate(loop, memory_limit=64 * MB)
        load_prelude(isolate)  # with its chunk loader (IDNA tables)
        return isolate

    isolate = loop.run_until_complete(make())
    try:
        yield JS(loop, isolate)
    finally:
        isolate.close()
        loop.close()


def check(js: JS, table: list[tuple[str, Any]], run: Callable[[str], Any] | None = None) -> None:
    """Evaluate every row and report all mismatches at once."""
    evaluate = run or js
    bad = [(expr, want, got) for expr, want in table if (got := evaluate(expr)) != want]
    assert not bad, "\n".join(f"{e}\n   want {w!r}\n   got  {g!r}" for e, w, g in bad)


# ---- URL --------------------------------------------------------------------------------
BASE = "http://a/b/c/d;p?q"
URL_HREFS: list[tuple[str, Any]] = [
    # RFC 3986 section 5.4 examples, which the URL Standard agrees with
    ('new URL("../c", "http://a/b/d").href', "http://a/c"),
    (f'new URL("g", "{BASE}").href', "http://a/b/c/g"),
    (f'new URL("./g", "{BASE}").href', "http://a/b/c/g"),
    (f'new URL("g/", "{BASE}").href', "http://a/b/c/g/"),
    (f'new URL("/g", "{BASE}").href', "http://a/g"),
    (f'new URL("//g", "{BASE}").href', "http://g/"),
    (f'new URL("?y", "{BASE}").href', "http://a/b/c/d;p?y"),
    (f'new URL("g?y", "{BASE}").href', "http://a/b/c/g?y"),
    (f'new URL("#s", "{BASE}").href', "http://a/b/c/d;p?q#s"),
    (f'new URL("g;x?y#s", "{BASE}").href', "http://a/b/c/g;x?y#s"),
    (f'new URL("", "{BASE}").href', "http://a/b/c/d;p?q"),
    (f'new URL("..", "{BASE}").href', "http://a/b/"),
    (f'new URL("../..", "{BASE}").href', "http://a/"),
    (f'new URL("../../../g", "{BASE}").href', "http://a/g"),
    (f'new URL("/./g", "{BASE}").href', "http://a/g"),
    (f'new URL("g.", "{BASE}").href', "http://a/b/c/g."),
    (f'new URL("g/../h", "{BASE}").href', "http://a/b/c/h"),
    (f'new URL("%2e%2E/x", "{BASE}").href', "http://a/b/x"),
    ('new URL("https://other/x", "http://a/b").href', "https://other/x"),
    (r'new URL("\\\\x\\y", "http://a/b").href', "http://x/y"),
    # normalisation: scheme and host case, default ports, dot segments, whitespace
    ('new URL("  HTTP://EXAMPLE.com:80/a/./b/../c  ").href', "http://example.com/a/c"),
    ('new URL("https://example.com:443/").href', "https://example.com/"),
    ('new URL("http://ex\\tam\\nple.com/").href', "http://example.com/"),
    ('new URL("http://example.com").pathname', "/"),
    # percent-encoding per component
    ('new URL("http://example.com/a b/ü?q=ü r\'#f ü`").href', "http://example.com/a%20b/%C3%BC?q=%C3%BC%20r%27#f%20%C3%BC%60"),
    ('new URL("foo://h/a b?q=\'x\'").href', "foo://h/a%20b?q='x'"),
    ('new URL("http://example.com/%7Efoo%zz").pathname', "/%7Efoo%zz"),
    ('new URL("http://user:pa ss@host/").href', "http://user:pa%20ss@host/"),
    ('new URL("http://a@b@c/").href', "http://a%40b@c/"),
    ('new URL("http://example.com/p?x={}").search', "?x={}"),
    # hosts: IPv4 forms, IPv6 compression, IDNA
    ('new URL("http://0x7f.1/").host', "127.0.0.1"),
    ('new URL("http://192.168.257/").host', "192.168.1.1"),
    ('new URL("http://4294967295/").host', "255.255.255.255"),
    ('new URL("http://[2001:db8:0:0:0:0:0:1]/").host', "[2001:db8::1]"),
    ('new URL("http://[0:0:0:0:0:0:0:1]:8080/x").host', "[::1]:8080"),
    ('new URL("http://[::ffff:192.168.0.1]/").hostname', "[::ffff:c0a8:1]"),
    ('new URL("http://[1:0:0:2:0:0:0:3]/").hostname', "[1:0:0:2::3]"),
    ('new URL("http://münchen.de/").hostname', "xn--mnchen-3ya.de"),
    ('new URL("http://EXAMPLE.com./").hostname', "example.com."),
    # ports
    ('new URL("http://example.com:8080/a").port', "8080"),
    ('new URL("http://example.com:0080/a").href', "http://example.com/a"),
    ('new URL("ws://h:80/").port', ""),
    ('new URL("http://h:65535/").port', "65535"),
    # origins and non-special / opaque URLs
    ('new URL("https://u:p@h:8443/x?y#z").origin', "https://h:8443"),
    ('new URL("mailto:someone@example.com").pathname', "someone@example.com"),
    ('new URL("mailto:someone@example.com").origin', "null"),
    ('new URL("data:text/plain,a b").href', "data:text/plain,a b"),
    ('new URL("foo://host/a/../b").href', "foo://host/b"),
    ('new URL("file:///C:/x/../y").href', "file:///C:/y"),
    ('new URL("file://localhost/etc/hosts").href', "file:///etc/hosts"),
    ('new URL("blob:https://a.com/uuid").origin', "https://a.com"),
    # failures are TypeErrors
    ('new URL("http://exa mple.com")', {"throws": "TypeError"}),
    ('new URL("//no-base")', {"throws": "TypeError"}),
    ('new URL("http://[::1")', {"throws": "TypeError"}),
    ('new URL("http://h:70000/")', {"throws": "TypeError"}),
    ('new URL("http://1.2.3.256/")', {"throws": "TypeError"}),
    ('new URL("https://")', {"throws": "TypeError"}),
    ('new URL("x", "not a base")', {"throws": "TypeError"}),
    ('[URL.canParse("http://x"), URL.canParse("x"), URL.canParse("x", "http://y/")]', [True, False, True]),
    ('URL.parse("nope")', None),
    ('JSON.parse(JSON.stringify({ u: new URL("http://x/y") })).u', "http://x/y"),
    ('String(new URL("http://x/y"))', "http://x/y"),
]


def test_url_parsing_matches_the_url_standard(js: JS) -> None:
    check(js, URL_HREFS)


URL_SETTERS: list[tuple[str, Any]] = [
    ('(() => { const u = new URL("http://h/a?b#c"); u.pathname = "/x y/../z"; return u.href; })()', "http://h/z?b#c"),
    ('(() => { const u = new URL("http://h/"); u.search = "q=a b"; return [u.href, u.searchParams.get("q")]; })()', ["http://h/?q=a%20b", "a b"]),
    ('(() => { const u = new URL("http://h/?x"); u.search = ""; return u.href; })()', "http://h/"),
    ('(() => { const u = new URL("http://h/"); u.hash = "#a b"; return u.href; })()', "http://h/#a%20b"),
    ('(() => { const u = new URL("http://h/"); u.port = "8080"; u.hostname = "Example.ORG"; return u.host; })()', "example.org:8080"),
    ('(() => { const u = new URL("http://h/"); u.port = "80"; return u.href; })()', "http://h/"),
    ('(() => { const u = new URL("http://h/"); u.port = "99999"; return u.port; })()', ""),
    ('(() => { const u = new URL("http://h/"); u.host = "x.com:81"; return u.href; })()', "http://x.com:81/"),
    ('(() => { const u = new URL("http://h/"); u.protocol = "https"; return u.href; })()', "https://h/"),
    ('(() => { const u = new URL("http://h/"); u.protocol = "mailto"; return u.protocol; })()', "http:"),
    ('(() => { const u = new URL("http://h/"); u.username = "a b"; u.password = "p@ss"; return u.href; })()', "http://a%20b:p%40ss@h/"),
    ('(() => { const u = new URL("http://h/"); u.href = "https://k/"; return u.host; })()', "k"),
    ('(() => { const u = new URL("http://h/"); u.href = "nope"; })()', {"throws": "TypeError"}),
]


def test_url_setters(js: JS) -> None:
    check(js, URL_SETTERS)


SEARCH_PARAMS: list[tuple[str, Any]] = [
    ('new URLSearchParams("b=2&a=1&b=3").getAll("b")', ["2", "3"]),
    ('[...new URLSearchParams("?b=2&a=1&b=3")]', [["b", "2"], ["a", "1"], ["b", "3"]]),
    ('(() => { const p = new URLSearchParams("z=1&b=2&a=1&b=1"); p.sort(); return p.toString(); })()', "a=1&b=2&b=1&z=1"),
    ('new URLSearchParams({ q: "a b+c/ü😀~*-._!" }).toString()', "q=a+b%2Bc%2F%C3%BC%F0%9F%98%80%7E*-._%21"),
    ('new URLSearchParams("a=b+c%20d&e=%zz&f&=g").toString()', "a=b+c+d&e=%25zz&f=&=g"),
    ('Object.fromEntries(new URLSearchParams("a=b+c%20d&e=%zz&%F0%9F%98%80=%C3"))', {"a": "b c d", "e": "%zz", "😀": "\ufffd"}),
    ('new URLSearchParams([["x", "1"], ["y", "2"]]).toString()', "x=1&y=2"),
    ('(() => { const p = new URLSearchParams("a=1&b=2&a=3"); p.set("a", "9"); return p.toString(); })()', "a=9&b=2"),
    ('(() => { const p = new URLSearchParams("a=1&b=2&a=3"); p.delete("a", "3"); return p.toString(); })()', "a=1&b=2"),
    ('[new URLSearchParams("a=1").has("a"), new URLSearchParams("a=1").has("a", "2"), new URLSearchParams("a=1").get("x")]', [True, False, None]),
    ('new URLSearchParams("a=1&b=2").size', 2),
    ('new URLSearchParams([["x"]])', {"throws": "TypeError"}),
    # searchParams is live-linked to its URL, both ways
    ('(() => { const u = new URL("http://x/?a=1"); u.searchParams.append("b", "2 3"); return u.href; })()', "http://x/?a=1&b=2+3"),
    ('(() => { const u = new URL("http://x/?a=1"); const p = u.searchParams; u.search = "?c=4"; return [p.get("c"), p.has("a")]; })()', ["4", False]),
    ('(() => { const u = new URL("http://x/?a=1#f"); u.searchParams.delete("a"); return u.href; })()', "http://x/#f"),
    ('(() => { const u = new URL("http://x/"); u.href = "http://y/?k=v"; return u.searchParams.get("k"); })()', "v"),
]


def test_search_params_order_and_encoding(js: JS) -> None:
    check(js, SEARCH_PARAMS)


# ---- Headers ------------------------------------------------------------------------------
HEADERS: list[tuple[str, Any]] = [
    ('(() => { const h = new Headers(); h.append("Accept", "a"); h.append("ACCEPT", "b"); return h.get("accept"); })()', "a, b"),
    ('[...new Headers([["B", "1"], ["a", "2"], ["b", "3"]])]', [["a", "2"], ["b", "1, 3"]]),
    ('[...new Headers({ "X-Z": "1", "x-a": "2" }).keys()]', ["x-a", "x-z"]),
    ('new Headers({ "X-Pad": "  v \\t" }).get("x-pad")', "v"),
    ('(() => { const h = new Headers(); h.append("Set-Cookie", "a=1"); h.append("set-cookie", "b=2"); h.append("X", "y");'
     ' return [h.getSetCookie(), [...h], h.get("set-cookie")]; })()',
     [["a=1", "b=2"], [["set-cookie", "a=1"], ["set-cookie", "b=2"], ["x", "y"]], "a=1, b=2"]),
    ('(() => { const h = new Headers({ A: "1" }); h.set("a", "2"); h.delete("B"); return [h.has("A"), h.get("a")]; })()', [True, "2"]),
    ('new Headers({ "bad name": "x" })', {"throws": "TypeError"}),
    ('new Headers({ x: "a\\nb" })', {"throws": "TypeError"}),
    ('new Headers([["only-one"]])', {"throws": "TypeError"}),
    ('new Headers(new Headers({ a: "1" })).get("A")', "1"),
    ('(() => { const out = []; new Headers({ b: "2", a: "1" }).forEach((v, k) => out.push(k + "=" + v)); return out; })()', ["a=1", "b=2"]),
    ('new Headers({ a: "1" }).get("missing")', None),
    # the plain-value fast path and the full normalisation agree at their edges
    ('["a b", "x", "\\t x", "x ", "a\\tb", "\\xe9t\\xe9", "", " ", "1"].map(v => { const h = new Headers(); h.append("v", v);'
     ' return h.get("v"); })', ["a b", "x", "x", "x", "a\tb", "\xe9t\xe9", "", "", "1"]),
    ('new Headers([["v", 42]]).get("v")', "42"),
    ('(() => { try { new Headers().append("v", "a\\rb"); } catch (e) { return e.message; } })()',
     "Failed to execute 'append' on 'Headers': Invalid header value: \"a\rb\""),
    ('(() => { try { new Headers().set("b\\u0100d", "1"); } catch (e) { return e.message; } })()',
     "Failed to execute 'set' on 'Headers': \"b\u0100d\" is not a valid ByteString (a character above U+00FF)."),
    ('(() => { try { new Headers({ "b d": "1" }); } catch (e) { return e.message; } })()',
     "Failed to execute 'append' on 'Headers': Invalid header name: \"b d\""),
    ('(() => { try { new Headers({ x: "\\u0100" }); } catch (e) { return e.message; } })()',
     "Failed to construct 'Headers': \"\u0100\" is not a valid ByteString (a character above U+00FF)."),
]


def test_headers_combine_and_sort(js: JS) -> None:
    check(js, HEADERS)


# ---- Encoding ----------------------------------------------------------------------------
ENCODING: list[tuple[str, Any]] = [
    ('Array.from(new TextEncoder().encode("€"))', [0xE2, 0x82, 0xAC]),
    ('Array.from(new TextEncoder().encode("😀"))', [0xF0, 0x9F, 0x98, 0x80]),
    ('Array.from(new TextEncoder().encode("aé中"))', [0x61, 0xC3, 0xA9, 0xE4, 0xB8, 0xAD]),
    ('Array.from(new TextEncoder().encode("\\ud800x"))', [0xEF, 0xBF, 0xBD, 0x78]),
    ('new TextEncoder().encode().length', 0),
    ('new TextEncoder().encoding', "utf-8"),
    ('(() => { const d = new Uint8Array(5); return [new TextEncoder().encodeInto("a😀", d), Array.from(d)]; })()',
     [{"read": 3, "written": 5}, [0x61, 0xF0, 0x9F, 0x98, 0x80]]),
    ('(() => { const d = new Uint8Array(3); return new TextEncoder().encodeInto("a😀", d); })()', {"read": 1, "written": 1}),
    ('new TextDecoder().decode(new TextEncoder().encode("héllo wörld 😀 中文"))', "héllo wörld 😀 中文"),
    ('new TextDecoder().decode(new Uint8Array([0xEF, 0xBB, 0xBF, 0x68, 0x69]))', "hi"),
    ('new TextDecoder("utf-8", { ignoreBOM: true }).decode(new Uint8Array([0xEF, 0xBB, 0xBF, 0x68])).length', 2),
    ('new TextDecoder().decode(new Uint8Array([0x61, 0xFF, 0x62]))', "a\ufffdb"),
    ('new TextDecoder().decode(new Uint8Array([0xF0, 0x9F, 0x98]))', "\ufffd"),
    ('new TextDecoder().decode(new Uint8Array([0xE0, 0x80, 0x41]))', "\ufffd\ufffdA"),
    ('new TextDecoder().decode(new Uint8Array([0xED, 0xA0, 0x80]))', "\ufffd\ufffd\ufffd"),
    ('new TextDecoder("utf-8", { fatal: true }).decode(new Uint8Array([0x61, 0xFF]))', {"throws": "TypeError"}),
    ('(() => { const d = new TextDecoder(); const b = new TextEncoder().encode("x😀y");'
     ' return d.decode(b.subarray(0, 3), { stream: true }) + "|" + d.decode(b.subarray(3)); })()', "x|😀y"),
    ('new TextDecoder().decode(new Uint16Array([0x6968]))', "hi"),
    ('new TextDecoder("UTF8").encoding', "utf-8"),
    ('new TextDecoder("utf-16le").decode(new Uint8Array([0x68, 0, 0x3D, 0xD8, 0, 0xDE]))', "h😀"),
    ('new TextDecoder("klingon")', {"throws": "RangeError"}),
    # atob / btoa (forgiving-base64)
    ('btoa("")', ""),
    ('btoa("hello")', "aGVsbG8="),
    ('btoa("\\xff\\xfe\\x00")', "//4A"),
    ('atob("aGVsbG8=")', "hello"),
    ('atob(" aGk ")', "hi"),
    ('atob("aGk")', "hi"),
    ('atob(btoa("\\x00\\x01\\x80\\xff"))', "\x00\x01\x80\xff"),
    ('atob("a")', {"throws": "InvalidCharacterError"}),
    ('atob("a===")', {"throws": "InvalidCharacterError"}),
    ('atob("aGk*")', {"throws": "InvalidCharacterError"}),
    ('btoa("€")', {"throws": "InvalidCharacterError"}),
    ('(() => { try { atob("!"); } catch (e) { return [e instanceof DOMException, e instanceof Error, e.code, e.name]; } })()',
     [True, True, 5, "InvalidCharacterError"]),
]


def test_encoding_and_base64(js: JS) -> None:
    check(js, ENCODING)


# ---- crypto -------------------------------------------------------------------------------
DIGEST_INPUTS = ["", "abc", "a" * 55, "a" * 56, "a" * 64, "b" * 111, "b" * 112, "c" * 128, "héllo 😀" * 40]


@pytest.mark.parametrize("algorithm", ["SHA-1", "SHA-256", "SHA-384", "SHA-512"])
def test_digest_test_vectors(js: JS, algorithm: str) -> None:
    lib = algorithm.replace("-", "").lower()
    table = [
        (
            f'crypto.subtle.digest("{algorithm}", new TextEncoder().encode({json.dumps(text)}))'
            '.then((b) => Array.from(new Uint8Array(b), (x) => x.toString(16).padStart(2, "0")).join(""))',
            hashlib.new(lib, text.encode()).hexdigest(),
        )
        for text in DIGEST_INPUTS
    ]
    check(js, table, js.wait)


def test_digest_known_answers_and_errors(js: JS) -> None:
    hexed = '.then((b) => Array.from(new Uint8Array(b), (x) => x.toString(16).padStart(2, "0")).join(""))'
    check(js, [
        # FIPS 180-2 appendix vectors, written out (not computed by hashlib)
        ('crypto.subtle.digest("SHA-256", new Uint8Array(0))' + hexed,
         "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"),
        ('crypto.subtle.digest({ name: "sha-1" }, new TextEncoder().encode("abc"))' + hexed,
         "a9993e364706816aba3e25717850c26c9cd0d89d"),
        ('crypto.subtle.digest("SHA-512", new TextEncoder().encode("abc").buffer)' + hexed,
         "ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a"
         "2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f"),
        ('crypto.subtle.digest("MD5", new TextEncoder().encode("abc"))' + hexed, "900150983cd24fb0d6963f7d28e17f72"),
        ('crypto.subtle.digest("SHA-224", new Uint8Array(1))', {"throws": "NotSupportedError"}),
        ('crypto.subtle.digest("SHA-256", "text")', {"throws": "TypeError"}),
        ('crypto.subtle.importKey("raw", new Uint8Array(1), { name: "HMAC", hash: "SHA-256" }, false, [])',
         {"throws": "SyntaxError"}),
    ], js.wait)


CRYPTO: list[tuple[str, Any]] = [
    ('/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/.test(crypto.randomUUID())', True),
    ('new Set(Array.from({ length: 50 }, () => crypto.randomUUID())).size', 50),
    ('(() => { const a = new Uint32Array(8); return crypto.getRandomValues(a) === a && a.some((x) => x !== 0); })()', True),
    ('crypto.getRandomValues(new Uint8Array(65536)).length', 65536),
    ('crypto.getRandomValues(new Uint8Array(65537))', {"throws": "QuotaExceededError"}),
    ('crypto.getRandomValues(new Float32Array(4))', {"throws": "TypeMismatchError"}),
    ('crypto.subtle.timingSafeEqual(new Uint8Array([1, 2]), new Uint8Array([1, 2]))', True),
]


def test_crypto_random(js: JS) -> None:
    check(js, CRYPTO)


# ---- structuredClone --------------------------------------------------------------------------
CLONES: list[tuple[str, Any]] = [
    ('(() => { const o = { a: 1 }; o.self = o; const c = structuredClone(o); return [c !== o, c.self === c, c.a]; })()', [True, True, 1]),
    ('(() => { const m = new Map([[{ k: 1 }, new Set([1, 2])]]); const c = structuredClone(m);'
     ' const [[k, v]] = c; return [c instanceof Map, k.k, v instanceof Set, [...v]]; })()', [True, 1, True, [1, 2]]),
    ('(() => { const d = new Date(86400000); const c = structuredClone(d); return [c instanceof Date, c !== d, c.getTime()]; })()', [True, True, 86400000]),
    ('(() => { const r = structuredClone(/a+b/gi); return [r instanceof RegExp, r.source, r.flags]; })()', [True, "a+b", "gi"]),
    ('(() => { const b = new Uint8Array([1, 2, 3]); const c = structuredClone(b); c[0] = 9; return [b[0], c[0], c.constructor.name]; })()', [1, 9, "Uint8Array"]),
    ('(() => { const buf = new ArrayBuffer(4); const o = { x: new Uint8Array(buf), y: new Uint16Array(buf, 2, 1) };'
     ' const c = structuredClone(o); c.x[2] = 255; c.x[3] = 255; return [c.x.buffer === c.y.buffer, c.y[0], new Uint8Array(buf)[2]]; })()',
     [True, 65535, 0]),
    ('(() => { const e = structuredClone(new RangeError("bad")); return [e instanceof RangeError, e.message]; })()', [True, "bad"]),
    ('(() => { class P { constructor() { this.x = 1; } } const c = structuredClone(new P()); return [c.constructor === Object, c.x]; })()', [True, 1]),
    ('(() => { const a = [1, , 3]; const c = structuredClone(a); return [c.length, 1 in c, c[2]]; })()', [3, False, 3]),
    ('structuredClone({ big: 10n }).big === 10n', True),
    ('(() => { const buf = new ArrayBuffer(8); const c = structuredClone(buf, { transfer: [buf] }); return [buf.byteLength, c.byteLength]; })()', [0, 8]),
    ('structuredClone(() => 1)', {"throws": "DataCloneError"}),
    ('structuredClone({ nested: { fn() {} } })', {"throws": "DataCloneError"}),
    ('structuredClone(Symbol("s"))', {"throws": "DataCloneError"}),
    ('structuredClone(Promise.resolve(1))', {"throws": "DataCloneError"}),
    ('structuredClone(new Headers())', {"throws": "DataCloneError"}),
    ('(() => { try { structuredClone(() => 1); } catch (e) { return [e instanceof DOMException, e.code]; } })()', [True, 25]),
]


def test_structured_clone(js: JS) -> None:
    check(js, CLONES)


# ---- Request / Response -------------------------------------------------------------------------
BODIES: list[tuple[str, Any]] = [
    ('new Response("héllo").text()', "héllo"),
    ('new Response("héllo").arrayBuffer().then((b) => b.byteLength)', 6),
    ('new Response(new Uint8Array([104, 105])).text()', "hi"),
    ('new Response(new Uint8Array([0, 255]).buffer).bytes().then((b) => [b.constructor.name, Array.from(b)])', ["Uint8Array", [0, 255]]),
    ('new Response(new DataView(new Uint8Array([1, 2, 3]).buffer, 1)).bytes().then((b) => Array.from(b))', [2, 3]),
    ('new Response(null).text()', ""),
    ('new Response().body', None),
    ('new Response("{\\"a\\": [1]}").json()', {"a": [1]}),
    ('Response.json({ a: 1 }, { status: 201 }).json()', {"a": 1}),
    ('(() => { const r = Response.json([1]); return [r.status, r.headers.get("content-type")]; })()', [200, "application/json"]),
    ('new Response("x").headers.get("content-type")', "text/plain;charset=UTF-8"),
    ('new Response("x", { headers: { "Content-Type": "text/html" } }).headers.get("content-type")', "text/html"),
    ('new Response(new URLSearchParams("a=1 2")).headers.get("content-type")', "application/x-www-form-urlencoded;charset=UTF-8"),
    ('new Response(new URLSearchParams("a=1 2")).text()', "a=1+2"),
    ('(async () => { const r = new Response("x"); await r.text(); return [r.bodyUsed, await r.text().catch((e) => e.name)]; })()', [True, "TypeError"]),
    ('(async () => { const r = new Response("x"); const c = r.clone(); return [await r.text(), await c.text()]; })()', ["x", "x"]),
    ('(async () => { const r = new Response("x"); await r.text(); try { r.clone(); } catch (e) { return e.name; } })()', "TypeError"),
    ('(() => { const r = new Response("", { status: 404, statusText: "Not Found" }); return [r.status, r.ok, r.statusText, r.type, r.redirected, r.url]; })()',
     [404, False, "Not Found", "default", False, ""]),
    ('(() => { const r = new Response(); return [r.status, r.ok, r.statusText]; })()', [200, True, ""]),
    ('(async () => new Response("x", { status: 99 }))()', {"throws": "RangeError"}),
    ('(async () => new Response("x", { status: 204 }))()', {"throws": "TypeError"}),
    ('(() => { const r = Response.redirect("http://x/a b", 301); return [r.status, r.headers.get("location")]; })()', [301, "http://x/a%20b"]),
    ('(async () => Response.redirect("http://x/", 200))()', {"throws": "RangeError"}),
    ('(async () => Response.redirect("http://x/").headers.set("a", "b"))()', {"throws": "TypeError"}),
    ('(() => { const r = Response.error(); return [r.type, r.status, r.ok]; })()', ["error", 0, False]),
    # streams: a body built from a ReadableStream, and proxying one Response's body into another
    ('new Response(new ReadableStream({ start(c) { c.enqueue(new TextEncoder().encode("a")); c.enqueue(new TextEncoder().encode("é")); c.close(); } })).text()', "aé"),
    ('(async () => { let n = 0; const s = new ReadableStream({ pull(c) { n++ < 3 ? c.enqueue(new Uint8Array([48 + n])) : c.close(); } }); return new Response(s).text(); })()', "123"),
    ('(async () => { const up = new Response("proxied", { headers: { "x-up": "1" } }); const r = new Response(up.body, up);'
     ' return [await r.text(), r.headers.get("x-up"), up.bodyUsed]; })()', ["proxied", "1", True]),
    ('(async () => { const reader = new Response("abc").body.getReader(); const a = await reader.read(); const b = await reader.read();'
     ' return [Array.from(a.value), a.done, b.done]; })()', [[97, 98, 99], False, True]),
    ('(async () => { const out = []; for await (const c of new Response("xy").body) out.push(c.length); return out; })()', [2]),
    ('(async () => { const r = new Response(new ReadableStream({ start(c) { c.enqueue(new Uint8Array([65])); c.close(); } }));'
     ' const c = r.clone(); return [await r.text(), await c.text()]; })()', ["A", "A"]),
    ('(async () => { const f = await new Response("a=1&b=x+y", { headers: { "content-type": "application/x-www-form-urlencoded" } }).formData();'
     ' return [f.get("a"), f.get("b")]; })()', ["1", "x y"]),
    ('(async () => { const fd = new FormData(); fd.append("n", "v é"); const req = new Request("http://x/", { method: "POST", body: fd });'
     ' const back = await req.formData(); return [req.headers.get("content-type").startsWith("multipart/form-data; boundary="), back.get("n")]; })()',
     [True, "v é"]),
]


def test_response_bodies(js: JS) -> None:
    check(js, BODIES, js.wait)


REQUESTS: list[tuple[str, Any]] = [
    ('(() => { const r = new Request("http://x/a?b"); return [r.method, r.url, r.redirect, r.bodyUsed, r.body, r.signal.aborted]; })()',
     ["GET", "http://x/a?b", "follow", False, None, False]),
    ('(() => { const r = new Request("HTTP://X/a b", { method: "post" }); return [r.method, r.url]; })()', ["POST", "http://x/a%20b"]),
    ('new Request("http://x/", { method: "patch" }).method', "patch"),
    ('new Request("http://x/", { method: "POST", body: "hi" }).text()', "hi"),
    ('new Request("http://x/", { method: "PUT", body: "hi" }).headers.get("content-type")', "text/plain;charset=UTF-8"),
    ('new Request("http://x/", { method: "POST", body: new Uint8Array([1]) }).headers.get("content-type")', None),
    ('(async () => new Request("http://x/", { body: "no" }))()', {"throws": "TypeError"}),
    ('(async () => new Request("/relative"))()', {"throws": "TypeError"}),
    ('(async () => new Request("http://x/", { method: "CONNECT" }))()', {"throws": "TypeError"}),
    ('(async () => { const a = new Request("http://x/", { method: "POST", body: "b", headers: { k: "v" } });'
     ' const b = new Request(a, { headers: { k: "w" } }); return [b.url, b.method, b.headers.get("k"), await b.text(), a.bodyUsed]; })()',
     ["http://x/", "POST", "w", "b", True]),
    ('(async () => { const a = new Request("http://x/", { method: "POST", body: "q" }); const c = a.clone(); return [await a.text(), await c.text()]; })()', ["q", "q"]),
    ('(() => { const c = new AbortController(); return new Request("http://x/", { signal: c.signal }).signal === c.signal; })()', True),
]


def test_requests(js: JS) -> None:
    check(js, REQUESTS, js.wait)


# ---- events and abort -------------------------------------------------------------------------
EVENTS: list[tuple[str, Any]] = [
    ('(() => { const c = new AbortController(); const seen = []; c.signal.onabort = (e) => seen.push("on:" + e.type);'
     ' c.signal.addEventListener("abort", () => seen.push("listener"), { once: true }); c.abort(); c.abort();'
     ' return [c.signal.aborted, c.signal.reason.name, c.signal.reason instanceof DOMException, seen]; })()',
     [True, "AbortError", True, ["on:abort", "listener"]]),
    ('(() => { const s = AbortSignal.abort("why"); try { s.throwIfAborted(); } catch (e) { return [s.aborted, e]; } })()', [True, "why"]),
    ('AbortSignal.timeout(10).aborted', False),
    ('new AbortSignal()', {"throws": "TypeError"}),
    ('(() => { const a = new AbortController(); const s = AbortSignal.any([a.signal]); a.abort(1); return [s.aborted, s.reason]; })()', [True, 1]),
    ('(() => { const t = new EventTarget(); let n = 0; const f = () => n++; t.addEventListener("x", f); t.addEventListener("x", f);'
     ' t.dispatchEvent(new Event("x")); t.removeEventListener("x", f); t.dispatchEvent(new Event("x")); return n; })()', 1),
    ('(() => { const e = new Event("x", { cancelable: true }); const t = new EventTarget(); t.addEventListener("x", (ev) => ev.preventDefault());'
     ' return [t.dispatchEvent(e), e.defaultPrevented]; })()', [False, True]),
    ('[new DOMException("m", "NotFoundError").code, new DOMException("m").name, Object.prototype.toString.call(new DOMException())]',
     [8, "Error", "[object DOMException]"]),
]


def test_events_and_abort(js: JS) -> None:
    check(js, EVENTS)


# ---- console ------------------------------------------------------------------------------------
CONSOLE: list[tuple[str, list[str]]] = [
    ('console.log("a", 1, null, undefined, true, -0, 10n)', ["log", "a 1 null undefined true -0 10n"]),
    ('console.log("%s is %d years and %i%%", "Bob", 42.5, 7.9)', ["log", "Bob is 42.5 years and 7%"]),
    ('console.log("%o|%j|%c|%s", [1], { a: 1 }, "color: red", { b: 2 })', ["log", "[ 1 ]|{\"a\":1}||{ b: 2 }"]),
    ('console.log("extra %s", "x", "y", 3)', ["log", "extra x y 3"]),
    ('console.log({ a: 1, b: "x", c: [1, 2], d: { e: { f: { g: 1 } } } })', ["log", "{ a: 1, b: 'x', c: [ 1, 2 ], d: { e: { f: [Object] } } }"]),
    ('const o = { name: "x" }; o.self = o; console.log(o)', ["log", "<ref *1> { name: 'x', self: [Circular *1] }"]),
    ('console.log(new Map([["a", 1]]), new Set(["s"]))', ["log", "Map(1) { 'a' => 1 } Set(1) { 's' }"]),
    ('console.log([], {}, [[]], new Uint8Array([1, 2]))', ["log", "[] {} [ [] ] Uint8Array(2) [ 1, 2 ]"]),
    ('console.log({ "a-b": 1, [Symbol("s")]: 2 })', ["log", "{ 'a-b': 1, [Symbol(s)]: 2 }"]),
    ('class Point { constructor() { this.x = 1; } } console.log(new Point(), Object.create(null))', ["log", "Point { x: 1 } [Object: null prototype] {}"]),
    ('console.log(function named() {}, () => 1, class K {})', ["log", "[Function: named] [Function (anonymous)] [class K]"]),
    ('console.log(new Date(0), /x/g, "it\'s")', ["log", "1970-01-01T00:00:00.000Z /x/g it's"]),
    ('console.log(["it\'s"])', ["log", "[ \"it's\" ]"]),
    ('console.log(new Headers({ A: "1" }))', ["log", "Headers { a: '1' }"]),
    ('console.log(new URLSearchParams("a=1"))', ["log", "URLSearchParams { 'a' => '1' }"]),
    ('console.info("i")', ["info", "i"]),
    ('console.warn("w")', ["warn", "w"]),
    ('console.error("e")', ["error", "e"]),
    ('console.debug("d")', ["debug", "d"]),
    ('console.assert(1 === 2, "nope")', ["error", "Assertion failed: nope"]),
]


def test_console_formats_like_node(js: JS) -> None:
    bad = []
    for code, want in CONSOLE:
        got = js.logs(code)
        if got != [want]:
            bad.append(f"{code}\n   want {[want]!r}\n   got  {got!r}")
    assert not bad, "\n".join(bad)


def test_console_long_values_break_lines_and_errors_show_stacks(js: JS) -> None:
    [[level, text]] = js.logs('console.log({ alpha: "a".repeat(30), beta: "b".repeat(30), gamma: [1, 2, 3] })')
    assert text == "{\n  alpha: '" + "a" * 30 + "',\n  beta: '" + "b" * 30 + "',\n  gamma: [ 1, 2, 3 ]\n}"
    [[level, text]] = js.logs('console.error(new TypeError("boom"))')
    assert level == "error" and text.startswith("TypeError: boom\n    at ")
    [[_, text]] = js.logs('console.log(Array.from({ length: 120 }, (_, i) => i))')
    assert text.startswith("[\n  0,") and text.endswith("... 20 more items\n]")


def test_globals_are_installed_like_webidl_interfaces(js: JS) -> None:
    names = ["Request", "Response", "Headers", "URL", "URLSearchParams", "TextEncoder", "TextDecoder", "atob", "btoa",
             "crypto", "structuredClone", "AbortController", "AbortSignal", "Event", "EventTarget", "DOMException",
             "console", "fetch", "FormData", "ReadableStream"]
    table = [(f'[typeof {n}, Object.getOwnPropertyDescriptor(globalThis, "{n}").enumerable]', [
        "object" if n in ("crypto", "console") else "function", False]) for n in names]
    check(js, table)
