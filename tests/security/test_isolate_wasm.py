"""WebAssembly compiled at run time is refused (as in Workers); modules that ship with the bundle work.

V8 asks runtime/engine.py before it compiles any WebAssembly, and the answer is
no except while the host compiles a bundle's own modules during setup (the seam:
``Bundle.wasm_modules`` -> ``__isoplay.wasm(name)``, see runtime/isolate.py
``env_config``). The scripts here are hand-made, as an upload arrives.
"""

from __future__ import annotations

import pytest

from isolate_harness import handler_script, run_one, run_raw

# (module (func (export "add") (param i32 i32) (result i32) local.get 0 local.get 1 i32.add))
ADD_WASM = bytes([
    0x00, 0x61, 0x73, 0x6D, 0x01, 0x00, 0x00, 0x00,
    0x01, 0x07, 0x01, 0x60, 0x02, 0x7F, 0x7F, 0x01, 0x7F,
    0x03, 0x02, 0x01, 0x00,
    0x07, 0x07, 0x01, 0x03, 0x61, 0x64, 0x64, 0x00, 0x00,
    0x0A, 0x09, 0x01, 0x07, 0x00, 0x20, 0x00, 0x20, 0x01, 0x6A, 0x0B,
])
BYTES = "new Uint8Array([" + ",".join(str(b) for b in ADD_WASM) + "])"

REFUSED = [
    pytest.param(f"new WebAssembly.Module({BYTES})", id="Module-constructor"),
    pytest.param(f"await WebAssembly.compile({BYTES})", id="compile"),
    pytest.param(f"await WebAssembly.instantiate({BYTES})", id="instantiate-bytes"),
    pytest.param(f"await WebAssembly.instantiate({BYTES}.buffer)", id="instantiate-arraybuffer"),
    pytest.param(f"Reflect.construct(WebAssembly.Module, [{BYTES}])", id="Reflect-construct"),
    pytest.param(f"new (class M extends WebAssembly.Module {{}})({BYTES})", id="subclass"),
    pytest.param(f"new WebAssembly.Module.prototype.constructor({BYTES})", id="prototype-constructor"),
    pytest.param(f"new WebAssembly.Module(new DataView({BYTES}.buffer))", id="dataview"),
    pytest.param("new WebAssembly.Module(Uint8Array.from(atob('AGFzbQEAAAA='), c => c.charCodeAt(0)))",
                 id="bytes-decoded-at-run-time"),
    pytest.param("new WebAssembly.Module(new Uint8Array([0, 97, 115, 109].concat([1, 0, 0, 0])))",
                 id="empty-module-built-at-run-time"),
    pytest.param(f"await WebAssembly.compileStreaming(new Response({BYTES}, {{ headers: {{ 'content-type': "
                 "'application/wasm' } }))", id="compileStreaming"),
    pytest.param(f"await WebAssembly.instantiateStreaming(new Response({BYTES}, {{ headers: {{ 'content-type': "
                 "'application/wasm' } }))", id="instantiateStreaming"),
]


@pytest.mark.parametrize("expr", REFUSED)
def test_webassembly_compiled_at_run_time_is_refused(expr: str) -> None:
    result = run_one(handler_script(f"const m = {expr}; return 'compiled';"))
    assert result.outcome == "error" and result.error is not None, result.value
    if "Streaming" in expr and result.error.name == "TypeError":
        assert "is not a function" in result.error.message  # no streaming compile in this V8 embedding at all
        return
    assert result.error.name == "CompileError", result.error
    assert "Wasm code generation disallowed by embedder" in result.error.message


def test_the_refusal_names_the_rule() -> None:
    result = run_one(handler_script(f"new WebAssembly.Module({BYTES}); return 1;"))
    assert result.error is not None
    assert "does not compile WebAssembly from bytes at run time" in result.error.message
    assert "import the .wasm file" in result.error.message


def test_validate_compiles_nothing_and_still_answers() -> None:
    result = run_one(handler_script(f"return WebAssembly.validate({BYTES}) + ',' + WebAssembly.validate(new Uint8Array(3));"))
    assert result.outcome == "ok" and result.value == "true,false"


def test_a_bundled_module_is_compiled_for_the_script() -> None:
    code = handler_script("const m = __isoplay.wasm('add.wasm'); const { exports } = await WebAssembly.instantiate(m);"
                          " return [m instanceof WebAssembly.Module, exports.add(2, 3),"
                          " new WebAssembly.Instance(m).exports.add(40, 2)].join(',');")
    results, _ = run_raw(code, wasm={"add.wasm": ADD_WASM}, invocations=2)
    assert [(r.outcome, r.value) for r in results] == [("ok", "true,5,42")] * 2, results[0].error


def test_an_unknown_bundled_module_is_a_clear_error() -> None:
    result = run_one(handler_script("return __isoplay.wasm('missing.wasm');"), wasm={"add.wasm": ADD_WASM})
    assert result.outcome == "error" and result.error is not None
    assert 'no WebAssembly module "missing.wasm" ships with this bundle' in result.error.message


def test_a_bundled_module_does_not_open_compilation_for_the_script() -> None:
    code = handler_script("__isoplay.wasm('add.wasm');"
                          f" try {{ new WebAssembly.Module({BYTES}); return 'compiled'; }} catch (e) {{ return e.name; }}")
    result = run_one(code, wasm={"add.wasm": ADD_WASM})
    assert result.outcome == "ok" and result.value == "CompileError"


def test_compilation_at_top_level_is_refused_too() -> None:
    result = run_one(handler_script("return 1;", top=f"const m = new WebAssembly.Module({BYTES});"))
    assert result.outcome == "error" and result.error is not None
    assert result.error.kind == "load" and result.error.name == "CompileError"


def test_the_preludes_wasm_gate_is_not_reachable() -> None:
    result = run_one(handler_script(
        "return [typeof __isoplay_wasm_allow, typeof __isoplay_wasm_deny,"
        " Object.getOwnPropertyNames(globalThis).filter(n => /wasm_(allow|deny)/.test(n)).length].join(',');"))
    assert result.outcome == "ok" and result.value == "undefined,undefined,0", (result.value, result.error)


def test_the_prelude_compiling_its_own_webassembly_opens_nothing_for_the_script() -> None:
    # HTMLRewriter compiles lol-html (a prelude chunk) on first use, through the private gate.
    code = handler_script(
        "const out = await new HTMLRewriter().on('p', { element(e) { e.setAttribute('x', '1'); } })"
        "  .transform(new Response('<p>hi</p>')).text();"
        f" let after; try {{ new WebAssembly.Module({BYTES}); after = 'compiled'; }} catch (e) {{ after = e.name; }}"
        " return out + ' ' + after;")
    result = run_one(code)
    assert result.outcome == "ok", result.error
    assert result.value == '<p x="1">hi</p> CompileError'
