// toMatchInlineSnapshot(): compared, never written. isoplay test does not edit
// test files, so a snapshot must already be in the source; file snapshots
// (toMatchSnapshot) are refused with a message saying so.

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
  for (const name of ["toMatchSnapshot", "toMatchFileSnapshot", "toThrowErrorMatchingSnapshot"]) {
    Assertion.addMethod(name, function () {
      throw new Error(`${name}() is not supported by isoplay test (snapshot files are not written); use toMatchInlineSnapshot(\`...\`) or toEqual()`);
    });
  }
}
