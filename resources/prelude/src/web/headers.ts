// Headers (Fetch standard): a header list of (lowercased name, value) pairs,
// values combined with ", " on read, iteration over the "sort and combine"
// view with Set-Cookie kept apart (getSetCookie), guards (immutable).
//
// WebIDL behaviour as the Web Platform Tests check it:
// - `HeadersInit` is `sequence<sequence<ByteString>> or record<ByteString,
//   ByteString>`: an object with a Symbol.iterator method is a sequence (any
//   iterable, custom ones included, each item itself an iterable of exactly two
//   ByteStrings); another object is a record (own enumerable keys in
//   [[OwnPropertyKeys]] order, through proxies' traps); anything else,
//   null included, is a TypeError.
// - ByteString: ToString, then a TypeError for any code unit above 0xFF.
// - Iterators are live: each next() reads the current list at its index, so
//   headers added or deleted while iterating are seen (as in browsers/workerd).
import { tag } from "./util";

const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
const BAD_VALUE = /[\0\r\n]/;
const EDGE_WS = /^[\t\n\r ]+|[\t\n\r ]+$/g;
const NOT_LATIN1 = /[^\u0000-\u00ff]/;

export type HeadersInit = Headers | [string, string][] | Record<string, string> | Iterable<Iterable<string>>;
export type Guard = "none" | "immutable";

// A value that needs none of normValue's work: visible ASCII at both ends, spaces and visible
// ASCII between (no whitespace to trim, no NUL/CR/LF, nothing above U+00FF). Most values are.
const PLAIN_VALUE = /^[\x21-\x7e](?:[\x20-\x7e]*[\x21-\x7e])?$/;

/** The prefix of a Headers TypeError: the constructor's, or that of method `op`. Messages are
 * built only when thrown (a template per call cost an allocation on every header). */
const failed = (op: string): string => op === "construct" ? "Failed to construct 'Headers'" : `Failed to execute '${op}' on 'Headers'`;

function byteString(v: unknown, op: string): string {
  const s = typeof v === "string" ? v : String(v as string); // a Symbol throws TypeError, as ToString does
  if (NOT_LATIN1.test(s)) throw new TypeError(`${failed(op)}: "${s}" is not a valid ByteString (a character above U+00FF).`);
  return s;
}

function normName(name: unknown, op: string): string {
  const n = typeof name === "string" ? name : String(name as string);
  if (TOKEN.test(n)) return n.toLowerCase(); // a token is ASCII: a valid ByteString
  byteString(n, op); // above U+00FF: the ByteString error first
  throw new TypeError(`${failed(op)}: Invalid header name: "${n}"`);
}

function normValue(value: unknown, op: string): string {
  if (typeof value === "string" && PLAIN_VALUE.test(value)) return value;
  const v = byteString(value, op).replace(EDGE_WS, "");
  if (BAD_VALUE.test(v)) throw new TypeError(`${failed(op)}: Invalid header value: "${v}"`);
  return v;
}

function needArgs(n: number, got: number, op: string): void {
  if (got < n) throw new TypeError(`Failed to execute '${op}' on 'Headers': ${n} argument${n > 1 ? "s" : ""} required, but only ${got} present.`);
}

const isObject = (v: unknown): v is object => (typeof v === "object" && v !== null) || typeof v === "function";

export class Headers {
  // The header list: names lowercased, in insertion order of first appearance.
  #map = new Map<string, string[]>();
  #guard: Guard = "none";
  #sorted: [string, string][] | null = null; // "sort and combine" cache, dropped on change

  constructor(init?: HeadersInit) {
    if (init === undefined) return;
    if (init instanceof Headers) {
      for (const [k, v] of init.#map) this.#map.set(k, v.slice());
      return;
    }
    if (!isObject(init)) {
      throw new TypeError("Failed to construct 'Headers': The provided value is not of type '(record<ByteString, ByteString> or sequence<sequence<ByteString>>)'.");
    }
    const method = (init as { [Symbol.iterator]?: unknown })[Symbol.iterator];
    if (method !== undefined && method !== null) {
      if (typeof method !== "function") throw new TypeError("Failed to construct 'Headers': The object's Symbol.iterator is not a function.");
      // sequence<sequence<ByteString>>: read the whole sequence first, then append
      const pairs: unknown[][] = [];
      for (const item of { [Symbol.iterator]: () => (method as () => Iterator<unknown>).call(init) }) {
        if (!isObject(item) || typeof (item as { [Symbol.iterator]?: unknown })[Symbol.iterator] !== "function") {
          throw new TypeError("Failed to construct 'Headers': The provided value cannot be converted to a sequence.");
        }
        pairs.push(Array.from(item as Iterable<unknown>, (x) => byteString(x, "construct")));
      }
      for (const pair of pairs) {
        if (pair.length !== 2) throw new TypeError("Failed to construct 'Headers': Invalid value: every header must be a [name, value] pair.");
        this.#append(pair[0], pair[1], "append");
      }
      return;
    }
    // record<ByteString, ByteString>
    const entries: [string, string][] = [];
    for (const key of Reflect.ownKeys(init)) {
      const desc = Reflect.getOwnPropertyDescriptor(init, key);
      if (desc === undefined || !desc.enumerable) continue;
      const k = byteString(key, "construct");
      entries.push([k, byteString((init as Record<PropertyKey, unknown>)[key], "construct")]);
    }
    for (const [k, v] of entries) this.#append(k, v, "append");
  }

  /** @internal An incoming request's headers (immutable, as in Workers), without the
   * generic WebIDL walk of the constructor. */
  static _fromHost(pairs: [string, string][]): Headers {
    const h = new Headers();
    const map = h.#map;
    for (const [name, raw] of pairs) {
      const n = normName(name, "append"), v = normValue(raw, "append");
      const list = map.get(n);
      if (list) list.push(v); else map.set(n, [v]);
    }
    h.#guard = "immutable";
    return h;
  }

  /** @internal Make this object read-only ("immutable" guard). */
  _freeze(): this { this.#guard = "immutable"; return this; }
  #check(): void { if (this.#guard === "immutable") throw new TypeError("Can't modify immutable headers."); }

  #append(name: unknown, value: unknown, op: string): void {
    const n = normName(name, op), v = normValue(value, op);
    this.#check();
    const list = this.#map.get(n);
    if (list) list.push(v); else this.#map.set(n, [v]);
    this.#sorted = null;
  }

  append(name: string, value: string): void {
    needArgs(2, arguments.length, "append");
    this.#append(name, value, "append");
  }
  delete(name: string): void {
    needArgs(1, arguments.length, "delete");
    const n = normName(name, "delete");
    this.#check();
    if (this.#map.delete(n)) this.#sorted = null;
  }
  get(name: string): string | null {
    needArgs(1, arguments.length, "get");
    const list = this.#map.get(normName(name, "get"));
    return list ? list.join(", ") : null;
  }
  getSetCookie(): string[] { return (this.#map.get("set-cookie") ?? []).slice(); }
  /** Workers' non-standard form of getSetCookie. */
  getAll(name: string): string[] {
    needArgs(1, arguments.length, "getAll");
    const n = normName(name, "getAll");
    if (n !== "set-cookie") throw new TypeError('getAll() can only be used with the header name "Set-Cookie".');
    return this.getSetCookie();
  }
  has(name: string): boolean {
    needArgs(1, arguments.length, "has");
    return this.#map.has(normName(name, "has"));
  }
  set(name: string, value: string): void {
    needArgs(2, arguments.length, "set");
    const n = normName(name, "set"), v = normValue(value, "set");
    this.#check();
    this.#map.set(n, [v]);
    this.#sorted = null;
  }

  /** @internal The "sort and combine" view (cached until the next change; do not mutate). */
  _list(): [string, string][] {
    if (this.#sorted) return this.#sorted;
    const out: [string, string][] = [];
    for (const n of [...this.#map.keys()].sort()) {
      const list = this.#map.get(n)!;
      if (n === "set-cookie") for (const v of list) out.push([n, v]);
      else out.push([n, list.join(", ")]);
    }
    this.#sorted = out;
    return out;
  }

  forEach(cb: (value: string, key: string, parent: Headers) => void, thisArg?: unknown): void {
    needArgs(1, arguments.length, "forEach");
    if (typeof cb !== "function") throw new TypeError("Failed to execute 'forEach' on 'Headers': parameter 1 is not of type 'Function'.");
    for (let i = 0; ; i++) {
      const pairs = this._list();
      if (i >= pairs.length) return;
      const [k, v] = pairs[i]!;
      cb.call(thisArg, v, k, this);
    }
  }
  entries(): IterableIterator<[string, string]> { return new HeadersIterator(this, "entries") as unknown as IterableIterator<[string, string]>; }
  keys(): IterableIterator<string> { return new HeadersIterator(this, "keys") as unknown as IterableIterator<string>; }
  values(): IterableIterator<string> { return new HeadersIterator(this, "values") as unknown as IterableIterator<string>; }
  declare [Symbol.iterator]: () => IterableIterator<[string, string]>;
}
tag(Headers, "Headers");
Object.defineProperty(Headers.prototype, Symbol.iterator, {
  value: Headers.prototype.entries, writable: true, configurable: true, enumerable: false,
});

type Kind = "entries" | "keys" | "values";
const IteratorPrototype = Object.getPrototypeOf(Object.getPrototypeOf([][Symbol.iterator]())) as object;

/** WebIDL's default pair iterator: live over the target's current sorted list. */
class HeadersIterator {
  #target: Headers;
  #kind: Kind;
  #index = 0;
  constructor(target: Headers, kind: Kind) { this.#target = target; this.#kind = kind; }
  next(): IteratorResult<unknown> {
    if (!(#target in this)) throw new TypeError("next() called on an object that is not a Headers iterator.");
    const pairs = this.#target._list();
    if (this.#index >= pairs.length) return { value: undefined, done: true };
    const [k, v] = pairs[this.#index++]!;
    return { value: this.#kind === "entries" ? [k, v] : this.#kind === "keys" ? k : v, done: false };
  }
}
Object.setPrototypeOf(HeadersIterator.prototype, IteratorPrototype);
tag(HeadersIterator, "Headers Iterator");
