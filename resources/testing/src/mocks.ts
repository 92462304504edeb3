// vi.mock for bundled tests (runtime/testing/mocks.py builds the other half).
// The test file's top-level vi.mock calls run first, from a module its bundle
// entry imports before anything else, and register here under the module's
// resolved id. Every mocked module is replaced in the build by a stub that
// calls bind(): its exports are then filled from the factory's result (awaited
// before the tests are listed when it is a Promise), from a __mocks__ file, or
// from an automatic mock of the real module.

import { fn } from "@vitest/spy";

type Factory = (importOriginal: () => Promise<unknown>) => unknown;
interface Registration { factory?: Factory; spy?: boolean }

const registered = new Map<string, Registration>();
const actuals = new Map<string, unknown>();
const mocked = new Map<string, unknown>();
const pending: Promise<unknown>[] = [];
let paths: Record<string, string> = {};
const folderMocks = new Map<string, unknown>();
let loading = true;

/** The hoisted calls' path -> module id table and the __mocks__ modules found for them (set before they run). */
export function setPaths(table: Record<string, string>, files: Record<string, unknown> = {}): void {
  paths = { ...paths, ...table };
  for (const [id, module] of Object.entries(files)) folderMocks.set(id, module);
}

function idOf(path: string, what: string): string {
  const id = paths[path];
  if (id === undefined) {
    throw new Error(`${what}(${JSON.stringify(path)}): isoplay test resolves module paths when the file is built, ` +
      "so only paths given to a top-level vi.mock() in this file are known");
  }
  return id;
}

/** vi.mock(path, factory?) as the hoisted module calls it; later calls are refused. */
export function mock(path: string, factory?: Factory | { spy?: boolean }): void {
  if (!loading) {
    throw new Error("vi.mock() must be called at the top level of the test file (isoplay test hoists those calls " +
      "and builds the mocks into the bundle); inside a test or hook use vi.spyOn()");
  }
  const options = factory && typeof factory === "object" ? factory : undefined;
  const id = idOf(path, "vi.mock");
  if (typeof factory === "function") {
    registered.set(id, { factory });
  } else if (folderMocks.has(id) && !options?.spy) {
    registered.set(id, { factory: () => ({ ...(folderMocks.get(id) as object) }) });
  } else {
    registered.set(id, { spy: options?.spy });
  }
}

/** A stub's module is being evaluated: fill its exports. */
export function bind(id: string, actual: Record<string, unknown>, assign: (m: Record<string, unknown>) => void): void {
  actuals.set(id, actual);
  const entry = registered.get(id);
  if (!entry) { assign(actual); return; }
  let result: unknown;
  if (entry.factory) {
    result = entry.factory(() => Promise.resolve(actual));
  } else {
    result = automock(actual, entry.spy === true, new Map());
  }
  const take = (value: unknown) => {
    if (!value || typeof value !== "object") {
      throw new Error(`vi.mock(${JSON.stringify(id)}): the factory must return an object of the module's exports ` +
        `(it returned ${value === null ? "null" : typeof value})`);
    }
    mocked.set(id, value);
    assign(value as Record<string, unknown>);
  };
  if (result && typeof (result as Promise<unknown>).then === "function") {
    pending.push((result as Promise<unknown>).then(take));
  } else {
    take(result);
  }
}

/** A CommonJS module's stand-in: an object filled with the mock's properties (now, or when an async factory
 * settles); esbuild's interop reads named imports from it when they are used. */
export function commonJs(id: string, actual: Record<string, unknown>): Record<string, unknown> {
  const target: Record<string, unknown> = {};
  bind(id, actual, (m) => { Object.assign(target, m); });
  return target;
}

/** The file's top level ran: wait for async factories; from now on vi.mock is refused. */
export async function settle(): Promise<void> {
  loading = false;
  await Promise.all(pending.splice(0));
}

export function importActual(path: string): Promise<unknown> {
  const id = idOf(path, "vi.importActual");
  if (!actuals.has(id)) throw new Error(`vi.importActual(${JSON.stringify(path)}): the module is not part of this test's bundle`);
  return Promise.resolve(actuals.get(id));
}

export function importMock(path: string): Promise<unknown> {
  const id = idOf(path, "vi.importMock");
  return Promise.resolve(mocked.get(id) ?? actuals.get(id));
}

/** vitest's automock: functions become vi.fn() (returning undefined, or calling through with spy),
 * class prototypes are mocked, arrays emptied, objects mocked deeply, other values kept. */
function automock(value: unknown, spy: boolean, seen: Map<unknown, unknown>): unknown {
  if (typeof value === "function") {
    const original = value as (...args: unknown[]) => unknown;
    const m: any = spy ? fn(original) : fn();
    if (original.prototype) {
      for (const key of Object.getOwnPropertyNames(original.prototype)) {
        if (key === "constructor") continue;
        const desc = Object.getOwnPropertyDescriptor(original.prototype, key);
        if (desc && typeof desc.value === "function") {
          m.prototype[key] = spy ? fn(desc.value) : fn();
        }
      }
    }
    return m;
  }
  if (Array.isArray(value)) return spy ? value : [];
  if (value && typeof value === "object") {
    if (seen.has(value)) return seen.get(value);
    const out: Record<string, unknown> = {};
    seen.set(value, out);
    for (const key of Object.keys(value)) out[key] = automock((value as Record<string, unknown>)[key], spy, seen);
    return out;
  }
  return value;
}
