"""Instrumentation: probes keep lines, capture the right names, and never reference types."""

from __future__ import annotations

from debugger.guard import guard
from debugger.instrument import instrument

SRC = """\
import type { Shape } from "./types";
import { used, unusedAsValue } from "./lib";
let later: Shape;

export function area(w: number, h: number): number {
  const a = w * h;
  if (a > 10) return used(a);
  for (const k of [1, 2]) console.log(k);
  const b = a + 1;
  return b;
}
const fn = (x: number) => x * 2;
"""


def test_lines_are_preserved_and_probes_sit_on_their_statements() -> None:
    out = instrument(SRC, "src/a.ts")
    assert out.source.count("\n") == SRC.count("\n")
    for original, probed in zip(SRC.splitlines(), out.source.splitlines()):
        rest = iter(probed)
        assert all(ch in rest for ch in original), (original, probed)  # original is a subsequence
    stmts = {(p.line, p.column) for p in out.probes if p.kind == "stmt"}
    assert {(6, 3), (7, 3), (7, 15), (8, 3), (8, 27), (9, 3), (10, 3), (12, 1), (12, 27)} <= stmts
    assert out.statement_lines() == [3, 6, 7, 8, 9, 10, 12]


def test_captures_skip_types_and_temporal_dead_zone() -> None:
    out = instrument(SRC, "src/a.ts")
    at = {(p.line, p.column): p for p in out.probes}
    assert at[(6, 3)].names == ("w", "h")  # a is not declared yet
    assert at[(9, 3)].names == ("w", "h", "a")
    assert at[(8, 27)].names[0] == "k"
    assert "Shape" not in out.module_names and "unusedAsValue" not in out.module_names
    assert {"used", "area", "fn", "later"} <= set(out.module_names)
    assert at[(6, 3)].function == "area" and at[(12, 27)].function == "fn"


def test_column_mapping_round_trips() -> None:
    out = instrument(SRC, "src/a.ts")
    line = out.source.splitlines()[6]
    col = line.index("return used") + 1
    assert out.original_column(7, col) == SRC.splitlines()[6].index("return used") + 1


def test_guard_adds_deadline_checks() -> None:
    assert guard("while (true) {}") == "while (true) {$__dT();}"
    assert guard("for (;;) x++") == "for (;;) {$__dT();x++}"
    assert guard("a + b") == "a + b"


def test_each_build_maps_frames_with_its_own_source_map(make_project) -> None:  # type: ignore[no-untyped-def]
    """A build freed and replaced by another never lends it its source map.

    CPython hands a freed object's memory (and so its id) to the next object of
    that size, which is what made an id-keyed cache return a stale map.
    """
    from debugger.build import DebugBuild, RawFrame, build_debug

    two = build_debug(make_project({
        "src/index.ts": "import { f } from './lib';\nexport default { fetch() { return f(); } };\n",
        "src/lib.ts": "export function f() {\n  return new Response('x');\n}\n"}, name="two"))
    one = build_debug(make_project({
        "src/index.ts": "export default {\n  fetch() {\n    return new Response('y');\n  },\n};\n"}, name="one"))
    line = next(n for n, text in enumerate(one.bundle.code.splitlines(), 1) if "Response(" in text)
    for _ in range(3):
        first = DebugBuild(two.root, two.bundle, two.files, two.probes)
        first.smap()
        del first
        second = DebugBuild(one.root, one.bundle, one.files, one.probes)
        assert second.map_frame(RawFrame("fetch", line, 4)).file == "src/index.ts"


SHADOW = """\
export function outer(a: number): number {
  let v = 1;
  for (let v = 0; v < limit(); v++) {
    use(v);
  }
  return v;
}
"""


def test_outer_frame_plan_never_falls_back_to_a_shadowed_binding() -> None:
    from debugger import frames

    out = instrument(SHADOW, "src/a.ts")
    assert "const $__df=$__dF(" in out.source and "$__df.b" in out.source  # a record, and a loop accessor
    head = frames.plan(out, 3, 23)  # limit() in the loop head: the loop's `v` has no accessor there
    assert [(v.name, v.index) for v in head.vars] == [("v", -1), ("a", 0)]
    assert head.accessor == "a" and head.function_name == "outer" and not head.complete
    body = frames.plan(out, 4, 5)  # use(v) in the body: the loop's accessor reads the inner `v`
    assert [(v.name, v.index >= 0, v.writable) for v in body.vars] == [("v", True, True), ("a", True, True)]
    assert body.accessor is not None and body.accessor.startswith("b") and body.complete
    assert frames.plan(out, 7, 2).vars == ()  # past the function: module code


def test_records_pair_with_frames_by_function_only() -> None:
    from debugger.frames import match

    assert match([7, 3, 1], [3, 1]) == [None, 0, 1]  # a function without calls keeps no record
    assert match([3, 1], [9, 3, 1]) == [1, 2]  # a record of a call no longer on the stack is skipped
    assert match([3, 5, 1], [3, 1]) == [0, None, 1]
    assert match([0, 3], [3]) == [None, 0]  # module code or an uninstrumented frame


def test_hot_functions_and_blocks_are_never_paired_or_read() -> None:
    from debugger import frames

    # fib-like recursion: the outermost call (3) kept a record before 3 went hot, the inner ones did not;
    # pairing the innermost frame of 3 with that record would show another call's values.
    assert frames.match([3, 3, 3, 1], [3, 1]) == [0, None, None, 1]
    assert frames.match([3, 3, 3, 1], [3, 1], hot={3}) == [None, None, None, 1]
    assert frames.match([5, 3, 1], [5, 3, 1], hot={3}) == [0, None, 2]
    out = instrument(SHADOW, "src/a.ts")
    body = frames.plan(out, 4, 5)
    block = next(r.id for r in out.regions if r.accessor_key == body.accessor)
    cold = frames.plan(out, 4, 5, hot={block})  # the loop's block went hot: fall back to the function's accessor
    assert cold.accessor == "a" and cold.hot and [(v.name, v.index) for v in cold.vars] == [("v", -1), ("a", 0)]
    assert not body.hot and frames.plan(out, 4, 5, hot={body.function}).hot


def test_records_and_block_accessors_are_gated() -> None:
    out = instrument(SHADOW, "src/a.ts")
    assert "if($__df)$__df.a=" in out.source  # a hot call (null record) creates no accessor
    assert "if($__df&&$__dH(" in out.source  # nor does a hot block instance
    assert "finally{if($__df)$__dS.c=$__df.s}" in out.source
