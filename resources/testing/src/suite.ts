// The test tree a file declares (describe / it / hooks) and how one test runs.
// Collection happens while the test bundle's top level runs; Python then asks
// for the list, runs the file's beforeAll hooks once, and runs each test in its
// own invocation (runtime/testing/session.py), so KV can be restored between them.

import { format } from "@vitest/utils/display";

export type Fn = (...args: any[]) => unknown;
export type Mode = "run" | "skip" | "todo" | "only";

export interface Suite {
  kind: "suite"; name: string; parent: Suite | null; mode: Mode; children: (Suite | Test)[];
  beforeAll: Fn[]; afterAll: Fn[]; beforeEach: Fn[]; afterEach: Fn[];
}
export interface Test {
  kind: "test"; id: number; name: string; suite: Suite; fn: Fn | null; mode: Mode;
  timeout: number | null; stack: string; fails: boolean;
}

export const root: Suite = newSuite("", null, "run");
let current: Suite = root;
const tests: Test[] = [];
let collecting = true;

function newSuite(name: string, parent: Suite | null, mode: Mode): Suite {
  return { kind: "suite", name, parent, mode, children: [], beforeAll: [], afterAll: [], beforeEach: [], afterEach: [] };
}

/** Where a declaration sits: the caller's stack, mapped to TypeScript by Python. */
function callerStack(): string {
  const holder: { stack?: string } = {};
  (Error as any).captureStackTrace?.(holder, callerStack);
  return holder.stack ?? String(new Error().stack ?? "");
}

function notCollecting(what: string): never {
  throw new Error(`${what}() was called inside a test; declare tests and hooks at the top level or inside describe()`);
}

// ---- declaring ------------------------------------------------------------
type Options = { timeout?: number; skip?: boolean; only?: boolean; todo?: boolean; fails?: boolean } | number | undefined;

function splitArgs(a: unknown, b: unknown): [Fn | null, Options] {
  if (typeof a === "function") return [a as Fn, b as Options];
  if (typeof b === "function") return [b as Fn, a as Options];
  return [null, a as Options];
}

function declareSuite(mode: Mode, name: unknown, a?: unknown, b?: unknown): void {
  if (!collecting) notCollecting("describe");
  const [fn, opts] = splitArgs(a, b);
  const o = typeof opts === "object" && opts ? opts : {};
  const m: Mode = o.skip ? "skip" : o.only ? "only" : o.todo ? "todo" : mode;
  const suite = newSuite(nameOf(name), current, fn ? m : "todo");
  current.children.push(suite);
  if (!fn) return;
  const parent = current;
  current = suite;
  try {
    const ret = fn();
    if (ret && typeof (ret as Promise<unknown>).then === "function") {
      throw new Error(`describe("${suite.name}") callback returned a promise; describe callbacks must be synchronous`);
    }
  } finally { current = parent; }
}

function declareTest(mode: Mode, name: unknown, a?: unknown, b?: unknown, stack?: string): void {
  if (!collecting) notCollecting("it");
  const [fn, opts] = splitArgs(a, b);
  const o = typeof opts === "object" && opts ? opts : {};
  const timeout = typeof opts === "number" ? opts : typeof o.timeout === "number" ? o.timeout : null;
  const m: Mode = o.skip ? "skip" : o.only ? "only" : o.todo ? "todo" : fn ? mode : "todo";
  const t: Test = { kind: "test", id: tests.length, name: nameOf(name), suite: current, fn, mode: m, timeout,
    stack: stack ?? callerStack(), fails: !!o.fails };
  tests.push(t);
  current.children.push(t);
}

function nameOf(name: unknown): string {
  if (typeof name === "function") return (name as Fn).name || "<anonymous>";
  return String(name);
}

/** it.each / describe.each: printf-style names (%s %d %i %j %o %#) and $property for object rows. */
function each(declare: (mode: Mode, name: unknown, a?: unknown, b?: unknown, stack?: string) => void, mode: Mode) {
  return (table: unknown, ...rest: unknown[]) => {
    let rows: unknown[];
    if (Array.isArray(table) && Array.isArray((table as any).raw)) rows = templateRows(table as unknown as TemplateStringsArray, rest);
    else rows = Array.isArray(table) ? table : [table];
    const stack = callerStack();
    return (name: unknown, a?: unknown, b?: unknown) => {
      const [fn, opts] = splitArgs(a, b);
      rows.forEach((row, i) => {
        const args = Array.isArray(row) ? row : [row];
        let title = String(nameOf(name)).replace(/%#/g, String(i)).replace(/%\$/g, String(i + 1));
        if (row && typeof row === "object" && !Array.isArray(row)) {
          title = title.replace(/\$([\w.]+)/g, (_m, path: string) => {
            let v: any = row;
            for (const k of path.split(".")) v = v?.[k];
            return typeof v === "string" ? v : format(["%o", v]);
          });
          if (/%[sdifjoOc]/.test(title)) title = format([title, row]);
        } else if (/%[sdifjoOc]/.test(title)) {
          const count = (title.match(/%[sdifjoOc]/g) ?? []).length;
          title = format([title, ...args.slice(0, count)]);
        }
        const call = fn ? (...ctx: unknown[]) => (fn as Fn)(...args, ...ctx) : undefined;
        if (declare === declareTest) declareTest(mode, title, call, opts, stack);
        else declareSuite(mode, title, call, opts);
      });
    };
  };
}

function templateRows(strings: TemplateStringsArray, values: unknown[]): unknown[] {
  const header = strings.join("").split("|").map((s) => s.trim()).filter(Boolean);
  const rows: unknown[] = [];
  for (let i = 0; i + header.length <= values.length; i += header.length) {
    const row: Record<string, unknown> = {};
    header.forEach((h, j) => { row[h] = values[i + j]; });
    rows.push(row);
  }
  return rows;
}

type Declarer = ((name: unknown, a?: unknown, b?: unknown) => void) & Record<string, any>;

function declarer(declare: typeof declareTest | typeof declareSuite): Declarer {
  const base = ((name: unknown, a?: unknown, b?: unknown) => declare("run", name, a, b)) as Declarer;
  base.only = (name: unknown, a?: unknown, b?: unknown) => declare("only", name, a, b);
  base.skip = (name: unknown, a?: unknown, b?: unknown) => declare("skip", name, a, b);
  base.todo = (name: unknown) => declare("todo", name);
  base.each = each(declare, "run");
  base.only.each = each(declare, "only");
  base.skip.each = each(declare, "skip");
  base.skipIf = (cond: unknown) => (cond ? base.skip : base);
  base.runIf = (cond: unknown) => (cond ? base : base.skip);
  base.concurrent = base;
  base.sequential = base;
  base.fails = (name: unknown, a?: unknown, b?: unknown) => {
    const [fn, opts] = splitArgs(a, b);
    const o = typeof opts === "number" ? { timeout: opts } : { ...(opts ?? {}) };
    declare("run", name, { ...o, fails: true }, fn);
  };
  return base;
}

export const it = declarer(declareTest);
export const describe = declarer(declareSuite);

function hook(kind: "beforeAll" | "afterAll" | "beforeEach" | "afterEach") {
  return (fn: Fn) => {
    if (!collecting) notCollecting(kind);
    if (typeof fn !== "function") throw new TypeError(`${kind}() takes a function`);
    current[kind].push(fn);
  };
}
export const beforeAll = hook("beforeAll");
export const afterAll = hook("afterAll");
export const beforeEach = hook("beforeEach");
export const afterEach = hook("afterEach");

// ---- what Python sees -------------------------------------------------------
function path(s: Suite): string[] {
  const out: string[] = [];
  for (let x: Suite | null = s; x && x.parent; x = x.parent) out.unshift(x.name);
  return out;
}

function effectiveMode(t: Test, onlyMode: boolean): Mode {
  let m: Mode = t.mode;
  let anyOnly = t.mode === "only";
  for (let s: Suite | null = t.suite; s; s = s.parent) {
    if (s.mode === "skip" || s.mode === "todo") return s.mode;
    if (s.mode === "only") anyOnly = true;
  }
  if (m === "skip" || m === "todo") return m;
  if (onlyMode && !anyOnly) return "skip";
  return "run";
}

export interface TestInfo { id: number; name: string; path: string[]; mode: Mode; timeout: number | null; stack: string }

export function list(): TestInfo[] {
  collecting = false;
  const onlyMode = tests.some((t) => t.mode === "only") || anySuiteOnly(root);
  return tests.map((t) => ({ id: t.id, name: t.name, path: path(t.suite), mode: effectiveMode(t, onlyMode),
    timeout: t.timeout, stack: t.stack }));
}

function anySuiteOnly(s: Suite): boolean {
  return s.children.some((c) => c.kind === "suite" && (c.mode === "only" || anySuiteOnly(c)));
}

export function getTest(id: number): Test {
  const t = tests[id];
  if (!t) throw new Error(`no test ${id}`);
  return t;
}

export function suitesInOrder(): Suite[] {
  const out: Suite[] = [];
  const walk = (s: Suite) => { out.push(s); for (const c of s.children) if (c.kind === "suite") walk(c); };
  walk(root);
  return out;
}

export function chain(t: Test): Suite[] {
  const out: Suite[] = [];
  for (let s: Suite | null = t.suite; s; s = s.parent) out.unshift(s);
  return out;
}

export function fullName(t: Test): string {
  return [...path(t.suite), t.name].join(" > ");
}
