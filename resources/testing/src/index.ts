// The isoplay test harness, loaded into a test isolate after the prelude.
// It exposes `globalThis.__isoplay_test`: the `vitest` and `cloudflare:test`
// modules (the test bundle imports them through small shims) and the `run`
// handler Python drives the file with (runtime/testing/session.py):
//   {op: "list"}       -> the tests the file declared (with their declaration stacks)
//   {op: "beforeAll"}  -> runs every suite's beforeAll hooks, in declaration order
//   {op: "test", id, snapshots, snapshotMode}
//                      -> runs one test with its beforeEach / afterEach hooks, comparing its
//                         toMatchSnapshot values against `snapshots` (see snapshot.ts)
//   {op: "afterAll"}   -> runs afterAll hooks (innermost suite first) and beforeAll teardowns
// Each op is one invocation; errors come back serialised (name, message, stack, diff).

import * as suite from "./suite";
import { assert, assertionCountError, chai, expect, resetExpectState, setCurrentTask, type TaskRef } from "./expect";
import { setEnvRef, vi } from "./vi";
import { beginSnapshots, endSnapshots } from "./snapshot";
import * as mocks from "./mocks";
import * as cf from "./cloudflare";
import { printDiffOrStringify } from "@vitest/utils/diff";
import { stringify } from "@vitest/utils/display";

const green = (s: string) => `\x1b[32m${s}\x1b[39m`;
const red = (s: string) => `\x1b[31m${s}\x1b[39m`;
const dim = (s: string) => `\x1b[2m${s}\x1b[22m`;
const DIFF_OPTIONS = {
  aColor: green, bColor: red, commonColor: dim, changeColor: (s: string) => `\x1b[7m${s}\x1b[27m`,
  patchColor: (s: string) => `\x1b[33m${s}\x1b[39m`, expand: false,
};

interface SerializedError { name: string; message: string; stack: string; diff: string | null }

function serialize(e: unknown): SerializedError {
  if (!(e instanceof Error) && !(e && typeof e === "object" && "message" in (e as object))) {
    return { name: "Error", message: typeof e === "string" ? e : safeStringify(e), stack: "", diff: null };
  }
  const err = e as Error & { actual?: unknown; expected?: unknown; showDiff?: boolean };
  let diff: string | null = null;
  if (err.showDiff !== false && err.expected !== undefined && "actual" in err) {
    try { diff = printDiffOrStringify(err.actual, err.expected, DIFF_OPTIONS as any) ?? null; } catch { diff = null; }
  }
  let stack = String(err.stack ?? "");
  const cause = (err as { cause?: unknown }).cause;
  if (cause instanceof Error && cause.stack) stack += `\nCaused by: ${cause.stack}`;
  return { name: String(err.name ?? "Error"), message: String(err.message ?? ""), stack, diff };
}

function safeStringify(v: unknown): string {
  try { return stringify(v); } catch { return String(v); }
}

const SKIP = Symbol("skip");
const teardowns: (() => unknown)[] = [];

async function runBeforeAll(): Promise<SerializedError[]> {
  const errors: SerializedError[] = [];
  for (const s of suite.suitesInOrder()) {
    for (const h of s.beforeAll) {
      try {
        const r = await h(s);
        if (typeof r === "function") teardowns.unshift(r as () => unknown);
      } catch (e) { errors.push(serialize(e)); }
    }
  }
  await settleBackground(errors);
  return errors;
}

async function runAfterAll(): Promise<SerializedError[]> {
  const errors: SerializedError[] = [];
  for (const s of suite.suitesInOrder().reverse()) {
    for (const h of s.afterAll) { try { await h(s); } catch (e) { errors.push(serialize(e)); } }
  }
  for (const t of teardowns.splice(0)) { try { await t(); } catch (e) { errors.push(serialize(e)); } }
  await settleBackground(errors);
  return errors;
}

async function settleBackground(errors: SerializedError[]): Promise<void> {
  while (cf.backgroundWork.length) {
    const batch = cf.backgroundWork.splice(0);
    const results = await Promise.allSettled(batch);
    for (const r of results) if (r.status === "rejected") errors.push(serialize(r.reason));
  }
}

async function runTest(id: number, snapshots?: unknown, snapshotMode?: unknown) {
  const t = suite.getTest(id);
  const name = suite.fullName(t);
  beginSnapshots(name, snapshots, snapshotMode);
  const task: TaskRef = { type: "test", name: t.name, fullTestName: name, promises: [] };
  setCurrentTask(task);
  resetExpectState(name);
  const errors: unknown[] = [];
  const cleanups: (() => unknown)[] = [];
  const finished: (() => unknown)[] = [];
  let skipped = false;
  const context = {
    task: { id: String(id), name: t.name, fullName: name, type: "test" },
    expect,
    skip(cond?: unknown) { if (cond === undefined || cond) throw SKIP; },
    onTestFinished(fn: () => unknown) { finished.push(fn); },
    onTestFailed(fn: () => unknown) { finished.push(() => (errors.length ? fn() : undefined)); },
    signal: new AbortController().signal,
  };
  const chain = suite.chain(t);
  try {
    for (const s of chain) {
      for (const h of s.beforeEach) {
        const r = await h(context);
        if (typeof r === "function") cleanups.unshift(r as () => unknown);
      }
    }
    await t.fn!(context);
    if (task.promises?.length) await Promise.all(task.promises);
    const countError = assertionCountError();
    if (countError) throw countError;
  } catch (e) {
    if (e === SKIP) skipped = true; else errors.push(e);
  }
  for (const c of cleanups) { try { await c(); } catch (e) { errors.push(e); } }
  for (const s of [...chain].reverse()) {
    for (const h of s.afterEach) { try { await h(context); } catch (e) { errors.push(e); } }
  }
  for (const f of finished) { try { await f(); } catch (e) { errors.push(e); } }
  const background: SerializedError[] = [];
  await settleBackground(background);
  setCurrentTask(null);
  let out = errors.map(serialize).concat(background);
  if (t.fails && !skipped) {
    out = out.length ? [] : [serialize(new Error("Expect test to fail (it.fails), but it passed"))];
  }
  return { status: skipped ? "skip" : out.length ? "fail" : "pass", errors: out, snapshots: endSnapshots() };
}

const handlers = {
  async run(input: { op: string; id?: number; snapshots?: unknown; snapshotMode?: unknown }, env: Record<string, unknown>) {
    cf.fillEnv(env);
    setEnvRef(cf.env);
    switch (input?.op) {
      case "list": await mocks.settle(); return { tests: suite.list() };
      case "beforeAll": return { errors: await runBeforeAll() };
      case "afterAll": return { errors: await runAfterAll() };
      case "test": return runTest(Number(input.id), input.snapshots, input.snapshotMode);
      default: throw new Error(`unknown test harness op ${JSON.stringify(input)}`);
    }
  },
};

const vitest = {
  describe: suite.describe, suite: suite.describe, it: suite.it, test: suite.it,
  beforeAll: suite.beforeAll, afterAll: suite.afterAll, beforeEach: suite.beforeEach, afterEach: suite.afterEach,
  expect, assert, chai, vi, vitest: vi,
  onTestFinished() { throw new Error("onTestFinished(): use the test context's onTestFinished (it('...', ({ onTestFinished }) => ...))"); },
};

Object.defineProperty(globalThis, "__isoplay_test", {
  value: Object.freeze({ vitest, cloudflare: cf, handlers, mocks: Object.freeze({ paths: mocks.setPaths, bind: mocks.bind, commonJs: mocks.commonJs }) }),
  enumerable: false, writable: false, configurable: false,
});
