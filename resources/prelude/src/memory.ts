// One allocation may not exceed memory_mb. The memory limit itself is enforced by the
// engine (runtime/engine.py: heap + ArrayBuffer/WebAssembly memory, checked after every
// collection and during long crossings), but a builtin such as TypedArray#fill runs to
// its end before a termination takes effect, so a single huge buffer (V8 allows up to
// 32 GB) could fill the machine first. Here the constructors that size a buffer refuse
// any single size past the isolate's limit up front, as Workers does ("Array buffer
// allocation failed"). Every path to those constructors goes through the guarded ones:
// the globals, `prototype.constructor`, and subclasses (whose super() is the guard).

let limitBytes = 128 * 1024 * 1024;
let limitText = "memory_mb (128 MB)";

/** Set by the host's setup(): the isolate's memory_mb in bytes. */
export function setAllocationLimit(bytes: number): void {
  if (typeof bytes === "number" && bytes > 0) {
    limitBytes = bytes;
    limitText = `memory_mb (${Math.round(bytes / (1024 * 1024))} MB)`;
  }
}

function check(bytes: number, what: string): void {
  if (bytes > limitBytes) {
    throw new RangeError(`Array buffer allocation failed: ${what} of ${bytes} bytes is more than the isolate's ${limitText}`);
  }
}

function lengthOf(arg: unknown): number {
  if (typeof arg === "number" || typeof arg === "bigint") return Number(arg);
  if (arg === null || typeof arg !== "object") return 0;
  if (arg instanceof ArrayBuffer || (typeof SharedArrayBuffer === "function" && arg instanceof SharedArrayBuffer)) return 0;
  const n = Number((arg as { length?: unknown }).length);
  return Number.isFinite(n) ? n : 0;
}

type Ctor = new (...args: unknown[]) => object;
const g = globalThis as unknown as Record<string, unknown>;

// The engine's memory check (runtime/engine.py MEMCHECK_GLOBAL), taken before any script runs. Buffers
// made faster than V8 schedules a collection would otherwise wait for one to be counted.
const memcheck = typeof g.__isoplay_memcheck === "function" ? g.__isoplay_memcheck as () => void : null;
delete g.__isoplay_memcheck;
const CHECK_EVERY_BYTES = 8 * 1024 * 1024;
let sinceCheck = 0;

/** Count a buffer just made; past CHECK_EVERY_BYTES since the last check, ask the engine to check. */
function allocated(bytes: number): void {
  sinceCheck += bytes;
  if (sinceCheck >= CHECK_EVERY_BYTES && memcheck !== null) {
    sinceCheck = 0;
    memcheck();
  }
}

function guard(name: string, size: (args: unknown[]) => number): void {
  const original = g[name] as Ctor | undefined;
  if (typeof original !== "function") return;
  const guarded: Ctor = new Proxy(original, {
    construct(target, args, newTarget) {
      const bytes = size(args);
      check(bytes, `new ${name}()`);
      const made = Reflect.construct(target, args, newTarget === guarded ? target : newTarget);
      allocated(bytes);
      return made;
    },
    apply(target, self, args) {
      return Reflect.apply(target as unknown as (...a: unknown[]) => unknown, self, args); // throws as the original does
    },
  });
  Object.defineProperty(g, name, { value: guarded, writable: true, configurable: true, enumerable: false });
  Object.defineProperty(original.prototype, "constructor", { value: guarded, writable: true, configurable: true, enumerable: false });
}

const bufferSize = (args: unknown[]): number => {
  const max = (args[1] as { maxByteLength?: unknown } | undefined)?.maxByteLength;
  return Math.max(Number(args[0]) || 0, max === undefined ? 0 : Number(max) || 0);
};
guard("ArrayBuffer", bufferSize);
guard("SharedArrayBuffer", bufferSize);
for (const name of ["Int8Array", "Uint8Array", "Uint8ClampedArray", "Int16Array", "Uint16Array", "Float16Array",
  "Int32Array", "Uint32Array", "Float32Array", "Float64Array", "BigInt64Array", "BigUint64Array"]) {
  const per = (g[name] as { BYTES_PER_ELEMENT?: number } | undefined)?.BYTES_PER_ELEMENT ?? 1;
  guard(name, (args) => lengthOf(args[0]) * per);
}

for (const method of ["transfer", "transferToFixedLength"] as const) {
  const proto = ArrayBuffer.prototype as unknown as Record<string, unknown>;
  const original = proto[method] as ((this: ArrayBuffer, n?: number) => ArrayBuffer) | undefined;
  if (typeof original !== "function") continue;
  Object.defineProperty(proto, method, {
    value: { [method](this: ArrayBuffer, n?: number) {
      if (n !== undefined) check(Number(n) || 0, `ArrayBuffer.prototype.${method}()`);
      const moved = original.call(this, n);
      allocated(moved.byteLength);
      return moved;
    } }[method],
    writable: true, configurable: true, enumerable: false,
  });
}

const W = g.WebAssembly as Record<string, unknown> | undefined;
const PAGE = 65536;
if (W && typeof W.Memory === "function") {
  const Memory = W.Memory as Ctor & { prototype: { grow: (delta: number) => number } };
  const guarded: Ctor = new Proxy(Memory, {
    construct(target, args, newTarget) {
      const d = (args[0] ?? {}) as { initial?: unknown; maximum?: unknown };
      check(Number(d.initial ?? 0) * PAGE, "new WebAssembly.Memory()");
      // A maximum past the limit is lowered to it, so growing past memory_mb (from JS or from the
      // module's own memory.grow) fails inside V8 as growing past any maximum does.
      const most = Math.floor(limitBytes / PAGE);
      if (d && typeof d === "object" && d.maximum !== undefined && Number(d.maximum) > most) {
        args = [{ ...d, maximum: Math.max(most, Number(d.initial ?? 0) || 0) }, ...args.slice(1)];
      }
      const made = Reflect.construct(target, args, newTarget === guarded ? target : newTarget);
      allocated(Number(d.initial ?? 0) * PAGE);
      return made;
    },
  });
  Object.defineProperty(W, "Memory", { value: guarded, writable: true, configurable: true, enumerable: false });
  Object.defineProperty(Memory.prototype, "constructor", { value: guarded, writable: true, configurable: true, enumerable: false });
  const grow = Memory.prototype.grow;
  Object.defineProperty(Memory.prototype, "grow", {
    value: function (this: { buffer: ArrayBuffer }, delta: number) {
      check(this.buffer.byteLength + (Number(delta) || 0) * PAGE, "WebAssembly.Memory.prototype.grow()");
      const before = grow.call(this, delta);
      allocated((Number(delta) || 0) * PAGE);
      return before;
    },
    writable: true, configurable: true, enumerable: false,
  });
}

// Builtins that build one huge array or string in a single call run inside V8 to their end (a
// termination lands only afterwards; `new Array(2**26).fill(0)` held ~800 MB for a minute under a
// 128 MB limit), so the sizes they would build are checked up front, as Array buffers are. Element
// and character sizes are the least V8 uses (4 and 1 bytes), so nothing that fits is refused.
function wrapMethod(owner: object, name: string, size: (self: unknown, args: unknown[]) => number, what: string): void {
  const original = (owner as Record<string, unknown>)[name] as ((...a: unknown[]) => unknown) | undefined;
  if (typeof original !== "function") return;
  Object.defineProperty(owner, name, {
    value: { [name](this: unknown, ...args: unknown[]) {
      check(size(this, args), what);
      return Reflect.apply(original, this, args);
    } }[name],
    writable: true, configurable: true, enumerable: false,
  });
}
const lengthOfThis = (self: unknown): number => {
  const n = Number((self as { length?: unknown } | null | undefined)?.length);
  return Number.isFinite(n) ? n : 0;
};
wrapMethod(Array.prototype, "fill", (self) => lengthOfThis(self) * 4, "Array.prototype.fill()");
wrapMethod(Array, "from", (_self, args) => lengthOf(args[0]) * 4, "Array.from()");
wrapMethod(String.prototype, "repeat", (self, args) => String(self).length * (Number(args[0]) || 0), "String.prototype.repeat()");
wrapMethod(String.prototype, "padStart", (_self, args) => Number(args[0]) || 0, "String.prototype.padStart()");
wrapMethod(String.prototype, "padEnd", (_self, args) => Number(args[0]) || 0, "String.prototype.padEnd()");
