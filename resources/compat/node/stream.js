// node:stream for nodejs_compat: readable-stream, the userland copy of Node's own
// streams (unenv ships only stubs, as workerd implements it natively).
// CommonJS on purpose: `require("stream")` must give the Stream constructor itself, as in Node
// and workerd (libraries such as jws call util.inherits(X, require("stream"))); an ES module's
// require() would give its namespace object. ESM imports of the names still work (esbuild's interop).
"use strict";

module.exports = require("readable-stream/lib/stream.js");
