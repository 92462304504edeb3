// ChaCha20 from @noble/ciphers for random.ts, require()d on first use (tree-shaken;
// its setup runs when a script first asks for random bytes).
export { chacha20 } from "@noble/ciphers/chacha.js";
