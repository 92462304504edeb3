// expect(): chai with @vitest/expect's Jest matchers, set up the way vitest does.

import * as chai from "chai";
import {
  ASYMMETRIC_MATCHERS_OBJECT, GLOBAL_EXPECT, JestAsymmetricMatchers, JestChaiExpect, JestExtend, getState, setState,
} from "@vitest/expect";
import { installSnapshotMatchers } from "./snapshot";

chai.use(JestExtend);
chai.use(JestChaiExpect);
chai.use(JestAsymmetricMatchers);
installSnapshotMatchers(chai);

export interface TaskRef { type: "test"; name: string; fullTestName: string; promises?: Promise<unknown>[] }
let currentTask: TaskRef | null = null;

export function setCurrentTask(task: TaskRef | null): void { currentTask = task; }

export const expect: any = (value: unknown, message?: string) => {
  const { assertionCalls } = getState(expect);
  setState({ assertionCalls: assertionCalls + 1 }, expect);
  const assertion = chai.expect(value, message) as any;
  return currentTask ? assertion.withTest(currentTask) : assertion;
};
Object.assign(expect, chai.expect);
Object.assign(expect, (globalThis as any)[ASYMMETRIC_MATCHERS_OBJECT]);
expect.getState = () => getState(expect);
expect.setState = (state: object) => setState(state, expect);
expect.extend = (matchers: object) => (chai.expect as any).extend(expect, matchers);
expect.soft = (value: unknown, message?: string) => expect(value, message).withContext({ soft: true });
expect.unreachable = (message?: string) => {
  chai.assert.fail(`expected${message ? ` "${message}" ` : " "}not to be reached`);
};
expect.assertions = (n: number) => setState({ expectedAssertionsNumber: n, expectedAssertionsNumberErrorGen: () => new Error(`expected number of assertions to be ${n}, but got ${getState(expect).assertionCalls}`) }, expect);
expect.hasAssertions = () => setState({ isExpectingAssertions: true, isExpectingAssertionsError: new Error("expected any number of assertion, but got none") }, expect);
(globalThis as any)[GLOBAL_EXPECT] = expect;

export function resetExpectState(name: string): void {
  setState({
    assertionCalls: 0, isExpectingAssertions: false, isExpectingAssertionsError: null,
    expectedAssertionsNumber: null, expectedAssertionsNumberErrorGen: null, currentTestName: name,
  }, expect);
}

/** The error the assertion counters call for after a test body, if any. */
export function assertionCountError(): unknown {
  const s = getState(expect) as any;
  if (s.expectedAssertionsNumber !== null && s.assertionCalls !== s.expectedAssertionsNumber) return s.expectedAssertionsNumberErrorGen();
  if (s.isExpectingAssertions && s.assertionCalls === 0) return s.isExpectingAssertionsError;
  return null;
}

export const assert = chai.assert;
export { chai };
