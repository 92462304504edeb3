"""Conformance area ``url-origin``: urltestdata.json: the ``origin`` of every record that lists one.

Data: the Web Platform Tests (tests/conformance/data/wpt_url/SOURCE.md, BSD-3); the checks are ours.
"""

from __future__ import annotations

from bench.conformance import Outcome
from bench.conformance.jsisolate import Isolate, records, run_js

NAME = "url-origin"

JS = r"""
(data) => data.records.filter((t) => "origin" in t).map((t) => {
  const title = `origin of new URL(${JSON.stringify(t.input)}, ${JSON.stringify(t.base)})`;
  try {
    const u = t.base === null ? new URL(t.input) : new URL(t.input, t.base);
    return [title, u.origin === t.origin ? null : `got ${JSON.stringify(u.origin)}, want ${JSON.stringify(t.origin)}`];
  } catch (e) { return [title, "threw " + String(e)]; }
})
"""


def run(iso: Isolate | None = None) -> list[Outcome]:
    """One outcome per subtest."""
    return run_js(JS, {"records": records("wpt_url/urltestdata.json", "wpt_url/urltestdata-javascript-only.json")}, iso)
