"""Conformance area ``url-setters``: setters_tests.json: set one attribute of a URL, compare the listed components.

Data: the Web Platform Tests (tests/conformance/data/wpt_url/SOURCE.md, BSD-3); the checks are ours.
"""

from __future__ import annotations

from bench.conformance import Outcome
from bench.conformance.jsisolate import Isolate, load_data, run_js

NAME = "url-setters"

JS = r"""
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


def run(iso: Isolate | None = None) -> list[Outcome]:
    """One outcome per subtest."""
    return run_js(JS, {"tests": load_data("wpt_url/setters_tests.json")}, iso)
