// Headers (Fetch standard): case-insensitive names, values combined with ", ",
// iteration sorted by lowercase name, Set-Cookie kept apart (getSetCookie).
import { tag } from "./util";

const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
const BAD_VALUE = /[\0\r\n]/;

export type HeadersInit = Headers | [string, string][] | Record<string, string> | Iterable<Iterable<string>>;
export type Guard = "none" | "immutable";

function normName(name: unknown): string {
  const n = String(name);
  if (!TOKEN.test(n)) throw new TypeError(`Invalid header name: "${n}"`);
  return n.toLowerCase();
}

function normValue(value: unknown): string {
  const v = String(value).replace(/^[\t\n\r ]+|[\t\n\r ]+$/g, "");
  if (BAD_VALUE.test(v)) throw new TypeError(`Invalid header value: "${v}"`);
  return v;
}

export class Headers {
  #map = new Map<string, string[]>();
  #guard: Guard = "none";

  constructor(init?: HeadersInit | null) {
    if (init === undefined || init === null) return;
    if (init instanceof Headers) {
      for (const [k, v] of init.#map) this.#map.set(k, v.slice());
    } else if (typeof init !== "object") {
      throw new TypeError("Failed to construct 'Headers': The provided value is not of type '(record<ByteString, ByteString> or sequence<sequence<ByteString>>)'.");
    } else if (typeof (init as { [Symbol.iterator]?: unknown })[Symbol.iterator] === "function") {
      for (const pair of init as Iterable<Iterable<string>>) {
        const arr = typeof pair === "string" ? [] : Array.from(pair);
        if (arr.length !== 2) throw new TypeError("Failed to construct 'Headers': Invalid value: every header must be a [name, value] pair");
        this.append(arr[0]!, arr[1]!);
      }
    } else {
      for (const k of Object.keys(init)) this.append(k, (init as Record<string, string>)[k]!);
    }
  }

  /** @internal An incoming request's headers (immutable, as in Workers), without the
   * generic iterable-of-iterables walk of the constructor. */
  static _fromHost(pairs: [string, string][]): Headers {
    const h = new Headers();
    const map = h.#map;
    for (const [name, raw] of pairs) {
      const n = normName(name), v = normValue(raw);
      const list = map.get(n);
      if (list) list.push(v); else map.set(n, [v]);
    }
    h.#guard = "immutable";
    return h;
  }

  /** @internal Make this object read-only ("immutable" guard). */
  _freeze(): this { this.#guard = "immutable"; return this; }
  #check(): void { if (this.#guard === "immutable") throw new TypeError("Can't modify immutable headers."); }

  append(name: string, value: string): void {
    const n = normName(name), v = normValue(value);
    this.#check();
    const list = this.#map.get(n);
    if (list) list.push(v); else this.#map.set(n, [v]);
  }
  delete(name: string): void { const n = normName(name); this.#check(); this.#map.delete(n); }
  get(name: string): string | null {
    const list = this.#map.get(normName(name));
    return list ? list.join(", ") : null;
  }
  getSetCookie(): string[] { return (this.#map.get("set-cookie") ?? []).slice(); }
  /** Workers' non-standard form of getSetCookie. */
  getAll(name: string): string[] {
    const n = normName(name);
    if (n !== "set-cookie") throw new TypeError('getAll() can only be used with the header name "Set-Cookie".');
    return this.getSetCookie();
  }
  has(name: string): boolean { return this.#map.has(normName(name)); }
  set(name: string, value: string): void {
    const n = normName(name), v = normValue(value);
    this.#check();
    this.#map.set(n, [v]);
  }
  forEach(cb: (value: string, key: string, parent: Headers) => void, thisArg?: unknown): void {
    for (const [k, v] of this.entries()) cb.call(thisArg, v, k, this);
  }
  *entries(): IterableIterator<[string, string]> {
    const names = [...this.#map.keys()].sort();
    for (const n of names) {
      const list = this.#map.get(n);
      if (!list) continue; // deleted while iterating
      if (n === "set-cookie") for (const v of list) yield [n, v];
      else yield [n, list.join(", ")];
    }
  }
  *keys(): IterableIterator<string> { for (const [k] of this.entries()) yield k; }
  *values(): IterableIterator<string> { for (const [, v] of this.entries()) yield v; }
  [Symbol.iterator](): IterableIterator<[string, string]> { return this.entries(); }
}
tag(Headers, "Headers");
