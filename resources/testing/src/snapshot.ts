// Snapshots as vitest has them.
// - toMatchSnapshot() / toThrowErrorMatchingSnapshot(): compared here against the
//   entries of the test file's __snapshots__/*.snap that Python sends with each
//   test (runtime/testing/snapshots.py); new and updated entries go back in the
//   test's result and Python writes the file. Keys are vitest's: the test's full
//   name (" > hint" appended) and a counter.
// - toMatchFileSnapshot(path): recorded here, compared by Python after the test
//   (the isolate has no file access).
// - toMatchInlineSnapshot(): compared, never written. isoplay test does not edit
//   test files, so the snapshot must already be in the source.

import { format, plugins } from "@vitest/pretty-format";

const { AsymmetricMatcher, DOMCollection, DOMElement, Immutable } = plugins as Record<string, unknown>;
const SNAPSHOT_OPTIONS = {
  indent: 2, escapeString: false, printBasicPrototype: false, escapeRegex: true,
  plugins: [AsymmetricMatcher, DOMCollection, DOMElement, Immutable].filter(Boolean),
};

/** Serialise as vitest's snapshots do (strings in double quotes, no `Object` prefixes). */
export function serialize(value: unknown): string {
  const text = format(value, SNAPSHOT_OPTIONS as any);
  return text.includes("\n") ? `\n${text}\n` : text;
}

/** An inline snapshot as written in the source, without the indentation of the code around it. */
export function dedent(snapshot: string): string {
  const lines = snapshot.split("\n");
  if (lines.length <= 2) return snapshot;
  if (lines[0].trim() !== "" || lines[lines.length - 1].trim() !== "") return snapshot;
  const body = lines.slice(1, -1);
  const indent = Math.min(...body.filter((l) => l.trim()).map((l) => l.match(/^\s*/)![0].length));
  return `\n${body.map((l) => l.slice(indent)).join("\n")}\n`;
}

type SnapshotMode = "new" | "all" | "none";

interface SnapshotState {
  testName: string;
  expected: Record<string, string>;
  mode: SnapshotMode;
  counters: Map<string, number>;
  checked: string[];
  written: Record<string, string>;
  updated: Record<string, string>;
  failed: number;
  files: { path: string; content: string; stack: string }[];
}

let state: SnapshotState | null = null;

/** A test starts: the snapshot entries it may compare against, and the run's mode. */
export function beginSnapshots(testName: string, expected: unknown, mode: unknown): void {
  state = {
    testName, expected: expected && typeof expected === "object" ? expected as Record<string, string> : {},
    mode: mode === "all" || mode === "none" ? mode : "new", counters: new Map(), checked: [], written: {},
    updated: {}, failed: 0, files: [],
  };
}

/** The test ended: what its snapshot assertions did (Python writes the files). */
export function endSnapshots() {
  const s = state;
  state = null;
  if (!s) return null;
  return { checked: s.checked, written: s.written, updated: s.updated, failed: s.failed, files: s.files };
}

function current(matcher: string): SnapshotState {
  if (!state) throw new Error(`${matcher}() can only be used inside a test (not in a hook or at the top level)`);
  return state;
}

function matchSnapshot(chai: any, assertion: any, value: unknown, hint: string | undefined, matcher: string): void {
  const s = current(matcher);
  const name = hint ? `${s.testName} > ${hint}` : s.testName;
  const n = (s.counters.get(name) ?? 0) + 1;
  s.counters.set(name, n);
  const key = `${name} ${n}`;
  const received = serialize(value);
  s.checked.push(key);
  const expected = Object.prototype.hasOwnProperty.call(s.expected, key) ? s.expected[key] : undefined;
  if (expected === undefined) {
    if (s.mode === "none") {
      s.failed++;
      throw new chai.AssertionError(`Snapshot \`${key}\` is missing: on CI (the CI variable is set) isoplay test ` +
        "writes no snapshots; run it locally and commit the .snap file");
    }
    s.written[key] = received;
    return;
  }
  if (expected.trim() === received.trim()) return;
  if (s.mode === "all") {
    s.updated[key] = received;
    return;
  }
  s.failed++;
  assertion.assert(false, `Snapshot \`${key}\` mismatched (run isoplay test -u to update it)`, "",
    expected.trim(), received.trim(), true);
}

export function installSnapshotMatchers(chai: any): void {
  const { Assertion } = chai;
  Assertion.addMethod("toMatchInlineSnapshot", function (this: any, ...args: unknown[]) {
    const snapshot = args.find((a) => typeof a === "string") as string | undefined;
    const shape = args.find((a) => a && typeof a === "object");
    if (snapshot === undefined) {
      throw new Error("toMatchInlineSnapshot() needs the expected snapshot written in the test: isoplay test does not write snapshots");
    }
    let value = chai.util.flag(this, "object");
    if (shape) {
      chai.expect(value).toMatchObject(shape);
      value = { ...value };
    }
    const received = serialize(value);
    const expected = dedent(snapshot);
    this.assert(received.trim() === expected.trim(), "Snapshot mismatched", "Snapshot matched, expected a mismatch",
      expected.trim(), received.trim(), true);
  });
  Assertion.addMethod("toThrowErrorMatchingInlineSnapshot", function (this: any, snapshot?: string) {
    const fn = chai.util.flag(this, "object");
    let message: unknown = undefined;
    try { fn(); } catch (e) { message = e instanceof Error ? e.message : e; }
    if (message === undefined) throw new chai.AssertionError("expected the function to throw");
    chai.expect(message).toMatchInlineSnapshot(snapshot);
  });
  Assertion.addMethod("toMatchSnapshot", function (this: any, shapeOrHint?: unknown, hint?: unknown) {
    const shape = shapeOrHint && typeof shapeOrHint === "object" ? shapeOrHint : undefined;
    const message = typeof shapeOrHint === "string" ? shapeOrHint : typeof hint === "string" ? hint : undefined;
    let value = chai.util.flag(this, "object");
    if (shape) {
      chai.expect(value).toMatchObject(shape);
      value = { ...value };
    }
    matchSnapshot(chai, this, value, message, "toMatchSnapshot");
  });
  Assertion.addMethod("toThrowErrorMatchingSnapshot", function (this: any, hint?: unknown) {
    const fn = chai.util.flag(this, "object");
    let thrown: unknown = undefined;
    let threw = false;
    try { fn(); } catch (e) { thrown = e; threw = true; }
    if (!threw) throw new chai.AssertionError("expected the function to throw");
    matchSnapshot(chai, this, thrown, typeof hint === "string" ? hint : undefined, "toThrowErrorMatchingSnapshot");
  });
  Assertion.addMethod("toMatchFileSnapshot", function (this: any, path: unknown) {
    const s = current("toMatchFileSnapshot");
    if (typeof path !== "string" || !path) throw new TypeError("toMatchFileSnapshot(path): path must be a non-empty string");
    const value = chai.util.flag(this, "object");
    const content = typeof value === "string" ? value : serialize(value);
    s.files.push({ path, content, stack: String(new Error(`toMatchFileSnapshot(${JSON.stringify(path)})`).stack ?? "") });
    return Promise.resolve();
  });
}
