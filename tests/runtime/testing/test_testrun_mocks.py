"""vi.mock in isoplay test: hoisted calls, factories (sync and async with importOriginal), automocks,
__mocks__ files, packages, and the errors for what cannot be hoisted; real esbuild and isolates."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from runtime.testing import RunResult, TestRun
from runtime.testing.mocks import find_mock_calls

MANIFEST = 'name = "mocks"\nmain = "src/index.ts"\n'
DB = """export async function getUser(id: string) {
  return { id, name: "real" };
}
export const TABLE = "users";
export default class Db {
  query() { return "real query"; }
}
"""
WORKER = """import Db, { getUser, TABLE } from "./db";
import { nanoid } from "tiny-id";

export default {
  async fetch(request: Request): Promise<Response> {
    const user = await getUser(new URL(request.url).searchParams.get("id") ?? "0");
    return Response.json({ user, table: TABLE, query: new Db().query(), id: nanoid() });
  },
};
"""
FACTORY = """import { describe, expect, it, vi } from "vitest";
import { SELF } from "cloudflare:test";
import { getUser } from "../src/db";

vi.mock("../src/db", () => ({
  getUser: vi.fn(async (id: string) => ({ id, name: "mocked" })),
  TABLE: "mocked table",
  default: class { query() { return "mocked query"; } },
}));

describe("factory", () => {
  it("reaches the worker through SELF", async () => {
    const body = await (await SELF.fetch("https://x/?id=7")).json() as any;
    expect(body.user).toEqual({ id: "7", name: "mocked" });
    expect(body.table).toBe("mocked table");
    expect(body.query).toBe("mocked query");
    expect(vi.mocked(getUser)).toHaveBeenCalledWith("7");
  });
});
"""
PARTIAL = """import { expect, it, vi } from "vitest";
import { SELF } from "cloudflare:test";

vi.mock("../src/db", async (importOriginal) => {
  const actual = await importOriginal<typeof import("../src/db")>();
  return { ...actual, TABLE: "partial" };
});

it("keeps the real exports it spreads", async () => {
  const body = await (await SELF.fetch("https://x/?id=1")).json() as any;
  expect(body.user).toEqual({ id: "1", name: "real" });
  expect(body.table).toBe("partial");
  expect(body.query).toBe("real query");
});
"""
AUTO = """import { expect, it, vi } from "vitest";
import { SELF } from "cloudflare:test";
import { getUser, TABLE } from "../src/db";
import { nanoid } from "tiny-id";

vi.mock("../src/db");
vi.mock("tiny-id", () => ({ nanoid: () => "fixed-id" }));

it("mocks every function and keeps values", async () => {
  expect(vi.isMockFunction(getUser)).toBe(true);
  expect(TABLE).toBe("users");
  vi.mocked(getUser).mockResolvedValue({ id: "x", name: "from the test" });
  const body = await (await SELF.fetch("https://x/?id=1")).json() as any;
  expect(body.user).toEqual({ id: "x", name: "from the test" });
  expect(body.query).toBeUndefined();
  expect(body.id).toBe("fixed-id");
  expect(nanoid()).toBe("fixed-id");
});
"""
PLAIN = """import { expect, it } from "vitest";
import { SELF } from "cloudflare:test";

it("sees the real modules (another file's mocks are its own)", async () => {
  const body = await (await SELF.fetch("https://x/?id=2")).json() as any;
  expect(body.user).toEqual({ id: "2", name: "real" });
  expect(body.id).toBe("real-id");
});
"""
LATE = """import { expect, it, vi } from "vitest";

it("refuses vi.mock inside a test", () => {
  expect(() => vi.mock("../src/db")).toThrow("must be called at the top level");
});
"""
TINY_PKG = {"node_modules/tiny-id/package.json": '{"name": "tiny-id", "version": "1.0.0", "main": "index.js"}',
            "node_modules/tiny-id/index.js": 'exports.nanoid = () => "real-id";\n'}


def _write(root: Path, files: dict[str, str]) -> None:
    for rel, text in files.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text)


@pytest.fixture
def project(tmp_path: Path, tools) -> Path:  # type: ignore[no-untyped-def]
    root = tmp_path / "mocks"
    _write(root, {"isoplay.toml": MANIFEST, "src/db.ts": DB, "src/index.ts": WORKER, **TINY_PKG,
                  "test/factory.test.ts": FACTORY, "test/partial.test.ts": PARTIAL, "test/auto.test.ts": AUTO,
                  "test/plain.test.ts": PLAIN, "test/late.test.ts": LATE})
    return root


def _run(root: Path, **options: object) -> RunResult:
    return asyncio.run(TestRun(root, jobs=2, snapshot_mode="new", **options).run())  # type: ignore[arg-type]


def _failures(result: RunResult) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for f in result.files:
        for e in f.errors:
            out.setdefault(f.file, []).append(e.summary())
        for t in f.tests:
            if t.status == "fail":
                out.setdefault(f"{f.file} > {t.case.full_name}", []).extend(e.summary() for e in t.errors)
    return out


def test_factories_automocks_packages_and_isolation_between_files(project: Path) -> None:
    result = _run(project)
    assert _failures(result) == {}
    assert result.counts()["pass"] == 5
    before = (project / "src" / "db.ts").read_text()
    assert before == DB  # the project is never touched: mocks live in a mirror


def test_positions_and_watch_inputs_name_the_users_files(project: Path) -> None:
    failing = FACTORY.replace('expect(body.table).toBe("mocked table");', 'expect(body.table).toBe("other");')
    _write(project, {"test/factory.test.ts": failing})
    test_run = TestRun(project, jobs=1, snapshot_mode="new", files=[project / "test" / "factory.test.ts"])
    result = asyncio.run(test_run.run())
    err = result.files[0].tests[0].errors[0]
    line = next(i for i, text in enumerate(failing.splitlines(), 1) if 'toBe("other")' in text)
    assert (err.at.file, err.at.line) == ("test/factory.test.ts", line)
    inputs = test_run.inputs[(project / "test" / "factory.test.ts").resolve()]
    assert {"test/factory.test.ts", "src/db.ts", "src/index.ts"} <= inputs
    assert not any("__isoplay" in name or name.startswith("isoplay://") for name in inputs)


def test_an_error_thrown_in_a_factory_points_into_the_test_file(project: Path) -> None:
    broken = FACTORY.replace('TABLE: "mocked table",', 'TABLE: (() => { throw new Error("factory broke"); })(),')
    _write(project, {"test/factory.test.ts": broken})
    result = asyncio.run(TestRun(project, jobs=1, snapshot_mode="new",
                                 files=[project / "test" / "factory.test.ts"]).run())
    errors = result.files[0].errors
    assert errors and "factory broke" in errors[0].message
    line = next(i for i, text in enumerate(broken.splitlines(), 1) if "factory broke" in text)
    assert errors[0].at is not None and (errors[0].at.file, errors[0].at.line) == ("test/factory.test.ts", line)


def test_a_mocks_folder_stands_in_without_a_factory(project: Path) -> None:
    _write(project, {
        "src/__mocks__/db.ts": 'export const getUser = async (id: string) => ({ id, name: "from __mocks__" });\n'
                               'export const TABLE = "mocks folder";\n'
                               'export default class { query() { return "mocks folder query"; } }\n',
        "test/auto.test.ts": """import { expect, it, vi } from "vitest";
import { SELF } from "cloudflare:test";
vi.mock("../src/db");
it("uses src/__mocks__/db.ts", async () => {
  const body = await (await SELF.fetch("https://x/?id=3")).json() as any;
  expect(body).toMatchObject({ user: { id: "3", name: "from __mocks__" }, table: "mocks folder",
                               query: "mocks folder query" });
});
"""})
    result = asyncio.run(TestRun(project, jobs=1, snapshot_mode="new", files=[project / "test" / "auto.test.ts"]).run())
    assert _failures(result) == {}


def test_calls_that_cannot_be_hoisted_fail_their_file_at_the_call(project: Path) -> None:
    _write(project, {
        "test/dynamic.test.ts": 'import { it, vi } from "vitest";\nconst p = "../src/db";\n\n  vi.mock(p);\nit("x", () => {});\n',
        "test/missing.test.ts": 'import { it, vi } from "vitest";\nvi.mock("../src/nope");\nit("x", () => {});\n',
        "test/hoisted.test.ts": 'import { it, vi } from "vitest";\nconst v = vi.hoisted(() => 1);\nit("x", () => {});\n',
    })
    result = _run(project)
    by_file = {f.file: f for f in result.files}
    dynamic = by_file["test/dynamic.test.ts"].errors[0]
    assert "path must be a string literal" in dynamic.message and (dynamic.at.line, dynamic.at.column) == (4, 3)
    missing = by_file["test/missing.test.ts"].errors[0]
    assert "no such module" in missing.message and missing.at.line == 2
    assert "vi.hoisted() is not supported" in by_file["test/hoisted.test.ts"].errors[0].message
    assert by_file["test/factory.test.ts"].ok  # the other files still build and pass


def test_the_scanner_skips_strings_comments_templates_and_regexes() -> None:
    source = (
        'const s = "vi.mock(\\"a\\")"; // vi.mock("b")\n'
        "/* vi.mock('c') */ const r = /vi\\.mock\\(\"d\"\\)/g;\n"
        "const t = `${'vi.mock(\"e\")'}`;\n"
        'vi.mock("./real", () => ({ f: () => ")" }));\n'
        'describe("x", () => { vi.mock("./nested"); });\n'
    )
    calls = find_mock_calls(source)
    assert [(c.specifier, c.line) for c in calls] == [("./real", 4)]
    assert source[calls[0].start:calls[0].end] == 'vi.mock("./real", () => ({ f: () => ")" }));'
