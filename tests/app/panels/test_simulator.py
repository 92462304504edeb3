"""Simulator: curl import/export and form validation (pure), and the controller with a fake view."""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

import pytest

from app.bridge import FutureBridge
from app.panels.simulator.controller import RunRequested, SimulatorController
from app.panels.simulator.curl import CurlParseError, parse_curl, to_curl
from app.panels.simulator.forms import (
    CronForm,
    EventForm,
    HttpForm,
    RunForm,
    SavedRequests,
    SimulatorInputError,
    body_note,
    to_http_request,
    to_trigger,
)
from app.services.files import FileService
from runtime.invocation import EventTrigger, HttpRequest, RunTrigger, ScheduledTrigger

# -- curl parsing ------------------------------------------------------------------------------


def test_parse_browser_style_curl_with_continuations() -> None:
    text = """curl 'http://localhost:8787/api/items?id=3' \\
  -X PUT \\
  -H 'Content-Type: application/json' \\
  -H 'X-Trace: abc' \\
  --data-raw '{"name": "it'\\''s"}' --compressed -sS"""
    form = parse_curl(text)
    assert form.method == "PUT"
    assert form.url == "/api/items?id=3"
    assert form.headers == (("X-Trace", "abc"),)
    assert form.content_type == "application/json"
    assert form.body == '{"name": "it\'s"}'


def test_parse_data_implies_post_and_form_content_type() -> None:
    form = parse_curl('curl -d a=1 -d b=2 localhost/submit')
    assert (form.method, form.url, form.body) == ("POST", "/submit", "a=1&b=2")
    assert form.content_type == "application/x-www-form-urlencoded"


def test_parse_get_flag_moves_data_to_query_and_keeps_remote_urls() -> None:
    form = parse_curl("curl -G https://api.example.com/search?lang=en --data-urlencode q=hello")
    assert (form.method, form.url, form.body) == ("GET", "https://api.example.com/search?lang=en&q=hello", "")


def test_parse_user_json_and_inline_option_values() -> None:
    form = parse_curl("curl -XPOST --header='Accept: text/plain' -u alice:secret --json '{\"a\":1}' http://127.0.0.1:8787/")
    assert form.method == "POST" and form.content_type == "application/json" and form.body == '{"a":1}'
    token = base64.b64encode(b"alice:secret").decode()
    assert ("Authorization", f"Basic {token}") in form.headers
    assert ("Accept", "text/plain") in form.headers


@pytest.mark.parametrize("text, message", [
    ("wget http://x/", "starts with `curl`"),
    ("curl 'http://x/", "cannot read"),
    ("curl -H", "needs a value"),
    ("curl -s", "no URL"),
    ("curl --frobnicate http://x/", "unsupported curl option --frobnicate"),
    ("curl -H 'NoColon' http://x/", "Name: value"),
])
def test_parse_errors_are_user_errors(text: str, message: str) -> None:
    with pytest.raises(CurlParseError, match=message.replace("(", r"\(")):
        parse_curl(text)


def test_copy_as_curl_round_trips() -> None:
    form = HttpForm("PATCH", "/items/1?x=a b", (("X-Token", "t'1"),), '{"v": "it\'s"}', "application/json")
    command = to_curl(form)
    assert command.startswith("curl -X PATCH 'http://localhost:8787/items/1?x=a b'")
    back = parse_curl(command)
    assert (back.method, back.url, back.headers, back.body, back.content_type) == (
        form.method, form.url, form.headers, form.body, form.content_type)


def test_copy_as_curl_plain_get() -> None:
    assert to_curl(HttpForm()) == "curl http://localhost:8787/"


# -- form validation ---------------------------------------------------------------------------


def test_http_form_becomes_request_with_content_type() -> None:
    request = to_http_request(HttpForm("post", "items", (("X-A", "1"), ("", "")), "{}", "application/json"))
    assert request.method == "POST" and request.url == "http://localhost/items"
    assert request.headers == (("X-A", "1"), ("content-type", "application/json"))
    assert request.body == b"{}"


@pytest.mark.parametrize("form, message", [
    (HttpForm("GE T", "/"), "not an HTTP method"),
    (HttpForm("GET", "/a b"), "must not contain spaces"),
    (HttpForm("GET", "/", (("Bad Header", "x"),)), "not a valid header name"),
    (CronForm("61 * * * *", 0), "not a valid cron"),
    (EventForm("", "{}"), "needs a name"),
    (EventForm("signup", '{"id": 1,}'), "payload is not valid JSON"),
    (RunForm("[1, 2"), "input is not valid JSON"),
])
def test_invalid_forms_are_refused_with_a_message(form: Any, message: str) -> None:
    with pytest.raises(SimulatorInputError, match=message):
        to_trigger(form)


def test_a_get_with_a_leftover_body_is_sent_without_it_and_says_so() -> None:
    form = HttpForm("GET", "/items", (), '{"left": "over"}', "application/json")
    request = to_trigger(form)
    assert isinstance(request, HttpRequest) and request.method == "GET"
    assert request.body == b"" and not any(n.lower() == "content-type" for n, _ in request.headers)
    assert "without the body" in body_note(form)
    assert body_note(HttpForm("POST", "/items", (), "{}")) == "" and body_note(HttpForm("HEAD", "/", (), "x"))


def test_valid_trigger_forms() -> None:
    assert to_trigger(CronForm("*/5 * * * *", 1700000000.0)) == ScheduledTrigger("*/5 * * * *", 1700000000.0)
    assert to_trigger(EventForm(" signup ", '{"id": 1}')) == EventTrigger("signup", {"id": 1})
    assert to_trigger(RunForm("")) == RunTrigger(None)


def test_saved_requests_replace_by_name_and_survive_json() -> None:
    saved = SavedRequests().with_saved(HttpForm(url="/a", name="one")).with_saved(HttpForm(url="/b", name="two"))
    saved = saved.with_saved(HttpForm(url="/c", name="one"))
    assert [(r.name, r.url) for r in saved.requests] == [("two", "/b"), ("one", "/c")]
    assert SavedRequests.from_json(json.loads(json.dumps(saved.to_json()))) == saved


# -- controller with a fake view -----------------------------------------------------------------


class FakeSimulatorView:
    """Records what the controller shows; answers its questions from attributes."""

    def __init__(self) -> None:
        self.form: Any = HttpForm()
        self.http_form: HttpForm | None = None
        self.history: list[str] = []
        self.saved: list[str] = []
        self.crons: tuple[str, ...] = ()
        self.error = ""
        self.clipboard = ""
        self.name_answer: str | None = "mine"

    def current_form(self) -> Any:
        return self.form

    def set_http_form(self, form: HttpForm) -> None:
        self.http_form = form

    def set_history(self, titles: list[str]) -> None:
        self.history = titles

    def set_saved(self, names: list[str]) -> None:
        self.saved = names

    def set_cron_schedules(self, crons: tuple[str, ...]) -> None:
        self.crons = crons

    def show_input_error(self, message: str) -> None:
        self.error = message

    def copy_to_clipboard(self, text: str) -> None:
        self.clipboard = text

    def ask_request_name(self, default: str) -> str | None:
        return self.name_answer


@pytest.fixture
def simulator(qtbot: Any, tmp_path: Path) -> Any:
    files = FileService()
    controller = SimulatorController(FakeSimulatorView(), files, FutureBridge())
    yield controller
    files.shutdown()


def test_controller_runs_valid_forms_and_records_history(qtbot: Any, simulator: Any) -> None:
    view = simulator.view
    view.form = HttpForm("GET", "/x")
    with qtbot.waitSignal(simulator.sig_run_requested, timeout=1000) as blocker:
        assert simulator.run_current()
    assert isinstance(blocker.args[0], RunRequested) and blocker.args[0].trigger.url == "http://localhost/x"
    assert view.history == ["GET /x"] and view.error == ""
    simulator.send(HttpForm("POST", "/y", body="1"))
    assert view.history == ["POST /y", "GET /x"]
    simulator.load_history(1)
    assert view.http_form == HttpForm("GET", "/x")


def test_controller_refuses_invalid_forms_without_running(qtbot: Any, simulator: Any) -> None:
    runs: list[Any] = []
    simulator.sig_run_requested.connect(runs.append)
    assert not simulator.send(EventForm("ping", "{oops"))
    assert "not valid JSON" in simulator.view.error and runs == []


def test_controller_saves_requests_to_the_project_file(qtbot: Any, simulator: Any, tmp_path: Path) -> None:
    (tmp_path / ".isoplay").mkdir()
    (tmp_path / ".isoplay" / "requests.json").write_text(json.dumps({"requests": [{"name": "old", "url": "/o"}]}))
    simulator.set_project(tmp_path, ("0 * * * *",))
    qtbot.waitUntil(lambda: simulator.view.saved == ["old"], timeout=2000)
    assert simulator.view.crons == ("0 * * * *",)
    simulator.save_request(HttpForm("DELETE", "/k"))
    path = tmp_path / ".isoplay" / "requests.json"
    qtbot.waitUntil(lambda: "mine" in path.read_text(), timeout=2000)
    stored = json.loads(path.read_text())["requests"]
    assert [(r["name"], r["method"]) for r in stored] == [("old", "GET"), ("mine", "DELETE")]
    simulator.load_saved("mine")
    assert simulator.view.http_form.url == "/k"


def test_controller_curl_copy_and_import(simulator: Any) -> None:
    assert simulator.copy_as_curl(HttpForm("POST", "/p", body="x", content_type="text/plain")) == simulator.view.clipboard
    assert "--data-raw x" in simulator.view.clipboard
    assert not simulator.import_curl("curl 'unterminated")
    assert "cannot read" in simulator.view.error
    assert simulator.import_curl("curl -X DELETE localhost:8787/items/2")
    assert simulator.view.http_form == HttpForm("DELETE", "/items/2") and simulator.view.error == ""


def test_cf_overrides_carry_only_changed_fields_and_must_be_an_object() -> None:
    from app.panels.simulator.cf_editor import cf_overrides, cf_text
    from runtime.webapi.cf import LOCAL_CF

    assert cf_overrides(json.dumps(LOCAL_CF)) == ""
    assert cf_overrides("") == ""
    assert json.loads(cf_overrides(json.dumps(dict(LOCAL_CF, country="JP")))) == {"country": "JP"}
    assert json.loads(cf_text('{"country": "JP"}')) == dict(LOCAL_CF, country="JP")
    assert cf_overrides("[1, 2]") == "[1, 2]"  # not an object: kept, and refused when sent
    with pytest.raises(SimulatorInputError, match="must be a JSON object"):
        to_http_request(HttpForm("GET", "/", cf="[1, 2]"))
    request = to_http_request(HttpForm("GET", "/", cf='{"asn": 13335}'))
    assert request.cf == {"asn": 13335}
    assert to_http_request(HttpForm("GET", "/")).cf is None
