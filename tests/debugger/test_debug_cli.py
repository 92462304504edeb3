"""``isoplay debug --script FILE --json``: the scriptable terminal debugger."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from app.cli import main
from tests_debugger_sources import INDEX, LIB

pytestmark = pytest.mark.timeout(60)


def run_cli(capsys, *argv: str) -> tuple[int, list[dict]]:  # type: ignore[no-untyped-def]
    code = main(list(argv))
    out = capsys.readouterr().out
    return code, [json.loads(line) for line in out.splitlines() if line.strip()]


@pytest.fixture
def app(make_project):  # type: ignore[no-untyped-def]
    return make_project({"src/index.ts": INDEX, "src/lib.ts": LIB})


def test_script_json_session(app: Path, tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    script = tmp_path / "cmds.txt"
    script.write_text("\n".join([
        "p url.pathname", "locals", "watch total + 1", "s", "bt", "frame 1", "print total", "o",
        "break src/lib.ts:23 if x > 5", "c", "l", "delete 2", "bogus", "c",
    ]) + "\n")
    code, events = run_cli(capsys, "debug", str(app), "--request", "GET /hello", "--break", "src/index.ts:15",
                           "--script", str(script), "--json")
    assert code == 0
    kinds = [e["event"] for e in events]
    assert kinds[0] == "paused" and kinds[-1] == "exited"
    first = events[0]
    assert {k: first[k] for k in ("reason", "file", "line", "column")} == {
        "reason": "breakpoint", "file": "src/index.ts", "line": 15, "column": 5}
    assert first["stack"] == [{"function": "fetch", "file": "src/index.ts", "line": 15, "column": 5}]
    assert events[1] == {"event": "value", "expr": "url.pathname", "value": '"/hello"', "type": "string"}
    assert events[2]["event"] == "locals" and events[2]["vars"]["total"] == "10"
    assert events[3] == {"event": "value", "expr": "total + 1", "value": "11", "type": "number"}
    stepped = events[4]
    assert (stepped["reason"], stepped["file"], stepped["line"]) == ("step", "src/lib.ts", 14)
    stack = next(e for e in events if e["event"] == "stack")["stack"]
    assert [f["function"] for f in stack] == ["Counter.bump", "fetch"]
    frame = next(e for e in events if e["event"] == "frame")
    assert (frame["frame"], frame["function"]) == (1, "fetch")
    bp = next(e for e in events if e["event"] == "breakpoint")
    assert (bp["id"], bp["status"], bp["condition"]) == (2, "verified", "x > 5")
    at_bp = [e for e in events if e["event"] == "paused" and e["reason"] == "breakpoint"][-1]
    assert (at_bp["file"], at_bp["line"]) == ("src/lib.ts", 23)
    closure_locals = [e for e in events if e["event"] == "locals"][-1]
    assert closure_locals["vars"] == {"x": "21", "sum": "31"} and closure_locals["closure"]["k"] == "10"
    assert any(e["event"] == "error" and "unknown command" in e["message"] for e in events)
    assert events[-1]["status"] == "ok" and events[-1]["result"]["body"] == "hi /hello 21 2,4,6 6 31"


def test_script_running_out_stops_the_session(app: Path, tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    script = tmp_path / "cmds.txt"
    script.write_text("print total\n")
    code, events = run_cli(capsys, "debug", str(app), "--break", "src/index.ts:13", "--script", str(script), "--json")
    assert code == 0
    assert [e["event"] for e in events] == ["paused", "value", "exited"]
    assert events[-1]["status"] == "stopped"


def test_quit_and_exception_event(make_project, tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    root = make_project({"src/index.ts": "export default {\n  async run(input: any) {\n    const z = input.k;\n"
                         "    throw new TypeError('nope ' + z);\n  },\n};\n"})
    script = tmp_path / "cmds.txt"
    script.write_text("p input.k\nc\n")
    code, events = run_cli(capsys, "debug", str(root), "--once", '{"k": 1}', "--script", str(script), "--json")
    assert code == 1
    paused = events[0]
    assert (paused["reason"], paused["line"], paused["exception"]) == ("exception", 4, "TypeError: nope 1")
    assert events[1]["value"] == "1"
    assert events[-1]["event"] == "exited" and events[-1]["status"] == "error"
    assert "nope 1" in events[-1]["error"]


def test_build_error_is_an_exited_event(make_project, tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    root = make_project({"src/index.ts": "export default {\n  fetch( {\n"})
    code, events = run_cli(capsys, "debug", str(root), "--json")
    assert code == 1
    assert events[0]["event"] == "exited" and events[0]["status"] == "error"
    assert "src/index.ts:" in events[0]["error"]


def test_text_mode_and_bad_break(app: Path, tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    script = tmp_path / "cmds.txt"
    script.write_text("p total\nn\nc\n")
    assert main(["debug", str(app), "-b", "src/index.ts:12", "--script", str(script)]) == 0
    out = capsys.readouterr().out
    assert "paused (breakpoint) at src/index.ts:12:5 in fetch" in out
    assert "total = 10" in out and "exited: ok" in out
    assert main(["debug", str(app), "--break", "nocolon"]) == 1
    assert "FILE:LINE" in capsys.readouterr().err


def test_frame_selects_an_outer_frame_for_locals_and_print(app: Path, tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    script = tmp_path / "cmds.txt"
    script.write_text("frame 1\nlocals\nprint total * 2 + v\nprint this.count\nframe 0\nprint this.count\nc\n")
    code, events = run_cli(capsys, "debug", str(app), "--break", "src/lib.ts:14", "--script", str(script), "--json")
    assert code == 0
    assert (events[0]["function"], events[0]["line"]) == ("Counter.bump", 14)
    assert (events[1]["event"], events[1]["frame"], events[1]["function"]) == ("frame", 1, "fetch")
    outer = events[2]
    assert outer["event"] == "locals" and outer["frame"] == 1
    assert {k: outer["vars"][k] for k in ("total", "v", "c")} == {"total": "10", "v": "21", "c": "Counter {count: 5}"}
    assert outer["this"] == "{fetch: ƒ fetch()}" and "note" not in outer
    assert events[3] == {"event": "value", "expr": "total * 2 + v", "value": "41", "type": "number"}
    assert events[4]["value"] == "undefined"  # fetch's `this` is the handler object, not the Counter
    assert events[6] == {"event": "value", "expr": "this.count", "value": "5", "type": "number"}
    assert events[-1]["status"] == "ok"


def test_stop_on_entry_pauses_at_the_handler_first_statement(app: Path, tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    script = tmp_path / "cmds.txt"
    script.write_text("print typeof url\nbreak src/index.ts:16\nc\nprint total\nc\n")
    code, events = run_cli(capsys, "debug", str(app), "--stop-on-entry", "--script", str(script), "--json")
    assert code == 0
    entry = events[0]
    assert (entry["event"], entry["reason"], entry["file"], entry["line"]) == ("paused", "pause", "src/index.ts", 7)
    assert [f["function"] for f in entry["stack"]] == ["fetch"]  # module code already ran; the handler is next
    assert events[1]["value"] == '"undefined"'  # `const url` has not run yet
    at_bp = next(e for e in events if e["event"] == "paused" and e["reason"] == "breakpoint")
    assert at_bp["line"] == 16
    assert any(e.get("expr") == "total" and e["value"] == "10" for e in events)
    assert events[-1]["status"] == "ok"
    code, events = run_cli(capsys, "debug", str(app), "--script", str(script), "--json")
    assert [e["event"] for e in events] == ["exited"]  # a script without --stop-on-entry or --break runs through


def test_the_terminal_without_breakpoints_pauses_at_entry(app: Path, monkeypatch, capsys) -> None:  # type: ignore[no-untyped-def]
    import io

    monkeypatch.setattr("sys.stdin", io.StringIO("bt\nn\n\np url.pathname\nc\n"))  # Enter repeats `n`
    assert main(["debug", str(app), "--request", "GET /typed"]) == 0
    captured = capsys.readouterr()
    assert "paused (pause) at src/index.ts:7:5 in fetch" in captured.out
    assert "paused (step) at src/index.ts:9:5 in fetch" in captured.out  # two steps: the empty line repeated `n`
    assert 'url.pathname = "/typed"' in captured.out and "exited: ok" in captured.out
    assert "no --break given: pausing at the handler's first statement" in captured.err


def test_leading_break_commands_of_a_script_apply_before_the_invocation_starts(app: Path, tmp_path: Path,
                                                                              capsys) -> None:  # type: ignore[no-untyped-def]
    script = tmp_path / "cmds.gdb"
    script.write_text("# breakpoints first, as with gdb -x\nbreak src/index.ts:15\n\nb src/lib.ts:23 if x > 5\n"
                      "p url.pathname\nc\np x\nbreak src/index.ts:16\nc\nc\n")
    code, events = run_cli(capsys, "debug", str(app), "--request", "GET /hello", "--script", str(script), "--json")
    assert code == 0
    assert [(e["event"], e.get("id"), e.get("line")) for e in events[:2]] == [("breakpoint", 1, 15),
                                                                             ("breakpoint", 2, 23)]
    assert events[1]["condition"] == "x > 5" and events[1]["status"] == "verified"
    assert (events[2]["event"], events[2]["reason"], events[2]["line"]) == ("paused", "breakpoint", 15)
    assert events[3] == {"event": "value", "expr": "url.pathname", "value": '"/hello"', "type": "string"}
    assert (events[4]["event"], events[4]["file"], events[4]["line"]) == ("paused", "src/lib.ts", 23)
    assert events[5]["value"] == "21"
    assert (events[6]["event"], events[6]["id"]) == ("breakpoint", 3)  # a later break is a command as before
    assert events[-1]["event"] == "exited" and events[-1]["status"] == "ok"


def test_leading_breaks_in_text_mode_and_a_malformed_one_names_the_script_line(app: Path, tmp_path: Path,
                                                                              capsys) -> None:  # type: ignore[no-untyped-def]
    script = tmp_path / "cmds.gdb"
    script.write_text("break src/index.ts:12\np total\nc\n")
    assert main(["debug", str(app), "--script", str(script)]) == 0
    captured = capsys.readouterr()
    assert "breakpoint 1 at src/index.ts:12 (verified)" in captured.err
    assert "paused (breakpoint) at src/index.ts:12:5 in fetch" in captured.out and "total = 10" in captured.out
    bad = tmp_path / "bad.gdb"
    bad.write_text("# one\nbreak src/index.ts\nc\n")
    assert main(["debug", str(app), "--script", str(bad)]) == 1
    err = capsys.readouterr().err
    assert f"{bad}:2: break: expected FILE:LINE" in err
