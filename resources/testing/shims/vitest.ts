// `import ... from "vitest"` in a test file resolves here (esbuild alias).
const t = (globalThis as any).__isoplay_test.vitest;
export const describe = t.describe, suite = t.suite, it = t.it, test = t.test;
export const beforeAll = t.beforeAll, afterAll = t.afterAll, beforeEach = t.beforeEach, afterEach = t.afterEach;
export const expect = t.expect, assert = t.assert, chai = t.chai, vi = t.vi, vitest = t.vitest;
export const onTestFinished = t.onTestFinished;
