// fetchMock: declarative outbound mocks with undici MockAgent's API (what
// vitest-pool-workers exports): fetchMock.get(origin).intercept({ path, method,
// headers, body, query }).reply(status, body, { headers }). While activated it
// answers the global fetch(); a request no intercept matches goes to the network
// (still under the manifest's [fetch] allow list) unless disableNetConnect().

type Matcher = string | RegExp | ((value: string) => boolean);
interface InterceptOptions {
  path: Matcher; method?: Matcher; headers?: Record<string, Matcher> | ((h: Record<string, string>) => boolean);
  body?: Matcher; query?: Record<string, unknown>;
}
interface ReplyOptions { headers?: Record<string, string> | [string, string][]; trailers?: unknown }
interface CallbackOptions { path: string; method: string; headers: Record<string, string>; body: string | null; origin: string }
type ReplyFn = (opts: CallbackOptions) => unknown;

interface Intercept {
  origin: Matcher; spec: InterceptOptions; status: number; body: unknown; bodyFn: ReplyFn | null;
  dataFn: ReplyFn | null; headers: Record<string, string>; error: unknown; times: number; persist: boolean;
  delayMs: number; consumed: number; ready: boolean;
}

const intercepts: Intercept[] = [];
let active = false;
let netConnect: boolean | Matcher[] = true;
let realFetch: typeof fetch | null = null;

function matches(m: Matcher | undefined, value: string): boolean {
  if (m === undefined) return true;
  if (typeof m === "string") return m === value;
  if (m instanceof RegExp) { m.lastIndex = 0; return m.test(value); }
  return !!m(value);
}

function sortedSearch(url: URL): string {
  const params = [...url.searchParams.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  const q = new URLSearchParams(params).toString();
  return q ? `?${q}` : "";
}

function pathMatches(spec: InterceptOptions, url: URL): boolean {
  const p = spec.path;
  if (spec.query) {
    const q = new URLSearchParams(Object.entries(spec.query).map(([k, v]) => [k, String(v)]));
    const want = new URL(`${typeof p === "string" ? p : url.pathname}?${q}`, url.origin);
    return (typeof p === "string" ? p === url.pathname : matches(p, url.pathname)) && sortedSearch(want) === sortedSearch(url);
  }
  if (typeof p === "string") {
    const want = new URL(p, url.origin);
    return want.pathname === url.pathname && sortedSearch(want) === sortedSearch(url);
  }
  return matches(p, url.pathname + url.search);
}

function headersMatch(spec: InterceptOptions, headers: Record<string, string>): boolean {
  const h = spec.headers;
  if (!h) return true;
  if (typeof h === "function") return !!h(headers);
  return Object.entries(h).every(([name, m]) => {
    const v = headers[name.toLowerCase()];
    return v !== undefined && matches(m, v);
  });
}

function describeMatcher(m: Matcher): string {
  return typeof m === "string" ? m : m instanceof RegExp ? String(m) : "<function>";
}

function describeIntercept(i: Intercept): string {
  return `${describeMatcher(i.spec.method ?? "GET")} ${describeMatcher(i.origin)}${describeMatcher(i.spec.path)}`
    + ` (used ${i.consumed} of ${i.persist ? "unlimited" : i.times})`;
}

class MockScope {
  constructor(private readonly i: Intercept) {}
  times(n: number): this { this.i.times = n; return this; }
  persist(): this { this.i.persist = true; return this; }
  delay(ms: number): this { this.i.delayMs = ms; return this; }
}

class MockInterceptor {
  private readonly headers: Record<string, string> = {};
  constructor(private readonly origin: Matcher, private readonly spec: InterceptOptions) {}
  defaultReplyHeaders(h: Record<string, string>): this { Object.assign(this.headers, lower(h)); return this; }
  replyContentLength(): this { return this; }
  reply(status: number | ReplyFn, body?: unknown, options: ReplyOptions = {}): MockScope {
    const i = this.make();
    if (typeof status === "function") { i.dataFn = status; }
    else {
      i.status = status;
      if (typeof body === "function") i.bodyFn = body as ReplyFn; else i.body = body;
      Object.assign(i.headers, lower(options.headers ?? {}));
    }
    return new MockScope(i);
  }
  replyWithError(error: unknown): MockScope { const i = this.make(); i.error = error; return new MockScope(i); }
  private make(): Intercept {
    const i: Intercept = { origin: this.origin, spec: this.spec, status: 200, body: undefined, bodyFn: null, dataFn: null,
      headers: { ...this.headers }, error: undefined, times: 1, persist: false, delayMs: 0, consumed: 0, ready: true };
    intercepts.push(i);
    return i;
  }
}

function lower(h: Record<string, string> | [string, string][]): Record<string, string> {
  const entries = Array.isArray(h) ? h : Object.entries(h);
  return Object.fromEntries(entries.map(([k, v]) => [k.toLowerCase(), String(v)]));
}

class MockPool {
  constructor(private readonly origin: Matcher) {}
  intercept(spec: InterceptOptions): MockInterceptor {
    if (!spec || spec.path === undefined) throw new TypeError("fetchMock intercept() needs { path }");
    return new MockInterceptor(this.origin, spec);
  }
}

function netAllowed(url: URL): boolean {
  if (netConnect === true) return true;
  if (netConnect === false) return false;
  return netConnect.some((m) => matches(m, url.host) || matches(m, url.hostname));
}

function bodyFor(value: unknown): BodyInit | null {
  if (value === undefined || value === null) return null;
  if (typeof value === "string" || value instanceof ArrayBuffer || ArrayBuffer.isView(value)) return value as BodyInit;
  if (typeof Blob !== "undefined" && value instanceof Blob) return value;
  if (typeof ReadableStream !== "undefined" && value instanceof ReadableStream) return value;
  return JSON.stringify(value);
}

async function mockedFetch(input: RequestInfo | URL, init?: RequestInit): Promise<Response> {
  const request = new Request(input as RequestInfo, init);
  const url = new URL(request.url);
  const method = request.method.toUpperCase();
  const headers: Record<string, string> = {};
  request.headers.forEach((v, k) => { headers[k] = v; });
  const bodyText = request.body === null ? null : await request.clone().text();
  const found = intercepts.find((i) => i.ready && matches(i.origin, url.origin) && matches(i.spec.method ?? "GET", method)
    && pathMatches(i.spec, url) && headersMatch(i.spec, headers) && (i.spec.body === undefined || matches(i.spec.body, bodyText ?? "")));
  if (!found) {
    if (!netAllowed(url)) {
      throw new TypeError(`fetch failed: fetchMock has no intercept for ${method} ${url.href} and network connections are `
        + `disabled (fetchMock.disableNetConnect()); add fetchMock.get("${url.origin}").intercept({ path: "${url.pathname}${url.search}"`
        + `${method !== "GET" ? `, method: "${method}"` : ""} }).reply(...)`);
    }
    return realFetch!(request);
  }
  found.consumed++;
  if (!found.persist && found.consumed >= found.times) found.ready = false;
  if (found.delayMs > 0) await new Promise((r) => setTimeout(r, found.delayMs));
  if (found.error !== undefined) throw new TypeError("fetch failed", { cause: found.error });
  const opts: CallbackOptions = { path: url.pathname + url.search, method, headers, body: bodyText, origin: url.origin };
  let status = found.status, body = found.body, extra: Record<string, string> = {};
  if (found.dataFn) {
    const r = (await found.dataFn(opts)) as { statusCode: number; data?: unknown; responseOptions?: ReplyOptions };
    status = r.statusCode; body = r.data; extra = lower(r.responseOptions?.headers ?? {});
  } else if (found.bodyFn) body = await found.bodyFn(opts);
  const h = new Headers({ ...found.headers, ...extra });
  if (body !== null && body !== undefined && typeof body === "object" && !ArrayBuffer.isView(body) && !(body instanceof ArrayBuffer)
      && !h.has("content-type") && !(typeof ReadableStream !== "undefined" && body instanceof ReadableStream)) {
    h.set("content-type", "application/json");
  }
  const nullBody = status === 101 || status === 204 || status === 205 || status === 304;
  return new Response(nullBody ? null : bodyFor(body), { status, headers: h });
}

export const fetchMock = {
  get(origin: Matcher): MockPool {
    if (typeof origin === "string") origin = new URL(origin).origin;
    return new MockPool(origin);
  },
  activate(): void {
    if (active) return;
    realFetch = globalThis.fetch;
    globalThis.fetch = mockedFetch as typeof fetch;
    active = true;
  },
  deactivate(): void {
    if (!active) return;
    globalThis.fetch = realFetch!;
    active = false;
  },
  isMockActive(): boolean { return active; },
  disableNetConnect(): void { netConnect = false; },
  enableNetConnect(matcher?: Matcher): void {
    if (matcher === undefined) netConnect = true;
    else netConnect = Array.isArray(netConnect) ? [...netConnect, matcher] : [matcher];
  },
  pendingInterceptors(): { method: string; origin: string; path: string; times: number; persist: boolean; consumed: number }[] {
    return intercepts.filter((i) => i.ready && !i.persist).map((i) => ({ method: describeMatcher(i.spec.method ?? "GET"),
      origin: describeMatcher(i.origin), path: describeMatcher(i.spec.path), times: i.times, persist: i.persist, consumed: i.consumed }));
  },
  assertNoPendingInterceptors(): void {
    const pending = intercepts.filter((i) => i.ready && !i.persist);
    if (pending.length) {
      throw new Error(`${pending.length} interceptor${pending.length > 1 ? "s are" : " is"} pending:\n`
        + pending.map((i) => `  ${describeIntercept(i)}`).join("\n"));
    }
  },
  /** Drop every intercept (not part of undici's API; used between files). */
  reset(): void { intercepts.length = 0; netConnect = true; },
};
