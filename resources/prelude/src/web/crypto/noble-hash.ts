// The hashes of @noble/hashes the prelude uses, in one module that digest.ts
// require()s on first use: esbuild keeps only these exports (tree-shaken) and the
// library's setup (constant tables, ~1.5 ms) runs only when a script first hashes.
export { md5, sha1 } from "@noble/hashes/legacy.js";
export { sha256, sha384, sha512 } from "@noble/hashes/sha2.js";
