// WebAssembly compiled at run time is refused, as in Cloudflare Workers (like eval and
// new Function). The refusal itself is V8's: the engine denies every WebAssembly code
// generation (runtime/engine.py) except while the host compiles the modules that ship
// with the bundle (host.ts setup(), `wasm`). This module only makes V8's terse message
// name the rule and the way out; it holds nothing that could compile anything.
const W = (globalThis as { WebAssembly?: Record<string, unknown> }).WebAssembly;

// The host's gate (runtime/engine.py WASM_GATE_GLOBALS): taken here and deleted, so only
// the prelude can open it, and only around compiling bytes it trusts (trustWasmBytes).
const gateHost = globalThis as Record<string, unknown>;
const allowWasm = gateHost.__isoplay_wasm_allow as (() => void) | undefined;
const denyWasm = gateHost.__isoplay_wasm_deny as (() => void) | undefined;
delete gateHost.__isoplay_wasm_allow;
delete gateHost.__isoplay_wasm_deny;
const trusted = new WeakSet<object>();

/** Mark bytes the prelude got from the host (a prelude chunk) as compilable; returns them. */
export function trustWasmBytes<T extends object>(bytes: T): T {
  trusted.add(bytes);
  return bytes;
}

export const WASM_RULE =
  "isoplay, like Cloudflare Workers, does not compile WebAssembly from bytes at run time (code generation is " +
  "disallowed, as for eval); import the .wasm file so it ships with the bundle and use the WebAssembly.Module it gives";

function explain(e: unknown): unknown {
  const CompileError = W?.CompileError as (new (m: string) => Error) | undefined;
  if (CompileError && e instanceof CompileError && /disallowed by embedder/.test(e.message)) {
    const clear = new CompileError(`${e.message}: ${WASM_RULE}`);
    return clear;
  }
  return e;
}

if (W) {
  for (const name of ["compile", "instantiate", "compileStreaming", "instantiateStreaming"]) {
    const original = W[name] as ((...a: unknown[]) => Promise<unknown>) | undefined;
    if (typeof original !== "function") continue;
    const wrapped = {
      [name](this: unknown, ...args: unknown[]): Promise<unknown> {
        try {
          return Promise.resolve(original.apply(this, args)).catch((e: unknown) => { throw explain(e); });
        } catch (e) {
          throw explain(e);
        }
      },
    }[name];
    Object.defineProperty(W, name, { value: wrapped, writable: true, configurable: true, enumerable: false });
  }
  const Module = W.Module as (new (...a: unknown[]) => object) | undefined;
  if (typeof Module === "function") {
    const guarded = new Proxy(Module, {
      construct(target, args, newTarget) {
        if (allowWasm && denyWasm && args.length > 0 && typeof args[0] === "object" && args[0] !== null
            && trusted.has(args[0] as object)) {
          allowWasm(); // V8 reads the bytes directly: no script code runs while the gate is open
          try { return Reflect.construct(target, [args[0]], target); } finally { denyWasm(); }
        }
        try {
          return Reflect.construct(target, args, newTarget === guarded ? target : newTarget);
        } catch (e) {
          throw explain(e);
        }
      },
    });
    Object.defineProperty(W, "Module", { value: guarded, writable: true, configurable: true, enumerable: false });
  }
}

const bundled = new Map<string, object>();

/** Compile the modules the host ships with the bundle (only works while the host allows it: during setup). */
export function compileBundledWasm(modules: Record<string, string>): void {
  const Module = (W?.Module ?? null) as (new (b: Uint8Array) => object) | null;
  for (const [name, b64] of Object.entries(modules)) {
    if (!Module) throw new Error("WebAssembly is not available in this isolate");
    const bin = atob(b64);
    const bytes = new Uint8Array(bin.length);
    for (let i = 0; i < bin.length; i++) bytes[i] = bin.charCodeAt(i);
    bundled.set(name, new Module(bytes));
  }
}

/** The compiled WebAssembly.Module of a .wasm file that ships with the bundle. */
export function bundledWasm(name: string): object {
  const m = bundled.get(String(name));
  if (!m) throw new Error(`no WebAssembly module ${JSON.stringify(name)} ships with this bundle`);
  return m;
}
