// Injected into every nodejs_compat bundle (esbuild --inject): the globals Workers
// defines under that flag -- Buffer, process, global, setImmediate/clearImmediate --
// and process.env filled from the Worker's string vars and secrets
// (nodejs_compat_populate_process_env, the default since 2025-04-01).
import { Buffer } from "node:buffer";
import process from "node:process";
import { setImmediate, clearImmediate } from "node:timers";

const g = globalThis;
const define = (name, value) => {
  if (!(name in g)) Object.defineProperty(g, name, { value, writable: true, configurable: true, enumerable: false });
};
define("global", g);
define("Buffer", Buffer);
define("process", process);
define("setImmediate", setImmediate);
define("clearImmediate", clearImmediate);
if (!("__env__" in g)) {
  const source = () => (g.__isoplay_workers ? g.__isoplay_workers.env : {});
  const strings = () => Object.fromEntries(Object.entries(source()).filter(([, v]) => typeof v === "string"));
  Object.defineProperty(g, "__env__", {
    get: strings, configurable: true, enumerable: false,
  });
}
