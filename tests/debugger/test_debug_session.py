"""Headless debug sessions over real isolates, real esbuild and a real debuggee process."""

from __future__ import annotations

import time

import pytest

from debugger.protocol import BreakpointError, EventKind, Exited, Output
from debugger.session import DebugCommandError
from runtime.errors import BundleError
from runtime.invocation import EventTrigger, RunTrigger, ScheduledTrigger
from tests_debugger_sources import INDEX, LIB

pytestmark = pytest.mark.timeout(60)

@pytest.fixture
def app(make_project):  # type: ignore[no-untyped-def]
    """The two-module sample app."""
    return make_project({"src/index.ts": INDEX, "src/lib.ts": LIB})


def test_breakpoint_pauses_with_locals_and_stack(app, debug_session) -> None:  # type: ignore[no-untyped-def]
    s = debug_session(app)
    s.set_breakpoint("src/index.ts", 12)
    s.start()
    p = s.wait_paused()
    assert (p.reason, p.top.file, p.top.line, p.top.function) == ("breakpoint", "src/index.ts", 12, "fetch")
    assert p.hit_breakpoints == (1,)
    scopes = s.scopes()
    names = {v.name: v.value for v in scopes.locals}
    assert names["total"].preview == "10"
    assert names["url"].class_name == "URL"
    assert {v.name for v in scopes.module} >= {"GREETING", "helper"}
    assert s.evaluate("url.pathname + '!'").preview == '"/!"'
    assert s.evaluate("total * 2 + GREETING.length").preview == "22"
    s.resume()
    exited = s.wait_exited()
    assert exited.status == "ok"
    assert exited.result is not None and exited.result["body"] == "hi / 21 2,4,6 6 31"


def test_async_await_across_modules(app, debug_session) -> None:  # type: ignore[no-untyped-def]
    s = debug_session(app)
    s.set_breakpoint("src/lib.ts", 4)  # after the await
    s.start()
    p = s.wait_paused()
    assert (p.top.file, p.top.line, p.top.function) == ("src/lib.ts", 4, "helper")
    assert [(f.function, f.file, f.line) for f in p.stack[1:]] == [("fetch", "src/index.ts", 13)]
    assert p.stack[1].is_async
    assert s.evaluate("base").preview == "20"
    assert s.evaluate("n").preview == "10"
    s.resume()
    assert s.wait_exited().status == "ok"


def test_step_over_into_out(app, debug_session) -> None:  # type: ignore[no-untyped-def]
    s = debug_session(app)
    s.set_breakpoint("src/index.ts", 15)  # const bumped = c.bump();
    s.start()
    assert s.wait_paused().top.line == 15
    s.step_into()
    p = s.wait_paused()
    assert (p.reason, p.top.file, p.top.line, p.top.function) == ("step", "src/lib.ts", 14, "Counter.bump")
    assert [f.function for f in p.stack] == ["Counter.bump", "fetch"]
    s.step_over()
    assert s.wait_paused().top.line == 15
    s.step_out()
    p = s.wait_paused()
    assert (p.top.file, p.top.line) == ("src/index.ts", 16)
    assert s.evaluate("bumped").preview == "6"
    s.step_over()
    assert s.wait_paused().top.line == 17  # over makeAdder(10)
    s.resume()
    assert s.wait_exited().status == "ok"


def test_step_into_callback_and_closure_variables(app, debug_session) -> None:  # type: ignore[no-untyped-def]
    s = debug_session(app)
    s.set_breakpoint("src/lib.ts", 23)  # inside the returned closure
    s.set_breakpoint("src/index.ts", 12)  # the array.map line
    s.start()
    assert s.wait_paused().top.line == 12
    s.step_into()
    p = s.wait_paused()
    assert (p.top.line, p.top.function) == (12, "<anonymous>")
    assert s.evaluate("x").preview == "1"
    s.resume()
    p = s.wait_paused()
    assert (p.top.file, p.top.line) == ("src/lib.ts", 23)
    scopes = s.scopes()
    assert [v.name for v in scopes.locals] == ["x", "sum"]
    assert {v.name: v.value.preview for v in scopes.closure} == {"k": "10", "label": '"adder"'}
    assert s.evaluate("sum + k").preview == "41"
    s.resume()
    assert s.wait_exited().status == "ok"


def test_this_in_class_method_and_lazy_expansion(app, debug_session) -> None:  # type: ignore[no-untyped-def]
    s = debug_session(app)
    s.set_breakpoint("src/lib.ts", 15)
    s.start()
    s.wait_paused()
    scopes = s.scopes()
    assert scopes.this is not None and scopes.this.class_name == "Counter"
    assert scopes.this.handle is not None
    assert {v.name: v.value.preview for v in s.properties(scopes.this.handle)} == {"count": "6"}
    value = s.evaluate("new Map([['a', [1, 2]], ['b', {deep: {deeper: 1}}]])")
    assert value.class_name == "Map" and value.handle is not None
    entries = {v.name: v.value for v in s.properties(value.handle)}
    assert entries['"a"'].preview == "[1, 2]"
    assert s.evaluate("new Set([1, 2, 3])").preview == "Set(3) {1, 2, 3}"
    s.resume()
    assert s.wait_exited().status == "ok"


def test_getters_are_not_invoked(make_project, debug_session) -> None:  # type: ignore[no-untyped-def]
    src = """\
let calls = 0;
const obj = { get boom() { calls++; return 1; }, plain: 2 };
export default {
  async run() {
    const o = obj;
    return calls;
  },
};
"""
    s = debug_session(make_project({"src/index.ts": src}), RunTrigger(None))
    s.set_breakpoint("src/index.ts", 6)
    s.start()
    s.wait_paused()
    o = s.evaluate("o")
    assert o.preview == "{boom: (...), plain: 2}"
    assert o.handle is not None
    assert {v.name: v.value.type for v in s.properties(o.handle)} == {"boom": "accessor", "plain": "number"}
    s.resume()
    exited = s.wait_exited()
    assert exited.result is not None and exited.result["body"] == "0"


def test_conditional_and_hit_count_breakpoints(app, debug_session) -> None:  # type: ignore[no-untyped-def]
    s = debug_session(app)
    cond = s.set_breakpoint("src/index.ts", 10, condition="i === 3")
    s.start()
    assert s.wait_paused().hit_breakpoints == (1,)
    assert s.evaluate("i").preview == "3"
    s.remove_breakpoint(1)
    s.set_breakpoint("src/lib.ts", 22, hit_count=1)
    s.resume()
    p = s.wait_paused()
    assert (p.top.file, p.top.line) == ("src/lib.ts", 22)
    s.resume()
    assert s.wait_exited().status == "ok"
    assert cond is None  # set before start: resolved at start, listed in breakpoints
    assert s.breakpoints[0].file == "src/lib.ts"


def test_logpoint_writes_and_does_not_pause(app, debug_session) -> None:  # type: ignore[no-untyped-def]
    s = debug_session(app)
    s.set_breakpoint("src/index.ts", 10, log_message="i={i} total={total}")
    s.start()
    assert s.wait_exited().status == "ok"
    texts = [o.text for o in s.outputs() if o.breakpoint == 1]
    assert texts == [f"i={i} total={sum(range(i))}" for i in range(5)]


def test_condition_that_throws_is_reported_and_true_once(app, debug_session) -> None:  # type: ignore[no-untyped-def]
    s = debug_session(app)
    s.set_breakpoint("src/index.ts", 10, condition="nope.missing")
    s.start()
    p = s.wait_paused()
    assert p.hit_breakpoints == (1,)
    errors = [e for e in s.history if isinstance(e, BreakpointError)]
    assert len(errors) == 1 and "nope is not defined" in errors[0].message
    assert s.breakpoints[0].error is not None
    s.resume()
    assert s.wait_exited().status == "ok"  # later throws count as false
    assert len([e for e in s.history if isinstance(e, BreakpointError)]) == 1


def test_breakpoint_on_comment_or_blank_line_moves(app, debug_session) -> None:  # type: ignore[no-untyped-def]
    s = debug_session(app)
    s.start()
    moved = s.set_breakpoint("src/index.ts", 18)
    assert moved is not None and (moved.status, moved.actual_line) == ("moved", 20)
    past_end = s.set_breakpoint("src/index.ts", 500)
    assert past_end is not None and past_end.status == "unverified"
    unknown = s.set_breakpoint("src/nope.ts", 1)
    assert unknown is not None and unknown.status == "unverified"
    assert s.wait_paused().top.line == 20
    s.resume()
    assert s.wait_exited().status == "ok"


UNCAUGHT = """\
function parse(text: string): unknown {
  const trimmed = text.trim();
  return JSON.parse(trimmed);
}

export default {
  async fetch(request: Request): Promise<Response> {
    let caught = "";
    try {
      parse("{bad");
    } catch (e) {
      caught = String(e);
    }
    const value = parse("{also bad");
    return new Response(String(value) + caught);
  },
};
"""


def test_uncaught_exception_pauses_at_throw_site(make_project, debug_session) -> None:  # type: ignore[no-untyped-def]
    s = debug_session(make_project({"src/index.ts": UNCAUGHT}))
    s.start()
    p = s.wait_paused()
    assert (p.reason, p.uncaught, p.top.file, p.top.line, p.top.function) == (
        "exception", True, "src/index.ts", 3, "parse")
    assert p.exception is not None and p.exception.class_name == "SyntaxError"
    assert s.evaluate("text").preview == '"{also bad"'
    s.resume()
    exited = s.wait_exited()
    assert exited.status == "error" and "SyntaxError" in (exited.error or "")


def test_caught_exceptions_pause_only_when_asked(make_project, debug_session) -> None:  # type: ignore[no-untyped-def]
    s = debug_session(make_project({"src/index.ts": UNCAUGHT}), break_on_uncaught=False, break_on_caught=True)
    s.start()
    p = s.wait_paused()
    assert (p.reason, p.uncaught, p.top.line) == ("exception", False, 11)
    assert "SyntaxError" in (p.exception_text or "")
    s.set_exception_breaks(uncaught=False, caught=False)
    s.resume()
    assert s.wait_exited().status == "error"


def test_pause_stops_an_endless_loop_and_stop_ends_it(make_project, debug_session) -> None:  # type: ignore[no-untyped-def]
    src = """\
export default {
  async run(input: unknown) {
    let n = 0;
    while (true) {
      n++;
    }
  },
};
"""
    s = debug_session(make_project({"src/index.ts": src}), RunTrigger(None))
    # Pause only once the loop provably runs: a pause sent earlier (the debuggee process may still be
    # starting under load) rightly stops at the first statement of the module instead.
    s.set_breakpoint("src/index.ts", 5, condition="n === 1000", log_message="looping {n}")
    s.start()
    output = s.wait_for(EventKind.OUTPUT, timeout=30)
    assert isinstance(output, Output) and output.text == "looping 1000"
    assert s.remove_breakpoint(s.breakpoints[0].id)  # from here on the loop runs with no probe armed
    with pytest.raises(TimeoutError):
        s.wait_for(EventKind.PAUSED, timeout=0.3)
    s.pause()
    p = s.wait_paused()
    assert (p.reason, p.top.function) == ("pause", "run")
    assert p.top.line in (4, 5)
    assert int(s.evaluate("n").preview) > 1000
    exited = s.stop()
    assert exited.status == "stopped"
    with pytest.raises(DebugCommandError):
        s.resume()


def test_evaluate_that_throws_or_loops_is_bounded(app, debug_session) -> None:  # type: ignore[no-untyped-def]
    s = debug_session(app, eval_timeout=0.3)
    s.set_breakpoint("src/index.ts", 13)
    s.start()
    s.wait_paused()
    failed = s.evaluate("undefinedThing.x")
    assert failed.type == "error" and "undefinedThing is not defined" in (failed.error or "")
    looped = s.evaluate("(() => { while (true) {} })()")
    assert looped.type == "error" and "timed out" in (looped.error or "")
    assert s.evaluate("syntax error here").type == "error"
    assert s.evaluate("doubled.length").preview == "3"  # the session goes on
    s.resume()
    assert s.wait_exited().status == "ok"


def test_script_ending_while_stepping(app, debug_session) -> None:  # type: ignore[no-untyped-def]
    s = debug_session(app)
    s.set_breakpoint("src/index.ts", 20)
    s.start()
    s.wait_paused()
    s.step_over()
    event = s.next_event()
    while event.kind is not EventKind.EXITED:
        if event.kind is EventKind.PAUSED:
            s.step_over()
        event = s.next_event()
    assert isinstance(event, Exited) and event.status == "ok"


def test_syntax_error_is_a_build_error(make_project, debug_session) -> None:  # type: ignore[no-untyped-def]
    root = make_project({"src/index.ts": "export default {\n  async fetch( {\n};\n"})
    s = debug_session(root)
    with pytest.raises(BundleError) as info:
        s.start()
    assert info.value.location is not None and info.value.location.file == "src/index.ts"


@pytest.mark.parametrize("trigger, handler", [
    (ScheduledTrigger("*/5 * * * *", 0), "scheduled"),
    (EventTrigger("signup", {"user": "ada"}), "event"),
    (RunTrigger({"n": 2}), "run"),
])
def test_other_handlers(make_project, debug_session, trigger, handler) -> None:  # type: ignore[no-untyped-def]
    src = f"""\
export default {{
  async {handler}(arg: any, env: Env) {{
    const seen = JSON.stringify(arg);
    console.log("seen", seen);
    return seen.length;
  }},
}};
"""
    s = debug_session(make_project({"src/index.ts": src}), trigger)
    s.set_breakpoint("src/index.ts", 4)
    s.start()
    p = s.wait_paused()
    assert p.top.function == handler
    seen = s.evaluate("seen")
    assert seen.type == "string"
    s.resume()
    assert s.wait_exited().status == "ok"
    assert any(isinstance(o, Output) and o.text.startswith("seen ") for o in s.history)


def test_kv_works_across_a_pause(make_project, debug_session) -> None:  # type: ignore[no-untyped-def]
    manifest = 'name = "kvd"\nmain = "src/index.ts"\n\n[[kv_namespaces]]\nbinding = "KV"\n'
    src = """\
export default {
  async fetch(request: Request, env: any): Promise<Response> {
    await env.KV.put("k", "v1");
    const got = await env.KV.get("k");
    return new Response(got);
  },
};
"""
    s = debug_session(make_project({"src/index.ts": src}, manifest=manifest, name="kvd"))
    s.set_breakpoint("src/index.ts", 5)
    s.start()
    s.wait_paused()
    assert s.evaluate("got").preview == '"v1"'
    s.resume()
    exited = s.wait_exited()
    assert exited.result is not None and exited.result["body"] == "v1"


def test_outbound_fetch_works_across_a_pause(make_project, debug_session) -> None:  # type: ignore[no-untyped-def]
    import threading
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    class Upstream(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 (http.server API)
            body = f"upstream saw {self.path}".encode()
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Upstream)
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        origin = f"127.0.0.1:{httpd.server_address[1]}"
        manifest = f'name = "fd"\nmain = "src/index.ts"\n[fetch]\nallow = ["{origin}"]\n'
        src = f"""\
export default {{
  async fetch(request: Request): Promise<Response> {{
    const first = await (await fetch("http://{origin}/one")).text();
    const second = await (await fetch("http://{origin}/two")).text();
    return new Response(first + " / " + second);
  }},
}};
"""
        s = debug_session(make_project({"src/index.ts": src}, manifest=manifest, name="fd"))
        s.set_breakpoint("src/index.ts", 4)  # between the two fetches
        s.start()
        s.wait_paused()
        assert s.evaluate("first").preview == '"upstream saw /one"'
        s.step_over()  # the second fetch runs while the session is attached
        s.wait_paused()
        assert s.evaluate("second").preview == '"upstream saw /two"'
        s.resume()
        exited = s.wait_exited()
        assert exited.result is not None and exited.result["body"] == "upstream saw /one / upstream saw /two"
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join(timeout=5)


def test_globals_lists_the_global_object_without_the_agent(make_project, debug_session) -> None:  # type: ignore[no-untyped-def]
    src = """\
(globalThis as any).appVersion = "1.2.3";

export default {
  async fetch(request: Request): Promise<Response> {
    return new Response("ok");
  },
};
"""
    s = debug_session(make_project({"src/index.ts": src}))
    s.set_breakpoint("src/index.ts", 5)
    s.start()
    s.wait_paused()
    found = {v.name: v.value for v in s.globals()}
    assert found["appVersion"].preview == '"1.2.3"'
    assert found["URL"].type == "function" and "Response" in found and "console" in found
    assert not [name for name in found if name.startswith("$__d")]  # the debugger's own hooks stay hidden
    s.resume()
    assert s.wait_exited().status == "ok"
    with pytest.raises(DebugCommandError):
        s.globals()


def test_a_kv_binding_shows_its_platform_name(make_project, debug_session) -> None:  # type: ignore[no-untyped-def]
    root = make_project({"src/index.ts": """export default {
  async fetch(request: Request, env: any) {
    const kv = env.KV;
    return new Response(String(await kv.get("k")));
  },
};
"""}, 'name = "t"\nmain = "src/index.ts"\n[[kv_namespaces]]\nbinding = "KV"\n')
    s = debug_session(root)
    s.set_breakpoint("src/index.ts", 4)
    s.start()
    s.wait_paused()
    value = s.evaluate("kv")
    assert value.class_name == "KvNamespace", value  # not the minified prelude class name
    s.resume()
    assert s.wait_exited().status == "ok"


# ---- outer frames and write-back --------------------------------------------------------

OUTER_INDEX = """\
import { Totals, load } from "./totals";

const LIMIT = 3;

export function helper(n: number): number {
  const doubled = n * 2;
  return doubled;
}

export default {
  async fetch(request: Request): Promise<Response> {
    const url = new URL(request.url);
    let total = 0;
    const t = new Totals("main");
    for (const item of [1, 2]) {
      total += t.add(item, (x) => helper(x + LIMIT));
    }
    const loaded = await load(total);
    const after = helper(total);
    return new Response(`${url.pathname} ${total} ${loaded} ${after}`);
  },
};
"""

OUTER_TOTALS = """\
import { helper } from "./index";

export class Totals {
  sum = 0;
  constructor(public label: string) {}
  add(v: number, f: (x: number) => number): number {
    const scaled = f(v);
    this.sum += scaled;
    return scaled;
  }
}

export async function load(n: number): Promise<number> {
  let before = n + 1;
  await Promise.resolve();
  const got = helper(before);
  return got;
}
"""


@pytest.fixture
def outer_app(make_project):  # type: ignore[no-untyped-def]
    """fetch -> Totals.add (another module) -> callback -> helper, then an async load across an await."""
    return make_project({"src/index.ts": OUTER_INDEX, "src/totals.ts": OUTER_TOTALS})


def _values(variables) -> dict[str, str]:  # type: ignore[no-untyped-def]
    return {v.name: v.value.preview for v in variables}


def test_outer_frames_show_their_locals_closure_and_this(outer_app, debug_session) -> None:  # type: ignore[no-untyped-def]
    s = debug_session(outer_app)
    s.set_breakpoint("src/index.ts", 7)  # return doubled, in helper
    s.start()
    p = s.wait_paused()
    assert [(f.function, f.file, f.line) for f in p.stack] == [
        ("helper", "src/index.ts", 7), ("<anonymous>", "src/index.ts", 16), ("Totals.add", "src/totals.ts", 7),
        ("fetch", "src/index.ts", 16)]
    callback = s.scopes(1)
    assert _values(callback.locals) == {"x": "1"}
    assert {k: v for k, v in _values(callback.closure).items() if k in ("item", "total")} == {"item": "1", "total": "0"}
    add = s.scopes(2)  # a method in another module: its parameters and this; `scaled` is not declared yet
    assert _values(add.locals) == {"v": "1", "f": "ƒ anonymous()"}
    assert add.this is not None and add.this.class_name == "Totals"
    assert {v.name: v.value.preview for v in s.properties(add.this.handle)} == {"label": '"main"', "sum": "0"}
    assert {v.name for v in add.module} == {"Totals", "load", "helper"}
    fetch = s.scopes(3)
    values = _values(fetch.locals)
    assert {k: values[k] for k in ("item", "total", "t")} == {"item": "1", "total": "0", "t": 'Totals {label: "main", sum: 0}'}
    assert next(v.value for v in fetch.locals if v.name == "url").class_name == "URL"
    assert fetch.this is not None and fetch.this.preview == "{fetch: ƒ fetch()}"
    assert fetch.note is None and {v.name for v in fetch.module} >= {"LIMIT", "helper"}
    assert s.evaluate("url.pathname + ':' + (item * 100 + total + LIMIT)", 3).preview == '"/:103"'
    assert s.evaluate("this.label + v", 2).preview == '"main1"'
    assert s.evaluate("x", 2).error == "ReferenceError: x is not defined"  # frame 2 is not the callback
    assert s.evaluate("x + item", 1).preview == "2"
    s.resume()
    p = s.wait_paused()  # the second item: the outer frames moved on too
    assert _values(s.scopes(3).locals)["item"] == "2"
    assert _values(s.scopes(3).locals)["total"] == "8"


def test_outer_frame_across_await_and_assignments_write_back(outer_app, debug_session) -> None:  # type: ignore[no-untyped-def]
    s = debug_session(outer_app)
    s.set_breakpoint("src/totals.ts", 16)  # const got = helper(before), after the await in load
    s.start()
    p = s.wait_paused()
    assert [(f.function, f.file, f.line, f.is_async) for f in p.stack] == [
        ("load", "src/totals.ts", 16, False), ("fetch", "src/index.ts", 18, True)]
    fetch = s.scopes(1)  # suspended at `await load(total)`
    assert {k: v for k, v in _values(fetch.locals).items() if k in ("total", "t")} == {
        "total": "18", "t": 'Totals {label: "main", sum: 18}'}
    assert "loaded" not in _values(fetch.locals)  # still in its temporal dead zone
    assert s.evaluate("total = 40", 1).preview == "40"  # written to fetch's own variable
    assert s.evaluate("total", 1).preview == "40"
    assert s.evaluate("url = null", 1).error == (
        "TypeError: 'url' cannot be assigned (a const, import, class or function binding)")
    assert s.evaluate("before = 100").preview == "100"  # and in the paused frame itself
    s.resume()
    exited = s.wait_exited()
    assert exited.result is not None and exited.result["body"] == "/ 40 200 80"


def test_assignment_in_the_paused_frame_is_written_back(app, debug_session) -> None:  # type: ignore[no-untyped-def]
    s = debug_session(app)
    s.set_breakpoint("src/index.ts", 13)  # const v = await helper(total);
    s.start()
    s.wait_paused()
    assert s.evaluate("total = 5").preview == "5"
    assert s.evaluate("total + 1").preview == "6"  # later evaluations see it
    assert _values(s.scopes().locals)["total"] == "5"
    assert "'url' cannot be assigned" in (s.evaluate("url = 1").error or "")
    assert "'GREETING' cannot be assigned" in (s.evaluate("GREETING = 'x'").error or "")  # a module const
    s.resume()
    exited = s.wait_exited()
    assert exited.result is not None and exited.result["body"] == "hi / 11 2,4,6 6 21"  # helper(5) -> 11



def test_assigning_a_module_binding(make_project, debug_session) -> None:  # type: ignore[no-untyped-def]
    src = "let hits = 0;\nexport default {\n  async run() {\n    hits++;\n    return hits;\n  },\n};\n"
    s = debug_session(make_project({"src/index.ts": src}), RunTrigger(None))
    s.set_breakpoint("src/index.ts", 5)
    s.start()
    s.wait_paused()
    assert s.evaluate("hits = 41").preview == "41"
    assert s.evaluate("hits + 1").preview == "42"
    s.resume()
    exited = s.wait_exited()
    assert exited.result is not None and exited.result["body"] == "41"


EDGES = """\
function stop(tag: string): number {
  return tag.length;
}

function leaf(o: { value: number }): number {
  const k = 3;
  return o.value + k;
}

function* gen(limit: number) {
  for (let g = 0; g < limit; g++) {
    const sq = g * g;
    yield stop("gen" + sq);
  }
}

async function* agen(n: number) {
  for (let a = 0; a < n; a++) {
    await Promise.resolve();
    yield a;
  }
}

async function fails(): Promise<number> {
  await Promise.resolve();
  throw new Error("nope");
}

export default {
  async run(input: { n: number }) {
    let count = input.n;
    const obj = { get value() { return stop("getter"); } };
    const viaGetter = leaf(obj);
    for (let i = 0; i < stop("ab"); i++) {
      count += i;
    }
    let fromGen = 0;
    for (const v of gen(2)) fromGen += v;
    let fromAsync = 0;
    for await (const w of agen(2)) {
      fromAsync += stop("agen" + w);
    }
    let caught = "";
    try {
      await fails();
    } catch (e) {
      caught = String(stop("caught"));
    }
    return [count, viaGetter, fromGen, fromAsync, caught];
  },
};
"""


def test_outer_frames_that_cannot_be_read_say_so(make_project, debug_session) -> None:  # type: ignore[no-untyped-def]
    s = debug_session(make_project({"src/index.ts": EDGES}), RunTrigger({"n": 5}))
    s.set_breakpoint("src/index.ts", 2)
    s.start()
    p = s.wait_paused()  # stop <- getter <- leaf (no calls of its own: no record) <- run
    assert [f.function for f in p.stack] == ["stop", "value", "leaf", "run"]
    assert _values(s.scopes(1).closure)["count"] == "5"
    leaf = s.scopes(2)
    assert _values(leaf.locals) == {"o": "<not available>", "k": "<not available>"}
    assert leaf.note is not None and "makes no calls" in leaf.note
    assert s.evaluate("k", 2).error == "ReferenceError: k is not available in this frame"  # never another binding
    assert s.evaluate("typeof stop", 2).preview == '"function"'  # module bindings still work there
    assert _values(s.scopes(3).locals)["count"] == "5" and s.scopes(3).note is None
    s.resume()
    p = s.wait_paused()  # called from the loop head: `i` lives where no accessor reaches
    assert [f.function for f in p.stack] == ["stop", "run"]
    head = s.scopes(1)
    assert _values(head.locals)["i"] == "<not available>" and _values(head.locals)["viaGetter"] == "9"
    assert head.note is not None and head.note.endswith(": i")
    assert s.evaluate("i", 1).type == "error"
    s.remove_breakpoint(p.hit_breakpoints[0])
    s.resume()
    assert s.wait_exited().status == "ok"


def test_outer_frames_in_generators_for_await_and_after_a_rejected_await(make_project, debug_session) -> None:  # type: ignore[no-untyped-def]
    s = debug_session(make_project({"src/index.ts": EDGES}), RunTrigger({"n": 5}))
    s.set_breakpoint("src/index.ts", 13, condition="sq === 1")  # yield stop("gen" + sq), second round
    s.start()
    p = s.wait_paused()
    s.remove_breakpoint(p.hit_breakpoints[0])
    s.set_breakpoint("src/index.ts", 2, condition="tag !== 'gen1'")
    s.step_into()
    p = s.wait_paused()
    assert [f.function for f in p.stack] == ["stop", "gen", "run"]
    assert _values(s.scopes(1).locals) == {"sq": "1", "g": "1", "limit": "2"}
    assert _values(s.scopes(2).locals)["fromGen"] == "4"  # resumed by run's for-of: run is its caller
    s.resume()
    p = s.wait_paused()
    assert [f.function for f in p.stack] == ["stop", "run"]
    assert _values(s.scopes(1).locals)["w"] == "0"  # the for-await loop variable
    s.resume()
    s.wait_paused()
    assert _values(s.scopes(1).locals)["w"] == "1"
    assert s.evaluate("count = 1000", 1).preview == "1000"  # run is suspended in `for await`
    s.resume()
    p = s.wait_paused()  # in a catch clause, after the await that rejected
    assert [f.function for f in p.stack] == ["stop", "run"]
    assert s.evaluate("String(e)", 1).preview == '"Error: nope"'
    s.resume()
    exited = s.wait_exited()
    assert exited.result is not None and exited.result["body"] == '[1000, 9, 8, 10, "6"]'


def test_outer_frames_of_an_uncaught_exception(make_project, debug_session) -> None:  # type: ignore[no-untyped-def]
    s = debug_session(make_project({"src/index.ts": UNCAUGHT}))
    s.start()
    p = s.wait_paused()
    assert [(f.function, f.line) for f in p.stack] == [("parse", 3), ("fetch", 14)]
    assert _values(s.scopes(1).locals)["caught"].startswith('"SyntaxError:')  # the values it had when it unwound
    assert s.evaluate("caught.length > 0", 1).preview == "true"
    s.resume()
    assert s.wait_exited().status == "error"


HOT = """\
function stop(depth: number): number {
  return depth;
}

function walk(depth: number, label: string): number {
  if (depth === 0) return stop(depth);
  const below = walk(depth - 1, label + "!");
  return below + 1;
}

export default {
  async run(input: { n: number }) {
    let total = 0;
    for (let i = 0; i < input.n; i++) {
      total += walk(3, "w");
    }
    let acc = 0;
    for (let j = 0; j < 10; j++) {
      const sq = j * j;
      acc += stop(sq + 100);
    }
    return [total, acc];
  },
};
"""


def test_hot_functions_and_blocks_stop_keeping_records_and_say_so(make_project, debug_session) -> None:  # type: ignore[no-untyped-def]
    # record_limit=5: the sixth call of walk (and sixth instance of a block) keeps no shadow record,
    # as the thousand-and-first does by default -- the gate that keeps recursion within the cost target.
    s = debug_session(make_project({"src/index.ts": HOT}), RunTrigger({"n": 3}), record_limit=5)
    s.set_breakpoint("src/index.ts", 2, hit_count=2)  # second walk round: walk's calls 5 (kept) to 8 (not)
    s.start()
    p = s.wait_paused()
    assert [(f.function, f.line) for f in p.stack] == [
        ("stop", 2), ("walk", 6), ("walk", 7), ("walk", 7), ("walk", 7), ("run", 15)]
    assert _values(s.scopes(0).locals) == {"depth": "0"}  # the paused frame is read by its probe, as always
    for frame in range(1, 5):  # the outermost walk kept a record, but pairing it with any frame could lie
        scopes = s.scopes(frame)
        assert set(_values(scopes.locals).values()) == {"<not available>"}
        assert scopes.note is not None and "walk ran more than 5 times" in scopes.note
    assert s.evaluate("label", 4).error is not None
    run = s.scopes(5)  # run's record is still found below the hot frames
    assert _values(run.locals)["total"] == "3" and _values(run.locals)["i"] == "1" and run.note is None
    s.remove_breakpoint(p.hit_breakpoints[0])
    s.set_breakpoint("src/index.ts", 2, condition="depth === 181")  # j = 9: the loop body went hot at j = 5
    s.resume()
    p = s.wait_paused()
    assert [(f.function, f.line) for f in p.stack] == [("stop", 2), ("run", 20)]
    run = s.scopes(1)
    values = _values(run.locals)
    assert values["acc"] == str(sum(j * j + 100 for j in range(9))) and values["total"] == "9"
    assert values["j"] == values["sq"] == "<not available>"
    assert run.note is not None and "a block that ran more than 5 times" in run.note and run.note.endswith(": sq, j")
    assert s.evaluate("total = 0", 1).preview == "0"  # the function's own accessor still writes back
    s.resume()
    exited = s.wait_exited()
    assert exited.result is not None and exited.result["body"] == f"[0, {sum(j * j + 100 for j in range(10))}]"


SLOW = """\
export default {
  async run(input: { ms: number }) {
    const until = Date.now() + input.ms;
    let spins = 0;
    while (Date.now() < until) spins++;
    return spins > 0;
  },
};
"""


def test_the_time_limit_is_lifted_but_running_over_it_is_reported(make_project, debug_session) -> None:  # type: ignore[no-untyped-def]
    from debugger.protocol import Output

    root = make_project({"src/index.ts": SLOW}, manifest='name = "t"\nmain = "src/index.ts"\n[limits]\ntimeout_ms = 400\n')
    s = debug_session(root, RunTrigger({"ms": 1}))
    s.set_breakpoint("src/index.ts", 6)
    s.start()
    s.wait_paused()
    time.sleep(1.2)  # paused for 3x the limit: not running time (the limit leaves room for a loaded machine)
    s.resume()
    assert s.wait_exited().status == "ok"
    assert not [e for e in s.history if isinstance(e, Output) and "timeout_ms" in e.text]
    s = debug_session(root, RunTrigger({"ms": 600}))
    s.start()
    assert s.wait_exited().status == "ok"  # ran past timeout_ms without being stopped
    warnings = [e for e in s.history if isinstance(e, Output) and e.level == "warn"]
    assert len(warnings) == 1 and "over its timeout_ms (400 ms)" in warnings[0].text


def test_value_text_is_the_whole_value_not_the_preview(make_project, debug_session) -> None:  # type: ignore[no-untyped-def]
    import json

    from runtime.invocation import HttpRequest

    root = make_project({"src/index.ts": """export default {
  async fetch(request: Request) {
    const long = "ab".repeat(3000) + "END";
    const many = Array.from({ length: 50 }, (_, i) => ({ i, name: "item" + i }));
    const map = new Map<string, number>([["one", 1], ["two", 2]]);
    const cyclic: any = { name: "loop" };
    cyclic.self = cyclic;
    const url = new URL(request.url);
    const headers = new Headers({ "x-a": "1", "x-b": "2" });
    function add(a: number, b: number) { return a + b; }
    return new Response(String(long.length + many.length + map.size + add(1, 2)));
  },
};
"""})
    s = debug_session(root, HttpRequest("POST", "http://localhost/p?q=1", headers=(("x-h", "v"),), body=b"hi"))
    s.set_breakpoint("src/index.ts", 11)
    s.start()
    s.wait_paused()
    # a string longer than the preview: the preview is cut, the text is whole
    long = s.evaluate("long")
    assert long.preview.endswith('…"') and len(long.preview) < 1100
    assert s.value_text(long.handle) == "ab" * 3000 + "END"
    # an array longer than the preview's 8 items: every item, as JSON
    many = s.evaluate("many")
    assert "…" in many.preview
    assert json.loads(s.value_text(many.handle)) == [{"i": i, "name": f"item{i}"} for i in range(50)]
    assert json.loads(s.value_text(s.evaluate("map").handle)) == [["one", 1], ["two", 2]]
    assert json.loads(s.value_text(s.evaluate("cyclic").handle)) == {"name": "loop", "self": "[Circular]"}
    assert json.loads(s.value_text(s.evaluate("headers").handle)) == [["x-a", "1"], ["x-b", "2"]]
    assert s.value_text(s.evaluate("url").handle) == "http://localhost/p?q=1"
    request = json.loads(s.value_text(s.evaluate("request").handle))  # a platform object: its getters
    assert request["method"] == "POST" and request["url"] == "http://localhost/p?q=1"
    assert ["x-h", "v"] in request["headers"]
    assert "return a + b" in s.value_text(s.evaluate("add").handle)
    # more than the debugger's channel carries: cut, and it says so
    huge = s.value_text(s.evaluate('"é".repeat(400000)').handle)
    assert huge.startswith("éé") and huge.endswith("(the debugger's channel carries 512 KiB at most)")
    assert "of 400,000 characters" in huge and 100_000 < huge.index("\n…") < 400_000
    with pytest.raises(DebugCommandError, match="no longer available"):
        s.value_text(123456)
    s.resume()
    assert s.wait_exited().status == "ok"
