"""Conformance areas for URL, URLSearchParams-from-URL, IDNA hosts and URLPattern.

Data: the Web Platform Tests' ``url/resources/*.json`` and ``urlpattern/resources/*.json``
(see ``tests/conformance/data/wpt_url/SOURCE.md``). The checks are ours, written from what
the URL Standard and the URLPattern spec say each record means:

- ``url``: every record of ``urltestdata.json`` (plus the JS-only file) parsed with and
  without its base; a ``failure`` record must throw a TypeError and make ``URL.canParse``
  false; others must give every listed component.
- ``url-origin``: the records that list an ``origin``.
- ``url-setters``: every record of ``setters_tests.json``: set one attribute, compare the
  listed components.
- ``url-idna``: ``toascii.json``: the host a URL gets for each input (or a failure), and the
  same through the ``host`` and ``hostname`` setters.
- ``urlpattern``: ``urlpatterntestdata.json``: construction errors, ``test``, ``exec``
  results and the pattern's component strings.
"""

from __future__ import annotations

import json
from typing import Any

from bench.conformance import DATA, AreaResult, Isolate, area, run_js_area

WPT_URL = DATA / "wpt_url"


def _load(name: str) -> Any:
    return json.loads((WPT_URL / name).read_text(encoding="utf-8"))


def _records(*names: str) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for name in names:
        out.extend(r for r in _load(name) if isinstance(r, dict))
    return out


_URL_JS = r"""
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

_ORIGIN_JS = r"""
(data) => data.records.filter((t) => "origin" in t).map((t) => {
  const title = `origin of new URL(${JSON.stringify(t.input)}, ${JSON.stringify(t.base)})`;
  try {
    const u = t.base === null ? new URL(t.input) : new URL(t.input, t.base);
    return [title, u.origin === t.origin ? null : `got ${JSON.stringify(u.origin)}, want ${JSON.stringify(t.origin)}`];
  } catch (e) { return [title, "threw " + String(e)]; }
})
"""

_SETTERS_JS = r"""
(data) => {
  const out = [];
  for (const [setter, cases] of Object.entries(data.tests)) {
    if (setter === "comment") continue;
    for (const t of cases) {
      const title = `${JSON.stringify(t.href)}.${setter} = ${JSON.stringify(t.new_value)}`;
      let err = null;
      try {
        const u = new URL(t.href);
        u[setter] = t.new_value;
        for (const [k, v] of Object.entries(t.expected)) if (u[k] !== v) { err = `${k}: got ${JSON.stringify(u[k])}, want ${JSON.stringify(v)}`; break; }
      } catch (e) { err = "threw " + String(e); }
      out.push([title, err]);
    }
  }
  return out;
}
"""

_IDNA_JS = r"""
(data) => {
  const out = [];
  for (const t of data.records) {
    const title = `host ${JSON.stringify(t.input)}`;
    let err = null;
    try {
      if (t.output === null) {
        let ok = false;
        try { new URL(`https://${t.input}/x`); } catch (e) { ok = e instanceof TypeError; }
        if (!ok) err = "expected a TypeError";
        const u = new URL("https://x/x");
        u.host = t.input; if (!err && u.host !== "x") err = "host setter changed the host to " + u.host;
        u.hostname = t.input; if (!err && u.hostname !== "x") err = "hostname setter changed the host to " + u.hostname;
      } else {
        const u = new URL(`https://${t.input}/x`);
        if (u.host !== t.output) err = `got ${JSON.stringify(u.host)}, want ${JSON.stringify(t.output)}`;
        const v = new URL("https://x/x"); v.host = t.input;
        if (!err && v.host !== t.output) err = `host setter: got ${JSON.stringify(v.host)}`;
        const w = new URL("https://x/x"); w.hostname = t.input;
        if (!err && w.hostname !== t.output) err = `hostname setter: got ${JSON.stringify(w.hostname)}`;
      }
    } catch (e) { err = "threw " + String(e); }
    out.push([title, err]);
  }
  return out;
}
"""


@area("url")
def url_parsing(iso: Isolate) -> AreaResult:
    """urltestdata.json: parsing."""
    records = _records("urltestdata.json", "urltestdata-javascript-only.json")
    return run_js_area(iso, "url", _URL_JS, {"records": records})


@area("url-origin")
def url_origin(iso: Isolate) -> AreaResult:
    """urltestdata.json: origins."""
    records = _records("urltestdata.json", "urltestdata-javascript-only.json")
    return run_js_area(iso, "url-origin", _ORIGIN_JS, {"records": records})


@area("url-setters")
def url_setters(iso: Isolate) -> AreaResult:
    """setters_tests.json."""
    return run_js_area(iso, "url-setters", _SETTERS_JS, {"tests": _load("setters_tests.json")})


@area("url-idna")
def url_idna(iso: Isolate) -> AreaResult:
    """toascii.json: IDNA (UTS #46) host processing."""
    return run_js_area(iso, "url-idna", _IDNA_JS, {"records": _records("toascii.json")})


_URLPATTERN_JS = r"""
(data) => {
  const COMPONENTS = ["protocol", "username", "password", "hostname", "port", "pathname", "search", "hash"];
  const out = [];
  // the data write an unmatched optional group (undefined) as null
  const same = (a, b) => JSON.stringify(a, (k, v) => v === undefined ? null : v) === JSON.stringify(b);
  for (const t of data.records) {
    const title = `new URLPattern(${JSON.stringify(t.pattern)})` + (t.inputs ? `.exec(${JSON.stringify(t.inputs)})` : "");
    let err = null;
    try {
      let pattern = null, threw = null;
      try { pattern = new URLPattern(...t.pattern); } catch (e) { threw = e; }
      if (t.expected_obj === "error") {
        if (!(threw instanceof TypeError)) err = "constructor: expected a TypeError, got " + (threw ? threw.name : "a pattern");
        out.push([title, err]); continue;
      }
      if (threw) throw threw;
      if (t.expected_obj) {
        for (const k of COMPONENTS) if (k in t.expected_obj && pattern[k] !== t.expected_obj[k]) { err = `pattern.${k}: got ${JSON.stringify(pattern[k])}, want ${JSON.stringify(t.expected_obj[k])}`; break; }
      }
      if (!err && t.inputs) {
        if (t.expected_match === "error") {
          let a = null, b = null;
          try { pattern.test(...t.inputs); } catch (e) { a = e; }
          try { pattern.exec(...t.inputs); } catch (e) { b = e; }
          if (!(a instanceof TypeError) || !(b instanceof TypeError)) err = "test/exec: expected TypeErrors";
        } else {
          const matched = pattern.test(...t.inputs);
          const result = pattern.exec(...t.inputs);
          if (!t.expected_match) {
            if (matched || result !== null) err = `expected no match, test=${matched}`;
          } else if (!matched || !result) {
            err = `expected a match, test=${matched}`;
          } else {
            const want = t.expected_match.inputs ?? t.inputs;
            if (!same(result.inputs, want)) err = `inputs: got ${JSON.stringify(result.inputs)}`;
            for (const k of COMPONENTS) {
              if (err) break;
              const exp = t.expected_match[k] ?? ((t.exactly_empty_components ?? []).includes(k) ? { input: "", groups: {} } : { input: "", groups: { "0": "" } });
              if (!same(result[k], exp)) err = `${k}: got ${JSON.stringify(result[k])}, want ${JSON.stringify(exp)}`;
            }
          }
        }
      }
    } catch (e) { err = "threw " + String(e); }
    out.push([title, err]);
  }
  return out;
}
"""


@area("urlpattern")
def urlpattern(iso: Isolate) -> AreaResult:
    """urlpatterntestdata.json."""
    return run_js_area(iso, "urlpattern", _URLPATTERN_JS, {"records": _load("urlpatterntestdata.json")})
