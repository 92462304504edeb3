// EventSource, from the `eventsource` package (a WHATWG EventSource on fetch, with
// Workers-aware header handling), installed lazily like URLPattern: the global starts as
// an accessor that runs the package's module on first read and replaces itself with a
// plain data property. Its connections are fetches, so the egress rules apply, and its
// events arrive while an invocation of the isolate runs (as with any fetch body).
declare const require: (id: string) => unknown;

function load(): unknown {
  return (require("eventsource") as { EventSource: unknown }).EventSource;
}

/** Define `globalThis.EventSource` as a self-replacing lazy property. */
export function installEventSource(): void {
  const define = (value: unknown): void => {
    Object.defineProperty(globalThis, "EventSource", { value, writable: true, configurable: true, enumerable: false });
  };
  Object.defineProperty(globalThis, "EventSource", {
    get() { const C = load(); define(C); return C; },
    set(v: unknown) { define(v); },
    configurable: true, enumerable: false,
  });
}
