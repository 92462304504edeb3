// vi: mock functions from @vitest/spy, fake timers from @sinonjs/fake-timers.

import * as mocks from "./mocks";
import { clearAllMocks, fn, isMockFunction, resetAllMocks, restoreAllMocks, spyOn } from "@vitest/spy";

// @sinonjs/fake-timers is CommonJS: required here, esbuild initialises it on first use,
// so files that never fake timers do not pay for it when their isolate starts.
declare const require: (name: string) => any;

let clock: any = null;
const stubbedGlobals = new Map<PropertyKey, PropertyDescriptor | undefined>();
const stubbedEnv = new Map<string, { had: boolean; value: unknown }>();
let envRef: Record<string, unknown> = {};

export function setEnvRef(env: Record<string, unknown>): void { envRef = env; }

const DEFAULT_FAKE = ["setTimeout", "clearTimeout", "setInterval", "clearInterval", "setImmediate", "clearImmediate", "Date"];

function needClock(what: string): any {
  if (!clock) throw new Error(`vi.${what}() needs fake timers: call vi.useFakeTimers() first`);
  return clock;
}

export const vi: any = {
  fn, spyOn, isMockFunction, clearAllMocks, resetAllMocks, restoreAllMocks,
  mocked: <T>(x: T) => x,
  useFakeTimers(config: { toFake?: string[]; now?: number | Date; shouldAdvanceTime?: boolean } = {}) {
    if (clock) clock.uninstall();
    const timers = require("@sinonjs/fake-timers").withGlobal(globalThis);
    const toFake = (config.toFake ?? DEFAULT_FAKE).filter((name) => name in globalThis);
    clock = timers.install({ now: config.now ?? Date.now(), toFake: toFake as any, loopLimit: 10_000 });
    return vi;
  },
  useRealTimers() { if (clock) { clock.uninstall(); clock = null; } return vi; },
  isFakeTimers: () => clock !== null,
  advanceTimersByTime(ms: number) { needClock("advanceTimersByTime").tick(ms); return vi; },
  async advanceTimersByTimeAsync(ms: number) { await needClock("advanceTimersByTimeAsync").tickAsync(ms); return vi; },
  advanceTimersToNextTimer(steps = 1) { for (let i = 0; i < steps; i++) needClock("advanceTimersToNextTimer").next(); return vi; },
  async advanceTimersToNextTimerAsync(steps = 1) { for (let i = 0; i < steps; i++) await needClock("advanceTimersToNextTimerAsync").nextAsync(); return vi; },
  runAllTimers() { needClock("runAllTimers").runAll(); return vi; },
  async runAllTimersAsync() { await needClock("runAllTimersAsync").runAllAsync(); return vi; },
  runOnlyPendingTimers() { needClock("runOnlyPendingTimers").runToLast(); return vi; },
  async runOnlyPendingTimersAsync() { await needClock("runOnlyPendingTimersAsync").runToLastAsync(); return vi; },
  clearAllTimers() { needClock("clearAllTimers").reset(); return vi; },
  getTimerCount: () => needClock("getTimerCount").countTimers(),
  setSystemTime(time: number | string | Date) {
    const ms = time instanceof Date ? time.getTime() : new Date(time as any).getTime();
    needClock("setSystemTime").setSystemTime(ms);
    return vi;
  },
  getMockedSystemTime: () => (clock ? new Date(clock.now) : null),
  getRealSystemTime: () => (clock ? clock.Date.now.call(clock.Date) : Date.now()),
  stubGlobal(name: PropertyKey, value: unknown) {
    if (!stubbedGlobals.has(name)) stubbedGlobals.set(name, Object.getOwnPropertyDescriptor(globalThis, name));
    Object.defineProperty(globalThis, name, { value, writable: true, configurable: true, enumerable: true });
    return vi;
  },
  unstubAllGlobals() {
    for (const [name, desc] of stubbedGlobals) {
      if (desc) Object.defineProperty(globalThis, name, desc); else delete (globalThis as any)[name];
    }
    stubbedGlobals.clear();
    return vi;
  },
  stubEnv(name: string, value: unknown) {
    if (!stubbedEnv.has(name)) stubbedEnv.set(name, { had: name in envRef, value: envRef[name] });
    envRef[name] = value;
    return vi;
  },
  unstubAllEnvs() {
    for (const [name, old] of stubbedEnv) { if (old.had) envRef[name] = old.value; else delete envRef[name]; }
    stubbedEnv.clear();
    return vi;
  },
  async waitFor<T>(callback: () => T | Promise<T>, options: number | { timeout?: number; interval?: number } = {}) {
    const o = typeof options === "number" ? { timeout: options } : options;
    const timeout = o.timeout ?? 1000, interval = o.interval ?? 50;
    const start = Date.now();
    for (;;) {
      try { return await callback(); } catch (e) {
        if (Date.now() - start >= timeout) throw e;
      }
      await new Promise((r) => setTimeout(r, interval));
    }
  },
  mock: mocks.mock,
  importActual: mocks.importActual,
  importMock: mocks.importMock,
  hoisted() { throw new Error("vi.hoisted() is not supported by isoplay test; declare the values inside the vi.mock() factory"); },
  doMock() { throw new Error("vi.doMock() is not supported by isoplay test (modules are bundled ahead of time); use a top-level vi.mock()"); },
  unmock() { throw new Error("vi.unmock() is not supported by isoplay test; remove the vi.mock() call instead"); },
};
