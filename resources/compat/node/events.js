// node:events for nodejs_compat: the events package (Node's own EventEmitter for other
// engines). Like Node's and workerd's, its EventEmitter is a plain constructor function, so
// libraries that inherit the old way (EventEmitter.call(this), as readable-stream does)
// work; unenv's is a class. It also loads in bundles built with await lowered.
// CommonJS on purpose: `require("events")` must give EventEmitter itself (as in Node and
// workerd), and `import { EventEmitter, once } from "node:events"` still works.
// Imported by its file path (this folder is copied beside the toolchain's node_modules):
// esbuild's alias of the bare name, and its subpaths, leads to this module.
"use strict";

const EventEmitter = require("../../node_modules/events/events.js");

if (EventEmitter.errorMonitor === undefined) EventEmitter.errorMonitor = Symbol.for("events.errorMonitor");
if (EventEmitter.captureRejectionSymbol === undefined) EventEmitter.captureRejectionSymbol = Symbol.for("nodejs.rejection");
if (EventEmitter.listenerCount === undefined) {
  EventEmitter.listenerCount = (emitter, name) => emitter.listenerCount(name);
}
EventEmitter.getEventListeners = (emitter, name) =>
  typeof emitter.listeners === "function" ? emitter.listeners(name) : [];
EventEmitter.setMaxListeners = (n, ...emitters) => {
  for (const e of emitters) if (e && typeof e.setMaxListeners === "function") e.setMaxListeners(n);
};
module.exports = EventEmitter;
