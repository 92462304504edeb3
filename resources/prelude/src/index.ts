// The prelude every isolate loads before the script: Web-standard globals plus
// the host bridge. Built by runtime/prelude.py with esbuild into one IIFE.
import "./chunks"; // first: captures the host's chunk loader before anything else runs
import "./memory"; // next: every later module allocates through the guarded constructors
import { clearTimer, setTimer } from "./host";
import "./web/index"; // Web APIs, console, fetch (registers Request/Response with the host)
import "./kv"; // KVNamespace (registers the "kv" binding kind)
import "./d1"; // D1Database (registers the "d1" binding kind)
import "./r2"; // R2Bucket (registers the "r2" binding kind)
import "./assets"; // the [assets] binding (registers the "assets" binding kind)
import "./workers"; // service-worker syntax, class entry points, cloudflare:workers, top-level await

const g = globalThis as Record<string, unknown>;
g.setTimeout = (fn: unknown, ms?: unknown, ...args: unknown[]) => setTimer(fn, ms, args, false);
g.setInterval = (fn: unknown, ms?: unknown, ...args: unknown[]) => setTimer(fn, ms, args, true);
g.clearTimeout = (id: unknown) => clearTimer(id);
g.clearInterval = (id: unknown) => clearTimer(id);
g.queueMicrotask = (fn: unknown) => {
  if (typeof fn !== "function") throw new TypeError("queueMicrotask: argument is not a function");
  Promise.resolve().then(fn as () => void);
};
