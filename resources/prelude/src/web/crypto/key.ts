// CryptoKey: the algorithm, usages and extractability a script sees, and the key
// material it never sees. Material lives in a module-private WeakMap (no property,
// no symbol, no getter reaches it): raw bytes for secret keys, and for public and
// private keys the DER (SPKI / PKCS #8) the host made when it imported or
// generated them. Only exportKey/wrapKey of an extractable key hands it out.
// The WeakMap's methods are captured before any script runs, so replacing
// WeakMap.prototype.get does not hand a script the table. (A script can still
// watch its own keys pass to the host by replacing other built-ins, as it could
// wrap crypto.subtle itself: the boundary is between isolates, which share nothing.)
import { tag } from "../util";

export type KeyType = "secret" | "public" | "private";
export type Usage = "encrypt" | "decrypt" | "sign" | "verify" | "deriveKey" | "deriveBits" | "wrapKey" | "unwrapKey";
export const USAGES: readonly Usage[] = ["encrypt", "decrypt", "sign", "verify", "deriveKey", "deriveBits", "wrapKey", "unwrapKey"];

/** What the host needs to know of a key's algorithm (plain JSON). */
export interface KeyAlgorithm {
  name: string;
  length?: number;
  hash?: { name: string };
  namedCurve?: string;
  modulusLength?: number;
  publicExponent?: Uint8Array;
}

interface Slots { type: KeyType; extractable: boolean; algorithm: KeyAlgorithm; usages: Usage[]; material: Uint8Array;
  algorithmView: object | null; usagesView: Usage[] | null }
const table = new WeakMap<object, Slots>();
const call = Function.prototype.call;
const wmGet = call.bind(WeakMap.prototype.get) as (m: WeakMap<object, Slots>, k: object) => Slots | undefined;
const wmSet = call.bind(WeakMap.prototype.set) as (m: WeakMap<object, Slots>, k: object, v: Slots) => void;
const wmHas = call.bind(WeakMap.prototype.has) as (m: WeakMap<object, Slots>, k: object) => boolean;
const slots = {
  get: (k: object) => wmGet(table, k),
  set: (k: object, v: Slots) => wmSet(table, k, v),
  has: (k: object) => wmHas(table, k),
};
let constructing = false;

export class CryptoKey {
  constructor() {
    if (!constructing) throw new TypeError("Illegal constructor");
  }
  get type(): KeyType { return own(this).type; }
  get extractable(): boolean { return own(this).extractable; }
  get algorithm(): object {
    const s = own(this);
    if (!s.algorithmView) s.algorithmView = view(s.algorithm);
    return s.algorithmView;
  }
  get usages(): Usage[] {
    const s = own(this);
    if (!s.usagesView) s.usagesView = s.usages.slice();
    return s.usagesView;
  }
}
tag(CryptoKey, "CryptoKey");
for (const k of ["type", "extractable", "algorithm", "usages"]) {
  Object.defineProperty(CryptoKey.prototype, k, { enumerable: true });
}

function own(k: unknown): Slots {
  const s = typeof k === "object" && k !== null ? slots.get(k) : undefined;
  if (!s) throw new TypeError("Illegal invocation: not a CryptoKey");
  return s;
}

/** A script-visible copy of the algorithm (publicExponent as a fresh Uint8Array). */
function view(a: KeyAlgorithm): object {
  const out: Record<string, unknown> = { name: a.name };
  if (a.modulusLength !== undefined) out.modulusLength = a.modulusLength;
  if (a.publicExponent !== undefined) out.publicExponent = a.publicExponent.slice();
  if (a.hash !== undefined) out.hash = { name: a.hash.name };
  if (a.length !== undefined) out.length = a.length;
  if (a.namedCurve !== undefined) out.namedCurve = a.namedCurve;
  return out;
}

export function makeKey(type: KeyType, extractable: boolean, algorithm: KeyAlgorithm, usages: Usage[], material: Uint8Array): CryptoKey {
  constructing = true;
  let key: CryptoKey;
  try { key = new CryptoKey(); } finally { constructing = false; }
  const sorted = USAGES.filter((u) => usages.includes(u));
  slots.set(key, { type, extractable, algorithm, usages: sorted, material, algorithmView: null, usagesView: null });
  return key;
}

export function isKey(v: unknown): v is CryptoKey {
  return typeof v === "object" && v !== null && slots.has(v);
}

/** The internal slots of a key (prelude only). */
export function keySlots(k: CryptoKey): Readonly<Slots> { return own(k); }
