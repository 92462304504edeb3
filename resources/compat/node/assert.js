// node:assert for nodejs_compat: unenv's module, with AssertionError named as in Node.
// CommonJS on purpose: `require("assert")` must be the callable assert itself (as in Node and
// workerd: `const assert = require("assert"); assert(ok)`); named ESM imports still work.
"use strict";

const unenv = require("unenv/node/assert");
const assert = unenv.default;

Object.defineProperty(unenv.AssertionError.prototype, "name", { value: "AssertionError", writable: true,
  configurable: true });
module.exports = assert;
