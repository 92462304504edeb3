// node:assert for nodejs_compat: unenv's module, with AssertionError named as in Node.
import assert, { AssertionError } from "unenv/node/assert";

export * from "unenv/node/assert";

Object.defineProperty(AssertionError.prototype, "name", { value: "AssertionError", writable: true, configurable: true });
export default assert;
