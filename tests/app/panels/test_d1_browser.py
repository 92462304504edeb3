"""D1 browser driven by a real runtime: SQL typed in the panel runs on the project's database file,
scripts' writes show up in the table list, errors and refused SQL say why."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from app.panels.d1 import create_d1_panel
from app.panels.d1.widget import cell_text
from runtime.invocation import HttpRequest

SCRIPT = """
export default {
  async fetch(request: Request, env: any) {
    const name = new URL(request.url).searchParams.get("name") ?? "x";
    await env.DB.prepare("INSERT INTO people (name) VALUES (?)").bind(name).run();
    return new Response("ok");
  },
};
"""
MANIFEST = ('name = "d1b"\nmain = "src/index.ts"\n[[d1_databases]]\nbinding = "DB"\ndatabase_name = "people"\n'
            '[[d1_databases]]\nbinding = "OTHER"\n')


pytestmark = pytest.mark.usefixtures("gui_thread_gc")


@pytest.fixture
def env(running_project: Any) -> Iterator[dict[str, Any]]:
    env = running_project(SCRIPT, MANIFEST, "d1b")
    panel = create_d1_panel(env["parent"], env["thread"], env["bridge"], env["failures"].append)
    env["panel"] = panel
    yield env
    panel.controller.close()


def grid(panel: Any) -> list[list[str]]:
    g = panel.widget.grid
    return [[g.item(r, c).text() for c in range(g.columnCount())] for r in range(g.rowCount())]


def test_sql_runs_on_the_project_database_and_script_writes_show(qtbot: Any, env: dict[str, Any]) -> None:
    panel, runtime, w = env["panel"], env["runtime"], env["panel"].widget
    panel.attach(runtime)
    assert [w.database.itemText(i) for i in range(w.database.count())] == ["DB", "OTHER"]
    assert w.database.currentText() == "DB"
    w.set_sql("CREATE TABLE people (id INTEGER PRIMARY KEY, name TEXT NOT NULL, photo BLOB);\n"
              "INSERT INTO people (name, photo) VALUES ('ada', x'0102'), ('bob', NULL);\n"
              "SELECT * FROM people ORDER BY id")
    w.run_button.click()
    qtbot.waitUntil(lambda: w.status.toolTip().startswith("✓") or w.status.text().startswith("✓"), timeout=5000)
    assert grid(panel) == [["1", "ada", "<blob, 2 bytes>"], ["2", "bob", "NULL"]]
    assert "3 statements · 2 rows · 2 changes" in w.status.text()
    qtbot.waitUntil(lambda: w.table_names() == ["people"], timeout=5000)
    assert w.tables.item(0).text() == "people  (2 rows)"

    # a script writes through the runtime: the list's count follows (after the metrics batch)
    env["thread"].call(runtime.invoke(HttpRequest(url="http://localhost/?name=cy")), 10)
    qtbot.waitUntil(lambda: w.tables.count() == 1 and w.tables.item(0).text() == "people  (3 rows)", timeout=5000)
    w.tables.itemClicked.emit(w.tables.item(0))  # a click browses the table
    qtbot.waitUntil(lambda: len(grid(panel)) == 3, timeout=5000)
    assert w.sql.toPlainText() == 'SELECT * FROM "people" LIMIT 200' and grid(panel)[2][1] == "cy"

    # errors: the grid empties and the status says what SQLite said; a failed run changes nothing
    w.set_sql("INSERT INTO people (name) VALUES ('dan'); INSERT INTO people (nope) VALUES (1)")
    w.run_button.click()
    qtbot.waitUntil(lambda: w.status.text().startswith("✗"), timeout=5000)
    assert "D1_ERROR: table people has no column named nope" in w.status.toolTip() + w.status.text()
    assert w.grid.rowCount() == 0
    w.set_sql("ATTACH DATABASE '/tmp/x.db' AS x")
    w.run_button.click()
    qtbot.waitUntil(lambda: "SQLITE_AUTH" in w.status.toolTip() + w.status.text(), timeout=5000)
    w.set_sql("SELECT count(*) AS n FROM people")
    w.run_button.click()
    qtbot.waitUntil(lambda: grid(panel) == [["3"]], timeout=5000)

    # the other database is another file
    w.database.setCurrentText("OTHER")
    qtbot.waitUntil(lambda: w.table_names() == [], timeout=5000)
    assert env["failures"] == []


def test_a_project_without_d1_says_so(qtbot: Any, running_project: Any) -> None:
    env = running_project(SCRIPT, 'name = "nod1"\nmain = "src/index.ts"\n', "nod1")
    panel = create_d1_panel(env["parent"], env["thread"], env["bridge"], env["failures"].append)
    try:
        panel.attach(env["runtime"])
        assert panel.widget.database.count() == 0 and not panel.widget.run_button.isEnabled()
        assert "no [[d1_databases]]" in panel.widget.status.text() + panel.widget.status.toolTip()
    finally:
        panel.controller.close()


def test_cell_text() -> None:
    assert cell_text(None) == "NULL" and cell_text([1, 2, 3]) == "<blob, 3 bytes>" and cell_text(1.5) == "1.5"
    assert len(cell_text("x" * 500)) == 200
