// URLPattern, from `urlpattern-polyfill` (the one Cloudflare's and Deno's
// docs point to), on top of the prelude's URL for canonicalising components.
//
// The global is installed lazily: `globalThis.URLPattern` starts as an
// accessor that, on first read, runs the polyfill's module (bundled as a
// lazily-run CommonJS module, so isolates that never use URLPattern only
// pre-parse it) and replaces itself with a plain data property.
declare const require: (id: string) => unknown;

function load(): unknown {
  return (require("urlpattern-polyfill/urlpattern") as { URLPattern: unknown }).URLPattern;
}

/** Define `globalThis.URLPattern` as a self-replacing lazy property. */
export function installURLPattern(): void {
  const define = (value: unknown): void => {
    Object.defineProperty(globalThis, "URLPattern", { value, writable: true, configurable: true, enumerable: false });
  };
  Object.defineProperty(globalThis, "URLPattern", {
    get() { const C = load(); define(C); return C; },
    set(v: unknown) { define(v); },
    configurable: true, enumerable: false,
  });
}
