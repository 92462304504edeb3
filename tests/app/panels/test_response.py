"""Response rendering (pure) and the response controller with a fake view."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from app.panels.response.controller import LinkActivated, ResponseController
from app.panels.response.render import (
    hexdump,
    linkify,
    model_for_refusal,
    model_for_result,
    parse_source_link,
    render_body,
    source_link,
)
from app.services.runtime_service import InvocationFinished
from app.services.types import SourceLocation
from runtime.errors import BundleError, Diagnostic, Location
from runtime.invocation import ErrorInfo, HttpRequest, InvocationResult
from runtime.sourcemap import StackFrame

ROOT = Path("/proj")


def test_json_body_is_pretty_printed_and_highlighted() -> None:
    body = render_body(b'{"a":[1,true,null,"x"]}', "application/json; charset=utf-8")
    assert body.kind == "json"
    assert "&quot;a&quot;</span><span" in body.html and "\n  " in body.html
    assert body.html.count("<span") >= 6


def test_text_and_binary_bodies() -> None:
    assert render_body(b"hello <b>\n", "text/plain").kind == "text"
    assert "&lt;b&gt;" in render_body(b"hello <b>\n", "text/plain").html
    binary = render_body(bytes(range(20)), "application/octet-stream")
    assert binary.kind == "hex" and "00 01 02" in binary.html
    assert render_body(b"", "").kind == "empty"
    assert render_body(b"{not json", "application/json").kind == "text"


def test_hexdump_layout() -> None:
    dump = hexdump(b"ABC\x00" * 5)
    first, second = dump.splitlines()
    assert first.startswith("00000000  41 42 43 00") and first.endswith("ABC.ABC.ABC.ABC.")
    assert second.startswith("00000010  41 42 43 00")


def test_source_links_round_trip_and_skip_runtime_frames() -> None:
    href = source_link("src/my file.ts", 12, 5).split('"')[1]
    assert parse_source_link(href, ROOT) == SourceLocation(ROOT / "src/my file.ts", 12, 5)
    assert parse_source_link("https://example.com", ROOT) is None
    html = linkify("Error: x\n    at fetch (src/index.ts:8:13)\n    at isoplay://prelude.js:1:2")
    assert 'href="source:src/index.ts:8:13"' in html and "isoplay://prelude.js:1:2" in html
    assert html.count("<a ") == 1


def test_model_for_ok_response() -> None:
    result = InvocationResult("fetch", "ok", 201, "Created", (("content-type", "application/json"),), b"[1]",
                              duration_ms=3.25, heap_used=2_000_000, heap_total=4_000_000)
    model = model_for_result(result, ROOT)
    assert (model.headline, model.tone) == ("201 Created", "ok")
    assert model.meta == "3.2 ms · heap 2.0 / 4.0 MB · 3 B" or model.meta.startswith("3.")
    assert model.error_html == "" and model.location is None


def test_model_for_exception_links_to_its_line() -> None:
    frames = (StackFrame("fetch", "src/index.ts", 8, 13),)
    error = ErrorInfo("Error", "kaboom", "Error: kaboom\n    at fetch (src/index.ts:8:13)", frames)
    result = InvocationResult("fetch", "error", 500, "Internal Server Error", error=error)
    model = model_for_result(result, ROOT)
    assert model.tone == "server" and "kaboom" in model.error_html
    assert model.location == SourceLocation(ROOT / "src/index.ts", 8, 13)
    assert 'href="source:src/index.ts:8:13"' in model.error_html


def test_model_for_limit_hit_and_handler_value() -> None:
    limit = InvocationResult("scheduled", "timeout", error=ErrorInfo("", "took too long", "", kind="limit"), limit="timeout_ms")
    model = model_for_result(limit, ROOT)
    assert model.headline == "✗ timeout_ms" and "Limit exceeded (timeout_ms)" in model.error_html
    value = model_for_result(InvocationResult("run", "ok", value={"done": True}), ROOT)
    assert value.headline == "✓ run" and value.body.kind == "json"


def test_model_for_build_failure_lists_every_diagnostic() -> None:
    error = BundleError("build failed", diagnostics=[Diagnostic("Expected ';'", Location("src/a.ts", 3, 4)),
                                                     Diagnostic("Could not resolve", Location("src/b.ts", 1, 1))])
    model = model_for_refusal(error, ROOT)
    assert model.headline == "✗ Build failed"
    assert 'source:src/a.ts:3:4' in model.error_html and 'source:src/b.ts:1:1' in model.error_html
    assert model.location == SourceLocation(ROOT / "src/a.ts", 3, 4)


class FakeResponseView:
    def __init__(self) -> None:
        self.shown: list[tuple[Any, str]] = []
        self.running: list[str] = []

    def show_model(self, model: Any, title: str) -> None:
        self.shown.append((model, title))

    def show_running(self, title: str) -> None:
        self.running.append(title)


def test_controller_shows_results_and_resolves_links(qtbot: Any) -> None:
    view = FakeResponseView()
    controller = ResponseController(view)
    trigger = HttpRequest("GET", "http://localhost/a?b=1")
    controller.show_running(trigger)
    assert view.running == ["GET /a?b=1"]
    controller.show_finished(InvocationFinished(ROOT, trigger, InvocationResult("fetch", "ok", 200, "OK"), 1))
    assert view.shown[-1][0].headline == "200 OK" and view.shown[-1][1] == "GET /a?b=1"
    with qtbot.waitSignal(controller.sig_location_requested, timeout=1000) as blocker:
        controller.on_view_link_activated(LinkActivated("source:src/index.ts:4:2"))
    assert blocker.args[0] == SourceLocation(ROOT / "src/index.ts", 4, 2)
