"""The Workers globals: self, performance, scheduler, navigator, CustomEvent, MessageChannel,
reportError, DOMException's legacy constants, and request.cf."""

from __future__ import annotations

import json

import pytest

from runtime.invocation import HttpRequest
from runtime.runner import run_once

CASES: list[tuple[str, str, object]] = [
    ("self is the global object", "return [self === globalThis, typeof self.fetch];", [True, "function"]),
    ("the global object is a ServiceWorkerGlobalScope, which scripts cannot construct", """
        const err = (f) => { try { f(); return "constructed"; } catch (e) { return e.constructor.name; } };
        return [globalThis instanceof ServiceWorkerGlobalScope, self instanceof WorkerGlobalScope,
                Object.prototype.toString.call(globalThis), err(() => new WorkerGlobalScope()),
                err(() => new ServiceWorkerGlobalScope()), typeof addEventListener, typeof globalThis.hasOwnProperty];""",
     [True, True, "[object ServiceWorkerGlobalScope]", "TypeError", "TypeError", "function", "function"]),
    ("navigator says Cloudflare-Workers", "return [navigator.userAgent, navigator instanceof Navigator];",
     ["Cloudflare-Workers", True]),
    ("performance.now() counts from timeOrigin", """
        const a = performance.now(); const b = performance.now();
        return [typeof a, b >= a, Math.abs(performance.timeOrigin + b - Date.now()) < 50, performance instanceof Performance,
                Object.keys(performance.toJSON())];""", ["number", True, True, True, ["timeOrigin"]]),
    ("CustomEvent carries detail", """
        const t = new EventTarget(); let got;
        t.addEventListener("x", (e) => { got = [e.detail, e instanceof Event, e.type]; });
        t.dispatchEvent(new CustomEvent("x", { detail: { n: 1 } }));
        return [got, new CustomEvent("y").detail];""", [[{"n": 1}, True, "x"], None]),
    ("MessageChannel delivers structured clones asynchronously", """
        const { port1, port2 } = new MessageChannel(); const msg = { a: [1, 2] }; const got = [];
        port2.onmessage = (e) => got.push([e.data, e.data === msg, e instanceof MessageEvent]);
        port1.postMessage(msg); msg.a.push(3);
        const sync = got.length;
        for (let i = 0; i < 5; i++) await Promise.resolve();
        return [sync, got];""", [0, [[{"a": [1, 2]}, False, True]]]),
    ("a port queues messages until started", """
        const { port1, port2 } = new MessageChannel(); const got = [];
        port2.addEventListener("message", (e) => got.push(e.data));
        port1.postMessage("early");
        for (let i = 0; i < 5; i++) await Promise.resolve();
        const before = got.length; port2.start();
        for (let i = 0; i < 5; i++) await Promise.resolve();
        return [before, got];""", [0, ["early"]]),
    ("posting an uncloneable value throws DataCloneError", """
        try { new MessageChannel().port1.postMessage(() => 1); return "no"; } catch (e) { return [e.name, e.code]; }""",
     ["DataCloneError", 25]),
    ("MessagePort cannot be constructed directly", """
        try { new MessagePort(); return "no"; } catch (e) { return e.name; }""", "TypeError"),
    ("DOMException has its legacy constants", """
        const e = new DOMException("m", "AbortError");
        return [DOMException.ABORT_ERR, DOMException.prototype.ABORT_ERR, e.ABORT_ERR, DOMException.INDEX_SIZE_ERR,
                DOMException.DATA_CLONE_ERR, e.code === DOMException.ABORT_ERR,
                Object.getOwnPropertyDescriptor(DOMException, "SYNTAX_ERR").writable];""", [20, 20, 20, 1, 25, True, False]),
    ("ErrorEvent and PromiseRejectionEvent carry their members", """
        const err = new RangeError("x"); const p = Promise.resolve(1);
        const e = new ErrorEvent("error", { message: "m", filename: "f.js", lineno: 3, colno: 4, error: err });
        const r = new PromiseRejectionEvent("unhandledrejection", { promise: p, reason: "why" });
        let missing; try { new PromiseRejectionEvent("x", {}); } catch (x) { missing = x.name; }
        return [e.message, e.filename, e.lineno, e.colno, e.error === err, e instanceof Event, r.promise === p, r.reason, missing];""",
     ["m", "f.js", 3, 4, True, True, True, "why", "TypeError"]),
    ("reportError needs an argument", "try { reportError(); return 'no'; } catch (e) { return e.name; }", "TypeError"),
]


@pytest.mark.parametrize("body, expected", [(b, e) for _, b, e in CASES], ids=[name for name, _, _ in CASES])
def test_globals(js, body: str, expected: object) -> None:
    assert js.wait(body) == expected


SOURCE = """
export default {
  async fetch(request: Request) {
    const t0 = Date.now();
    await scheduler.wait(60);
    const waited = Date.now() - t0;
    const ac = new AbortController();
    const aborted = scheduler.wait(10_000, { signal: ac.signal }).catch((e) => e.name);
    ac.abort();
    reportError(new TypeError("reported but not thrown"));
    const cf = request.cf as Record<string, unknown>;
    return Response.json({ waited, aborted: await aborted, cf: { colo: cf.colo, country: cf.country, asn: cf.asn,
      httpProtocol: cf.httpProtocol, tlsVersion: cf.tlsVersion, city: cf.city },
      sameObject: request.cf === request.cf, cloned: (request.clone().cf as Record<string, unknown>).colo,
      made: new Request("http://x/").cf ?? null });
  },
};
"""


async def test_scheduler_reporterror_and_cf_in_a_real_invocation(make_project) -> None:
    root = make_project({"src/index.ts": SOURCE})
    plain = await run_once(root, HttpRequest("GET", "http://localhost/"))
    assert plain.outcome == "ok", plain.error
    got = json.loads(plain.body)
    assert got["waited"] >= 55 and got["aborted"] == "AbortError"
    assert got["cf"] == {"colo": "DFW", "country": "US", "asn": 395747, "httpProtocol": "HTTP/1.1",
                         "tlsVersion": "TLSv1.3", "city": "Austin"}
    assert got["sameObject"] is True and got["cloned"] == "DFW" and got["made"] is None
    assert any(e.level == "error" and "TypeError: reported but not thrown" in e.message for e in plain.logs)

    custom = await run_once(root, HttpRequest("GET", "http://localhost/", cf={"colo": "AMS", "country": "NL", "asn": 1136}))
    cf = json.loads(custom.body)["cf"]
    assert (cf["colo"], cf["country"], cf["asn"], cf["city"]) == ("AMS", "NL", 1136, "Austin")
