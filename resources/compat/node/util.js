// node:util for nodejs_compat: unenv's module, plus callbackify and _extend
// (unenv leaves them "not implemented"; workerd has them).
import * as base from "unenv/node/util";

export * from "unenv/node/util";

export function callbackify(original) {
  if (typeof original !== "function") throw new TypeError('The "original" argument must be of type function');
  return function (...args) {
    const callback = args.pop();
    if (typeof callback !== "function") throw new TypeError("The last argument must be of type function");
    original.apply(this, args).then(
      (value) => queueMicrotask(() => callback(null, value)),
      (reason) => queueMicrotask(() => callback(reason ?? new Error("Promise was rejected with a falsy value"))),
    );
  };
}

export function _extend(target, source) {
  if (source === null || typeof source !== "object") return target;
  for (const key of Object.keys(source)) target[key] = source[key];
  return target;
}

export default { ...base.default, callbackify, _extend };
