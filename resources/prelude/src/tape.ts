// Record and replay of the values that arise inside the isolate (runtime/replay/).
//
// Host ops (KV, fetch, cache, crypto) are recorded by the host, which answers them.
// The rest of what makes an invocation nondeterministic is read here, in the prelude:
// the clock (Date.now, new Date(), performance.now, timer deadlines, log stamps, via
// clock.ts), random bytes (crypto.getRandomValues / randomUUID / keys, via
// web/crypto/random.ts) and Math.random. In record mode each reading is appended to a
// tape that leaves with the crossing's State; in replay mode each reading is taken from
// the tape the host handed in for this crossing, and a reading the tape does not have
// (or of another kind) stops the replay with a ReplayDivergence naming both.
//
// Off (the default), each reading costs one integer comparison.

const realDate = Date;
const realDateNow = Date.now;
const realRandom = Math.random;

export type TapeEntry = [kind: string, value: unknown];

/** Readings one crossing records at most: past it (a loop reading the clock) the tape stops and is
 * marked cut, and a replay goes on with live values from there (tape.ts's lenient mode). */
const TAPE_LIMIT = 20_000;

/** 0 off, 1 record, 2 replay. */
export let tapeMode = 0;
let recorded: TapeEntry[] = [];
let overflow = false;
let feed: TapeEntry[] = [];
let feedAt = 0;
let lenient = false; // replay a tape cut short by a limit: live values once it runs out
let divergence: { what: string; stack: string } | null = null;

const KIND_NAMES: Record<string, string> = {
  c: "a clock reading (Date.now)", p: "a clock reading (performance.now)", m: "Math.random()", r: "random bytes",
};

function describeEntry(e: TapeEntry): string {
  if (e[0] === "r") return `${Math.floor((String(e[1]).length * 3) / 4)} random bytes`;
  return `${KIND_NAMES[e[0]] ?? e[0]} = ${JSON.stringify(e[1])}`;
}

/** Stop the replay: the code asked for something the recording does not have here. */
export function diverge(what: string): never {
  const err = new Error(what);
  err.name = "ReplayDivergence";
  if (divergence === null) divergence = { what, stack: String(err.stack ?? "") };
  throw err;
}

/** Record `value` (record mode) and return it. */
export function tapeRecord<T>(kind: string, value: T): T {
  if (recorded.length < TAPE_LIMIT) recorded.push([kind, value]);
  else overflow = true;
  return value;
}

/** The next recorded value, which must be of `kind`; `asked` says what the code asked for.
 * Returns undefined in lenient mode once the tape has run out (the caller reads a live value). */
export function tapeTake(kind: string, asked: string): unknown {
  if (feedAt >= feed.length) {
    if (lenient) return undefined;
    diverge(`the recording has no further value here; the code asked for ${asked}`);
  }
  const e = feed[feedAt]!;
  if (e[0] === "cut") { lenient = true; feedAt = feed.length; return undefined; }
  if (e[0] !== kind) diverge(`the recording has ${describeEntry(e)} here; the code asked for ${asked}`);
  feedAt++;
  return e[1];
}

/** A clock reading of `kind` ("c" epoch ms, "p" performance.now) through the tape. */
export function tapeClock(kind: string, live: () => number): number {
  if (tapeMode === 1) return tapeRecord(kind, live());
  const v = tapeTake(kind, KIND_NAMES[kind]!);
  return v === undefined ? live() : Number(v);
}

// ---- the script's own clock and Math.random --------------------------------------
// Date.now, `new Date()` and Math.random are V8 builtins the prelude does not otherwise
// use; they are swapped for taped ones only while a tape runs (a script that kept a
// reference to the original `Date` before then creates untaped `new Date()`s).
const tapedDateNow = function now(): number { return tapeClock("c", realDateNow); };
const TapedDate = new Proxy(realDate, {
  construct(target, args, newTarget) {
    return Reflect.construct(target, args.length === 0 ? [tapeClock("c", realDateNow)] : args, newTarget === TapedDate ? target : newTarget);
  },
  apply(target, _this, args) {
    return args.length === 0 ? String(new target(tapeClock("c", realDateNow))) : Reflect.apply(target, undefined, []);
  },
});
const tapedRandom = function random(): number {
  if (tapeMode === 1) return tapeRecord("m", realRandom());
  const v = tapeTake("m", KIND_NAMES.m!);
  return v === undefined ? realRandom() : Number(v);
};

function swapGlobals(on: boolean): void {
  const g = globalThis as Record<string, unknown>;
  realDate.now = on ? tapedDateNow : realDateNow;
  g.Date = on ? TapedDate : realDate;
  Math.random = on ? tapedRandom : realRandom;
}

/** Set the mode for the crossings that follow (host side: record, or replay with `entries`). */
export function setTape(mode: number, entries: TapeEntry[] | null, tolerant = false): void {
  if ((mode !== 0) !== (tapeMode !== 0)) swapGlobals(mode !== 0);
  tapeMode = mode;
  if (mode === 2) { feed = entries ?? []; feedAt = 0; lenient = tolerant; }
  if (mode !== 1) { recorded = []; overflow = false; }
}

/** What this crossing recorded (record mode), emptied; a tape cut at TAPE_LIMIT ends with ["cut", n]. */
export function takeTape(): TapeEntry[] | null {
  if (recorded.length === 0) return null;
  const out = recorded;
  recorded = [];
  if (overflow) { out.push(["cut", TAPE_LIMIT]); overflow = false; }
  return out;
}

/** The first divergence seen since the last call, cleared. */
export function takeDivergence(): { what: string; stack: string } | null {
  const d = divergence;
  divergence = null;
  return d;
}

/** Epoch ms for the prelude's own bookkeeping (batch budgets): never taped. */
export const hostNow = realDateNow;
