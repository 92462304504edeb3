"""Conformance area ``urlpattern``: urlpatterntestdata.json: construction errors, ``test``, ``exec`` results and component strings
(urlpattern-polyfill 10.1.0 misses 22 of them: see tests/conformance/test_urlpattern.py).

Data: the Web Platform Tests (tests/conformance/data/wpt_url/SOURCE.md, BSD-3); the checks are ours.
"""

from __future__ import annotations

from bench.conformance import Outcome
from bench.conformance.jsisolate import Isolate, load_data, run_js

NAME = "urlpattern"

JS = r"""
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


def run(iso: Isolate | None = None) -> list[Outcome]:
    """One outcome per subtest."""
    return run_js(JS, {"records": load_data("wpt_url/urlpatterntestdata.json")}, iso)
