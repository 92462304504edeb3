"""Attacks on V8 natives syntax and on the prelude's privileged helpers, in real isolates.

V8 runs without ``--allow-natives-syntax`` (runtime/engine.py), so ``%Name()`` is a
syntax error in every source a script can bring, whatever path it came by. These
scripts are hand-made (no esbuild in between), as an upload to the server arrives.
"""

from __future__ import annotations

import pytest

from isolate_harness import handler_script, run_one

NATIVES = [
    pytest.param('%AbortJS("x");', id="abort-top-level"),
    pytest.param('(() => %AbortJS("x"))();', id="abort-arrow"),
    pytest.param('function f() { return %GetOptimizationStatus(f); }', id="uncalled-function"),
    pytest.param('var x = 1 + %DebugPrint(1);', id="in-expression"),
    pytest.param('% AbortJS ( "x" ) ;', id="spaces"),
    pytest.param('%\nAbortJS("x");', id="newline-after-percent"),
    pytest.param('/* c */%SystemBreak();', id="after-comment"),
    pytest.param('if (false) { %PrepareFunctionForOptimization(Math.max); }', id="dead-branch"),
    pytest.param('class C { m() { return %HeapObjectVerify(this); } }', id="in-method"),
    pytest.param('label: %AbortJS("x");', id="labelled"),
    pytest.param('var s = `${%AbortJS("x")}`;', id="template-substitution"),
    pytest.param('async function* g() { yield %AbortJS("x"); }', id="async-generator"),
    pytest.param('var o = { [%AbortJS("x")]: 1 };', id="computed-key"),
    pytest.param('%PerformMicrotaskCheckpoint();', id="the-checkpoint-itself"),
]


@pytest.mark.parametrize("code", NATIVES)
def test_natives_syntax_does_not_parse(code: str) -> None:
    result = run_one(handler_script("return 'reached';", top=code))
    assert result.outcome == "error" and result.error is not None
    assert result.error.name == "SyntaxError" and "Unexpected token '%'" in result.error.message, result.error
    assert result.error.kind == "load"


SAFE = [
    pytest.param('var s = "%AbortJS(\\"x\\")";', "%AbortJS(\"x\")", id="in-string"),
    pytest.param("var s = '%' + 'AbortJS()';", "%AbortJS()", id="concatenated"),
    pytest.param('var s = `%AbortJS()`;', "%AbortJS()", id="in-template"),
    pytest.param('var s = "\\u0025AbortJS()";', "%AbortJS()", id="unicode-escape-in-string"),
    pytest.param('var s = /%AbortJS\\(\\)/.source;', "%AbortJS\\(\\)", id="in-regexp"),
    pytest.param('// %AbortJS("x")\nvar s = "comment";', "comment", id="line-comment"),
    pytest.param('/* %AbortJS("x") */ var s = "block";', "block", id="block-comment"),
    pytest.param('var s = "html"; <!-- %AbortJS("x")', "html", id="html-open-comment"),
    pytest.param('var s = "close";\n--> %AbortJS("x")', "close", id="html-close-comment"),
    pytest.param('var s = String(7 % 3) + String(8 %2);', "10", id="modulo-operator"),
]


@pytest.mark.parametrize(("top", "expected"), SAFE)
def test_text_that_only_looks_like_natives_runs(top: str, expected: str) -> None:
    result = run_one(handler_script("return s;", top=top))
    assert result.outcome == "ok", result.error
    assert result.value == expected


RUNTIME_BUILT = [
    pytest.param('return eval("%AbortJS(1)");', id="eval"),
    pytest.param('return eval(String.fromCharCode(37) + "AbortJS(1)");', id="eval-built-char-by-char"),
    pytest.param('return (0, eval)("%AbortJS(1)");', id="indirect-eval"),
    pytest.param('return new Function("%AbortJS(1)")();', id="new-Function"),
    pytest.param('return Function("return %AbortJS(1)")();', id="Function-call"),
    pytest.param('return (function(){}).constructor("%AbortJS(1)")();', id="constructor-of-a-function"),
    pytest.param('return (async function(){}).constructor("%AbortJS(1)")();', id="AsyncFunction"),
    pytest.param('return (function*(){}).constructor("%AbortJS(1)")().next();', id="GeneratorFunction"),
    pytest.param('return (async function*(){}).constructor("%AbortJS(1)")().next();', id="AsyncGeneratorFunction"),
    pytest.param('return Reflect.construct(Function, ["%AbortJS(1)"])();', id="Reflect-construct"),
    pytest.param('return globalThis["ev" + "al"]("%AbortJS(1)");', id="eval-by-computed-name"),
]


@pytest.mark.parametrize("body", RUNTIME_BUILT)
def test_code_built_at_run_time_is_refused(body: str) -> None:
    result = run_one(handler_script(body))
    assert result.outcome == "error" and result.error is not None
    assert result.error.name == "EvalError", result.error
    assert "Code generation from strings disallowed" in result.error.message


def test_a_string_timer_callback_is_refused() -> None:
    result = run_one(handler_script('setTimeout("%AbortJS(1)", 0); return "no";'))
    assert result.outcome == "error" and result.error is not None and result.error.name == "TypeError"


def test_dynamic_import_of_a_data_url_does_not_load_code() -> None:
    result = run_one(handler_script(
        'try { await import("data:text/javascript,%AbortJS(1)"); return "loaded"; }'
        ' catch (e) { return "refused: " + e.name; }'))
    assert result.outcome == "ok" and str(result.value).startswith("refused"), (result.value, result.error)


def test_the_drain_helper_is_not_reachable() -> None:
    result = run_one(handler_script(
        'return [typeof __isoplay_drain, typeof globalThis.__isoplay_drain,'
        ' Object.getOwnPropertyNames(globalThis).filter(n => /drain/i.test(n)).length,'
        ' typeof __drain].join(",");'))
    assert result.outcome == "ok", result.error
    assert result.value == "undefined,undefined,0,undefined"


def test_the_gate_that_makes_the_native_drain_is_not_reachable() -> None:
    result = run_one(handler_script(
        'return [typeof __isoplay_native, typeof globalThis.__isoplay_native,'
        ' Object.getOwnPropertyNames(globalThis).filter(n => /native/i.test(n)).length].join(",");'))
    assert result.outcome == "ok", result.error
    assert result.value == "undefined,undefined,0"


def test_microtasks_drain_through_the_mini_racer_callback_without_the_v8_bindings(
        monkeypatch: pytest.MonkeyPatch) -> None:
    # Another mini-racer build may not export Function::New: the drain is then mini-racer's JS callback.
    from runtime import v8native

    monkeypatch.setattr(v8native, "function_api", lambda: None)
    result = run_one(handler_script(
        'let n = 0; for (let i = 0; i < 5; i++) n += await Promise.resolve(i);'
        ' return [n, typeof __isoplay_drain].join(",");'))
    assert result.outcome == "ok", result.error
    assert result.value == "10,undefined"


def test_prelude_functions_are_not_reachable_through_caller() -> None:
    # A sloppy-mode handler asks who called it; strict prelude code answers null, never a function.
    code = ("var __isoplay_module = { default: { run: function run() {"
            " var c = run.caller; return c === null ? 'null' : typeof c; } } };")
    result = run_one(code)
    assert result.outcome == "ok", result.error
    assert result.value == "null"


def test_timer_callbacks_cannot_reach_the_timer_loop_through_caller() -> None:
    code = ("var __isoplay_module = { default: { run: function () { return new Promise(function (resolve) {"
            " setTimeout(function cb() { var c = cb.caller; resolve(c === null ? 'null' : typeof c); }, 0); }); } } };")
    result = run_one(code)
    assert result.outcome == "ok", result.error
    assert result.value == "null"


def test_stack_frames_hand_out_no_prelude_functions() -> None:
    # Structured stack frames give sloppy-mode functions away (getFunction / getThis); the
    # prelude's frames are strict, so only the script's own function comes back.
    code = ("var __isoplay_module = { default: { run: function run() { var seen = [];"
            " Error.prepareStackTrace = function (e, frames) { seen = frames.map(function (f) {"
            "   var fn = f.getFunction(); return fn === run ? 'own' : typeof fn + '/' + typeof f.getThis(); });"
            "   return 'x'; };"
            " new Error('probe').stack; return seen.join(','); } } };")
    result = run_one(code)
    assert result.outcome == "ok", result.error
    frames = str(result.value).split(",")
    assert frames[0] == "own" and len(frames) > 1
    assert all(f == "undefined/undefined" for f in frames[1:]), frames


@pytest.mark.parametrize("config", [
    pytest.param('{ vars: {}, bindings: [], wasm: { "x.wasm": "AGFzbQEAAAA=" } }', id="compile-wasm"),
    pytest.param('{ vars: {}, bindings: [], memoryLimit: 2 ** 40 }', id="raise-allocation-limit"),
    pytest.param('{ vars: { SECRET: "forged" }, bindings: [] }', id="swap-env"),
])
def test_the_host_setup_entry_point_runs_once(config: str) -> None:
    # __isoplay is reachable; its setup() (bindings, .wasm compilation, allocation limit) is not usable twice.
    result = run_one(handler_script(
        f'try {{ __isoplay.setup({config}); return "accepted"; }} catch (e) {{ return e.name + ": " + e.message; }}'))
    assert result.outcome == "ok", result.error
    assert result.value == "Error: __isoplay.setup() runs once, by the host"


def test_a_runaway_microtask_at_top_level_is_stopped_by_the_time_limit() -> None:
    result = run_one(handler_script("return 1;", top="Promise.resolve().then(() => { for (;;) {} });"),
                     timeout_ms=300)
    assert result.outcome == "error" and result.error is not None
    assert "timeout_ms" in result.error.message


def test_a_runaway_microtask_after_the_handler_settled_is_stopped() -> None:
    result = run_one(handler_script("Promise.resolve().then(() => { for (;;) {} }); return 1;"), timeout_ms=300)
    assert result.outcome == "timeout" and result.limit == "timeout_ms"


FORGE = (
    "const realStringify = JSON.stringify;"
    " JSON.stringify = function (v) { if (v && Array.isArray(v.ops)) { for (const op of v.ops)"
    "   if (op[1] === 'kv.get') op[2] = { binding: 'OTHER', key: 'secret', type: 'text' }; }"
    "   return realStringify.apply(this, arguments); };"
)


def test_a_forged_host_op_cannot_reach_an_unbound_kv_namespace(tmp_path) -> None:  # type: ignore[no-untyped-def]
    # A script can replace the globals the prelude serialises its state with, so it can
    # rewrite its own host ops; the host checks the binding against the manifest.
    from runtime.kv.store import KVStore

    store = KVStore(tmp_path / "kv.sqlite3")
    store.put("OTHER", "secret", "not yours")
    store.put("KV", "secret", "yours")
    try:
        code = handler_script(FORGE + " try { return await env.KV.get('secret'); } catch (e) { return e.message; }")
        result = run_one(code, kv=("KV",), kv_store=store)
        honest = run_one(handler_script("return await env.KV.get('secret');"), kv=("KV",), kv_store=store)
    finally:
        store.close()
    assert honest.outcome == "ok" and honest.value == "yours", honest.error
    assert result.outcome == "ok", result.error
    assert result.value != "not yours"
    assert "no KV namespace is bound to 'OTHER'" in str(result.value)
