// Workers static assets: the binding named by [assets] binding, a Fetcher whose fetch() answers from the
// project's asset files (runtime/assets.py: html_handling, not_found_handling, etags) without the Worker.
import { hostAsk, registerBinding } from "./host";
import { base64ToBytes } from "./kv";

interface WireAnswer { status: number; headers: [string, string][]; body: string }

const NAMES = new WeakMap<object, string>();

export class AssetsFetcher {
  constructor(binding: string) {
    NAMES.set(this, binding);
  }

  async fetch(input: unknown, init?: unknown): Promise<unknown> {
    const name = NAMES.get(this);
    if (name === undefined) throw new TypeError("assets: not an assets binding");
    const g = globalThis as Record<string, unknown>;
    const req = new (g.Request as new (i: unknown, o?: unknown) => { url: string; method: string; headers: Iterable<[string, string]> })(input, init);
    const r = await hostAsk<WireAnswer>("assets.fetch", { binding: name, url: req.url, method: req.method, headers: [...req.headers] });
    const empty = r.status === 204 || r.status === 304 || r.body === "";
    return new (g.Response as new (b: unknown, o: unknown) => unknown)(empty ? null : base64ToBytes(r.body),
      { status: r.status, headers: r.headers });
  }

  connect(): never {
    throw new Error("the assets binding has no connect()");
  }
}
Object.defineProperty(AssetsFetcher.prototype, Symbol.toStringTag, { value: "Fetcher", configurable: true });

registerBinding("assets", (name) => new AssetsFetcher(name));
