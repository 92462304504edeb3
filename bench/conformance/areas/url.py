"""Conformance area ``url``: urltestdata.json (+ the JS-only file): every record parsed with its base; a ``failure`` record must throw
TypeError and make ``URL.canParse`` false and ``URL.parse`` null, others must give every listed component.

Data: the Web Platform Tests (tests/conformance/data/wpt_url/SOURCE.md, BSD-3); the checks are ours.
"""

from __future__ import annotations

from bench.conformance import Outcome
from bench.conformance.jsisolate import Isolate, records, run_js

NAME = "url"

JS = r"""
(data) => {
  const KEYS = ["href", "protocol", "username", "password", "host", "hostname", "port", "pathname", "search", "hash"];
  const out = [];
  for (const t of data.records) {
    const title = `new URL(${JSON.stringify(t.input)}, ${JSON.stringify(t.base)})`;
    let err = null;
    try {
      if (t.failure) {
        let threw = null;
        try { t.base === null ? new URL(t.input) : new URL(t.input, t.base); } catch (e) { threw = e; }
        if (!(threw instanceof TypeError)) err = "expected a TypeError, got " + (threw ? threw.name : "a URL");
        else if (URL.canParse(t.input, t.base ?? undefined)) err = "URL.canParse said true";
        else if ((t.base === null ? URL.parse(t.input) : URL.parse(t.input, t.base)) !== null) err = "URL.parse gave a URL";
      } else {
        const u = t.base === null ? new URL(t.input) : new URL(t.input, t.base);
        for (const k of KEYS) if (u[k] !== t[k]) { err = `${k}: got ${JSON.stringify(u[k])}, want ${JSON.stringify(t[k])}`; break; }
        if (!err && "searchParams" in t && u.searchParams.toString() !== t.searchParams) err = "searchParams: " + u.searchParams.toString();
        if (!err && !URL.canParse(t.input, t.base ?? undefined)) err = "URL.canParse said false";
      }
    } catch (e) { err = "threw " + String(e); }
    out.push([title, err]);
  }
  return out;
}
"""


def run(iso: Isolate | None = None) -> list[Outcome]:
    """One outcome per subtest."""
    return run_js(JS, {"records": records("wpt_url/urltestdata.json", "wpt_url/urltestdata-javascript-only.json")}, iso)
