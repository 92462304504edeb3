// The `cloudflare:workers` module, as isoplay's bundler resolves it. Everything it
// exports lives in the isolate prelude (resources/prelude/src/workers.ts), which
// publishes it as the frozen global __isoplay_workers.
const w = globalThis.__isoplay_workers;
if (!w) throw new Error('"cloudflare:workers" needs the isoplay runtime (this bundle was loaded elsewhere)');
export const env = w.env;
export const waitUntil = w.waitUntil;
export const WorkerEntrypoint = w.WorkerEntrypoint;
export const DurableObject = w.DurableObject;
export const WorkflowEntrypoint = w.WorkflowEntrypoint;
export const RpcTarget = w.RpcTarget;
export default { env, waitUntil, WorkerEntrypoint, DurableObject, WorkflowEntrypoint, RpcTarget };
