// node:buffer for nodejs_compat: unenv's Buffer (a port of feross/buffer). Unlike unenv's
// module, Blob and File are read from the globals when used, so a runtime without File
// does not fail while the module loads.
import { notImplemented } from "unenv/_internal/utils";
import { Buffer as UnenvBuffer, INSPECT_MAX_BYTES, SlowBuffer, kMaxLength } from "unenv/node/internal/buffer/buffer";

export { INSPECT_MAX_BYTES, SlowBuffer, kMaxLength };

// base64url, which Node and workerd have and the ported Buffer lacks (its base64 decoder
// already reads the URL-safe alphabet).
const isB64url = (encoding) => typeof encoding === "string" && encoding.toLowerCase() === "base64url";
if (!UnenvBuffer.isEncoding("base64url")) {
  const { toString, write } = UnenvBuffer.prototype;
  const { from, byteLength, isEncoding } = UnenvBuffer;
  UnenvBuffer.prototype.toString = function (encoding, start, end) {
    if (!isB64url(encoding)) return toString.apply(this, arguments);
    return toString.call(this, "base64", start, end).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  };
  UnenvBuffer.prototype.write = function (string, offset, length, encoding) {
    const args = [...arguments].map((a) => (isB64url(a) ? "base64" : a));
    return write.apply(this, args);
  };
  UnenvBuffer.from = function (value, encodingOrOffset, length) {
    return from.call(this, value, isB64url(encodingOrOffset) ? "base64" : encodingOrOffset, length);
  };
  UnenvBuffer.byteLength = function (string, encoding) {
    return byteLength.call(this, string, isB64url(encoding) ? "base64" : encoding);
  };
  UnenvBuffer.isEncoding = (encoding) => isB64url(encoding) || isEncoding(encoding);
}
export const Buffer = globalThis.Buffer || UnenvBuffer;
export const Blob = globalThis.Blob;
export const File = globalThis.File;
export const atob = globalThis.atob.bind(globalThis);
export const btoa = globalThis.btoa.bind(globalThis);
export const kStringMaxLength = 0x1fffffe8;
export const constants = { MAX_LENGTH: kMaxLength, MAX_STRING_LENGTH: kStringMaxLength };
export const resolveObjectURL = /* @__PURE__ */ notImplemented("buffer.resolveObjectURL");
export const transcode = /* @__PURE__ */ notImplemented("buffer.transcode");
export function isUtf8(input) {
  try { new TextDecoder("utf-8", { fatal: true }).decode(input); return true; } catch { return false; }
}
export function isAscii(input) {
  const bytes = ArrayBuffer.isView(input) ? new Uint8Array(input.buffer, input.byteOffset, input.byteLength) : new Uint8Array(input);
  for (let i = 0; i < bytes.length; i++) if (bytes[i] > 0x7f) return false;
  return true;
}
export default { Buffer, SlowBuffer, kMaxLength, INSPECT_MAX_BYTES, Blob, File, atob, btoa, kStringMaxLength, constants,
  resolveObjectURL, transcode, isUtf8, isAscii };
