"""Conformance area ``url-idna``: toascii.json: the host a URL gets for each input (UTS #46 via tr46) or a failure, also through the
``host`` and ``hostname`` setters.

Data: the Web Platform Tests (tests/conformance/data/wpt_url/SOURCE.md, BSD-3); the checks are ours.
"""

from __future__ import annotations

from bench.conformance import Outcome
from bench.conformance.jsisolate import Isolate, records, run_js

NAME = "url-idna"

JS = r"""
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


def run(iso: Isolate | None = None) -> list[Outcome]:
    """One outcome per subtest."""
    return run_js(JS, {"records": records("wpt_url/toascii.json")}, iso)
