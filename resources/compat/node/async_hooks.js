// node:async_hooks for nodejs_compat: AsyncLocalStorage and AsyncResource whose
// context is carried across await, promise callbacks, timers and host I/O.
//
// workerd carries it natively; V8 as isoplay embeds it exposes no hook for that, so
// the context rides on Promise.prototype.then and the timer functions, which this
// module wraps when it is first imported. A bundle that imports it is built with
// async/await lowered to generators (runtime/compat/build.py), so every `await`
// goes through .then() and sees the wrap. Nothing changes for bundles without it.
import * as base from "unenv/node/async_hooks";

export * from "unenv/node/async_hooks";

let current = new Map();

function bind(fn, ctx = current) {
  if (typeof fn !== "function") return fn;
  return function (...args) {
    const prev = current;
    current = ctx;
    try { return fn.apply(this, args); } finally { current = prev; }
  };
}

const g = globalThis;
let installed = false;

// Installed when the first AsyncLocalStorage or AsyncResource is made, so a bundle that only
// imports the module (node:events does) pays nothing.
function install() {
  if (installed || g.__isoplay_als_installed) return;
  installed = true;
  Object.defineProperty(g, "__isoplay_als_installed", { value: true });
  const then = Promise.prototype.then;
  Object.defineProperty(Promise.prototype, "then", {
    value: function (onFulfilled, onRejected) {
      const ctx = current;
      return then.call(this, bind(onFulfilled, ctx), bind(onRejected, ctx));
    },
    writable: true, configurable: true,
  });
  for (const name of ["setTimeout", "setInterval", "setImmediate", "queueMicrotask"]) {
    const original = g[name];
    if (typeof original !== "function") continue;
    g[name] = function (fn, ...rest) { return original.call(this, bind(fn), ...rest); };
  }
}

export class AsyncLocalStorage {
  #enabled = true;
  constructor() { install(); }
  static bind(fn) { return bind(fn); }
  static snapshot() { const ctx = current; return (fn, ...args) => bind(fn, ctx)(...args); }
  getStore() { return this.#enabled ? current.get(this) : undefined; }
  run(store, callback, ...args) {
    const prev = current;
    current = new Map(prev).set(this, store);
    try { return callback(...args); } finally { current = prev; }
  }
  exit(callback, ...args) {
    const prev = current;
    const next = new Map(prev);
    next.delete(this);
    current = next;
    try { return callback(...args); } finally { current = prev; }
  }
  enterWith(store) { current = new Map(current).set(this, store); }
  disable() { this.#enabled = false; const next = new Map(current); next.delete(this); current = next; }
}

export class AsyncResource {
  #ctx = current;
  constructor(type) { install(); this.type = type; }
  static bind(fn, type) { return new AsyncResource(type ?? "bound-anonymous-fn").bind(fn); }
  bind(fn) { return bind(fn, this.#ctx); }
  runInAsyncScope(fn, thisArg, ...args) { return bind(fn, this.#ctx).apply(thisArg, args); }
  emitDestroy() { return this; }
  asyncId() { return 0; }
  triggerAsyncId() { return 0; }
}

export default { ...base, AsyncLocalStorage, AsyncResource };
