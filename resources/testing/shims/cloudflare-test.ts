// `import ... from "cloudflare:test"` in a test file resolves here (esbuild alias);
// "isoplay-test:worker" is aliased to the project's main module.
import * as worker from "isoplay-test:worker";
const cf = (globalThis as any).__isoplay_test.cloudflare;
export const env = cf.env;
export const SELF = cf.makeSelf(worker);
export const fetchMock = cf.fetchMock;
export const createExecutionContext = cf.createExecutionContext;
export const waitOnExecutionContext = cf.waitOnExecutionContext;
export const createScheduledController = cf.createScheduledController;
