// The Cache API as Workers has it: `caches.default` and `caches.open(name)`,
// each a Cache with match / put / delete. Entries live in the host's store
// (runtime/webapi/cache.py: SQLite beside KV, per project in dev, per app on
// the server), reached through the cache.* host ops. What the spec and
// Workers reject with a TypeError is checked here; whether a response may be
// stored (Cache-Control, Expires, Set-Cookie) and Vary matching are decided
// by the host.
import { hostAsk } from "../host";
import { Request, Response } from "./http";
import { base64Decode, base64Encode, tag } from "./util";

interface Stored { status: number; headers: [string, string][]; body: { b64: string } }
interface MatchOptions { ignoreMethod?: boolean; ignoreSearch?: boolean; ignoreVary?: boolean }

const NULL_BODY = [101, 204, 205, 304];

function toRequest(input: unknown, op: string): Request {
  if (input instanceof Request) return input;
  if (input === undefined) throw new TypeError(`Failed to execute '${op}' on 'Cache': 1 argument required, but only 0 present.`);
  return new Request(String(input));
}

const keyOf = (r: Request): string => { const i = r.url.indexOf("#"); return i < 0 ? r.url : r.url.slice(0, i); };

export class Cache {
  readonly #name: string;
  /** @internal */
  constructor(name: string, key: symbol) {
    if (key !== CONSTRUCT) throw new TypeError("Illegal constructor");
    this.#name = name;
  }

  async match(request: RequestInfo | URL, options?: MatchOptions): Promise<Response | undefined> {
    const req = toRequest(request, "match");
    if (req.method !== "GET" && !options?.ignoreMethod) return undefined;
    const hit = await hostAsk<Stored | null>("cache.match", { cache: this.#name, url: keyOf(req), headers: [...req.headers] });
    if (!hit) return undefined;
    const body = NULL_BODY.includes(hit.status) ? null : base64Decode(hit.body.b64);
    return new Response(body, { status: hit.status, headers: hit.headers });
  }

  async put(request: RequestInfo | URL, response: Response): Promise<void> {
    const req = toRequest(request, "put");
    if (!(response instanceof Response)) throw new TypeError("Failed to execute 'put' on 'Cache': parameter 2 is not of type 'Response'.");
    if (req.method !== "GET") throw new TypeError("Cannot cache response to non-GET request.");
    if (response.status === 206) throw new TypeError("Cannot cache response to a range request (206 Partial Content).");
    const vary = response.headers.get("vary");
    if (vary !== null && vary.split(",").some((v) => v.trim() === "*")) throw new TypeError("Cannot cache response with 'Vary: *' header.");
    if (response.bodyUsed) throw new TypeError("Response body is already used");
    const bytes = new Uint8Array(await response.arrayBuffer());
    await hostAsk<boolean>("cache.put", {
      cache: this.#name, url: keyOf(req), headers: [...req.headers],
      status: response.status, responseHeaders: [...response.headers], body: { b64: base64Encode(bytes) },
    });
  }

  async delete(request: RequestInfo | URL, options?: MatchOptions): Promise<boolean> {
    const req = toRequest(request, "delete");
    if (req.method !== "GET" && !options?.ignoreMethod) return false;
    return hostAsk<boolean>("cache.delete", { cache: this.#name, url: keyOf(req) });
  }
}
tag(Cache, "Cache");

const CONSTRUCT = Symbol("Cache");
type RequestInfo = Request | string;

export class CacheStorage {
  #default: Cache | null = null;
  /** @internal */
  constructor(key: symbol) { if (key !== CONSTRUCT) throw new TypeError("Illegal constructor"); }
  /** Workers' global cache (distinct from any `caches.open()` one). */
  get default(): Cache { return (this.#default ??= new Cache("", CONSTRUCT)); }
  async open(cacheName: string): Promise<Cache> {
    if (arguments.length === 0) throw new TypeError("Failed to execute 'open' on 'CacheStorage': 1 argument required, but only 0 present.");
    const name = String(cacheName);
    if (name === "") throw new TypeError("Cache name must not be empty.");
    if (name.length > 1024) throw new TypeError("Cache name is too long.");
    return new Cache(name, CONSTRUCT);
  }
}
tag(CacheStorage, "CacheStorage");

export const caches = new CacheStorage(CONSTRUCT);
