"""The log shipper on a real SQLite log store: events published without a reader are made off the request
path, and only the ones the history keeps (the newest ``buffer`` of an app per round) are held and made at all."""

from __future__ import annotations

import json
from pathlib import Path

from runtime.invocation import HttpRequest, InvocationResult, LogEntry
from runtime.server.logs import LogEvent, LogHub, LogShipper
from runtime.server.logstore import SQLiteLogStore


def _result(status: int, message: str = "") -> InvocationResult:
    logs = (LogEntry("log", message, 1.0),) if message else ()
    return InvocationResult(trigger="fetch", outcome="ok", status=status, duration_ms=1.25, logs=logs)


async def test_a_round_makes_only_the_events_the_history_keeps(tmp_path: Path) -> None:
    hub = LogHub(buffer=50)
    store = SQLiteLogStore(tmp_path / "logs.sqlite3")
    shipper = LogShipper(hub, store, source="test")
    made: list[int] = []

    def maker(i: int, app: str) -> object:
        def make(at: float) -> LogEvent:
            made.append(i)
            return LogEvent.of(app, "1.0.0", HttpRequest(url=f"http://h/r{i}"), _result(200 + i % 3), "n1", at)
        return make

    for i in range(180):
        hub.publish_lazy("busy", maker(i, "busy"))  # type: ignore[arg-type]
    for i in range(3):
        hub.publish_lazy("quiet", maker(1000 + i, "quiet"))  # type: ignore[arg-type]
    assert hub.outbox is not None and len(hub.outbox) == 53  # the newest 50 of "busy" wait; older ones were freed
    await shipper.ship_once(receive=False)

    assert sorted(made) == list(range(130, 180)) + [1000, 1001, 1002]
    assert shipper.lost == 130
    busy = [json.loads(data) for _id, _app, _src, data in store.recent("busy", 1000)]
    assert [e["route"] for e in busy] == [f"/r{i}" for i in range(130, 180)]
    assert [e["status"] for e in busy[:3]] == [201, 202, 200]
    assert all(e["node"] == "n1" and e["duration_ms"] == 1.25 and e["version"] == "1.0.0" for e in busy)
    times = [e["time"] for e in busy]
    assert times == sorted(times) and times[0] > 1e9  # the finish time taken when published, not when made
    assert len(store.recent("quiet", 1000)) == 3
    store.close()


async def test_a_stored_event_with_a_lone_surrogate_falls_back_to_json(tmp_path: Path) -> None:
    hub = LogHub(buffer=10)
    store = SQLiteLogStore(tmp_path / "logs.sqlite3")
    shipper = LogShipper(hub, store, source="test")
    event = LogEvent.of("app", "1.0.0", HttpRequest(url="http://h/x"), _result(200, "half \ud800 pair"), "n1")
    hub.publish(event)
    await shipper.ship_once(receive=False)
    [(_id, _app, _src, data)] = store.recent("app", 10)
    assert json.loads(data)["logs"][0]["message"] == "half \ud800 pair"
    assert shipper.lost == 0
    store.close()


async def test_publish_result_stores_the_event_of_would_make(tmp_path: Path) -> None:
    """The request path keeps an invocation's parts, not its trigger and result; what is stored is the
    same event LogEvent.of makes (route from the URL, console lines, error summary and stack)."""
    from runtime.invocation import ErrorInfo, SocketTrigger
    from runtime.sourcemap import StackFrame

    hub = LogHub(buffer=10)
    store = SQLiteLogStore(tmp_path / "logs.sqlite3")
    shipper = LogShipper(hub, store, source="test")
    failed = InvocationResult(trigger="fetch", outcome="error", status=500, duration_ms=2.5,
                              logs=(LogEntry("warn", "careful", 5.0),),
                              error=ErrorInfo("TypeError", "x is undefined", "TypeError: x\n    at src/a.ts:3:7",
                                              (StackFrame("f", "src/a.ts", 3, 7),)))
    cases = [(HttpRequest(method="POST", url="http://h/p/q?x=1#f"), failed),
             (HttpRequest(url="http://h"), _result(204)),
             (SocketTrigger(socket=3, type="message", data="hi", path="/ws"), _result(200))]
    for trigger, result in cases:
        hub.publish_result("app", "2.0.0", trigger, result, "n2")
    await shipper.ship_once(receive=False)
    stored = [json.loads(data) for _id, _app, _src, data in store.recent("app", 10)]
    assert len(stored) == 3 and shipper.lost == 0
    expected = [LogEvent.of("app", "2.0.0", t, r, "n2", at=e["time"]).to_json() for (t, r), e in zip(cases, stored)]
    assert stored == expected
    assert [e["route"] for e in stored] == ["/p/q", "/", "/ws"]
    assert [e["method"] for e in stored] == ["POST", "GET", "message"]
    assert stored[0]["error"] == "src/a.ts:3:7: TypeError: x is undefined" and stored[0]["logs"][0]["message"] == "careful"
    store.close()
