// node:events for nodejs_compat: the events package (Node's own EventEmitter for other
// engines). Like Node's and workerd's, its EventEmitter is a plain constructor function, so
// libraries that inherit the old way (EventEmitter.call(this), as readable-stream does)
// work; unenv's is a class. It also loads in bundles built with await lowered.
// Imported by its file path (this folder is copied beside the toolchain's node_modules):
// esbuild's alias of the bare name, and its subpaths, leads to this module.
import EventEmitter from "../../node_modules/events/events.js";

export { EventEmitter };
export const once = EventEmitter.once;
export const defaultMaxListeners = EventEmitter.defaultMaxListeners;
export const errorMonitor = Symbol.for("events.errorMonitor");
export const captureRejectionSymbol = Symbol.for("nodejs.rejection");
export function listenerCount(emitter, name) { return emitter.listenerCount(name); }
export function getEventListeners(emitter, name) {
  return typeof emitter.listeners === "function" ? emitter.listeners(name) : [];
}
export function setMaxListeners(n, ...emitters) { for (const e of emitters) e.setMaxListeners?.(n); }
export default EventEmitter;
