// SHA-1 and SHA-2 (256/384/512) in plain JS, for crypto.subtle.digest.
// Hand-written (about 2 kB minified) because V8 has no hashing built in and a
// general crypto package would cost more to parse than the whole prelude.
// SHA-512 runs on pairs of 32-bit halves. Constants: FIPS 180-4, section 4.2.
const K512_HEX =
  "428a2f98d728ae227137449123ef65cdb5c0fbcfec4d3b2fe9b5dba58189dbbc3956c25bf348b53859f111f1b605d019923f82a4af194f9bab1c5ed5da6d8118" +
  "d807aa98a303024212835b0145706fbe243185be4ee4b28c550c7dc3d5ffb4e272be5d74f27b896f80deb1fe3b1696b19bdc06a725c71235c19bf174cf692694" +
  "e49b69c19ef14ad2efbe4786384f25e30fc19dc68b8cd5b5240ca1cc77ac9c652de92c6f592b02754a7484aa6ea6e4835cb0a9dcbd41fbd476f988da831153b5" +
  "983e5152ee66dfaba831c66d2db43210b00327c898fb213fbf597fc7beef0ee4c6e00bf33da88fc2d5a79147930aa72506ca6351e003826f142929670a0e6e70" +
  "27b70a8546d22ffc2e1b21385c26c9264d2c6dfc5ac42aed53380d139d95b3df650a73548baf63de766a0abb3c77b2a881c2c92e47edaee692722c851482353b" +
  "a2bfe8a14cf10364a81a664bbc423001c24b8b70d0f89791c76c51a30654be30d192e819d6ef5218d69906245565a910f40e35855771202a106aa07032bbd1b8" +
  "19a4c116b8d2d0c81e376c085141ab532748774cdf8eeb9934b0bcb5e19b48a8391c0cb3c5c95a634ed8aa4ae3418acb5b9cca4f7763e373682e6ff3d6b2b8a3" +
  "748f82ee5defb2fc78a5636f43172f6084c87814a1f0ab728cc702081a6439ec90befffa23631e28a4506cebde82bde9bef9a3f7b2c67915c67178f2e372532b" +
  "ca273eceea26619cd186b8c721c0c207eada7dd6cde0eb1ef57d4f7fee6ed17806f067aa72176fba0a637dc5a2c898a6113f9804bef90dae1b710b35131c471b" +
  "28db77f523047d8432caab7b40c724933c9ebe0a15c9bebc431d67c49c100d4c4cc5d4becb3e42b6597f299cfc657e2a5fcb6fab3ad6faec6c44198c4a475817";
const H512_HEX =
  "6a09e667f3bcc908bb67ae8584caa73b3c6ef372fe94f82ba54ff53a5f1d36f1510e527fade682d19b05688c2b3e6c1f1f83d9abfb41bd6b5be0cd19137e2179";
const H384_HEX =
  "cbbb9d5dc1059ed8629a292a367cd5079159015a3070dd17152fecd8f70e593967332667ffc00b318eb44a8768581511db0c2e0d64f98fa747b5481dbefa4fa4";

const words = (hex: string): Int32Array => {
  const out = new Int32Array(hex.length / 8);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(hex.slice(i * 8, i * 8 + 8), 16) | 0;
  return out;
};
let K512: Int32Array | null = null;
let K256: Int32Array | null = null;

/** Pad a message for a Merkle–Damgård hash with `block`-byte blocks, big-endian length. */
function pad(msg: Uint8Array, block: number): DataView {
  const lenField = block === 64 ? 8 : 16;
  const total = Math.ceil((msg.length + 1 + lenField) / block) * block;
  const out = new Uint8Array(total);
  out.set(msg);
  out[msg.length] = 0x80;
  const dv = new DataView(out.buffer);
  const bits = msg.length * 8;
  dv.setUint32(total - 4, bits >>> 0);
  dv.setUint32(total - 8, Math.floor(bits / 0x100000000));
  return dv;
}

function output(h: Int32Array, bytes: number): ArrayBuffer {
  const out = new DataView(new ArrayBuffer(bytes));
  for (let i = 0; i * 4 < bytes; i++) out.setInt32(i * 4, h[i]!);
  return out.buffer;
}

function sha1(msg: Uint8Array): ArrayBuffer {
  const dv = pad(msg, 64);
  const h = new Int32Array([0x67452301, 0xefcdab89 | 0, 0x98badcfe | 0, 0x10325476, 0xc3d2e1f0 | 0]);
  const w = new Int32Array(80);
  for (let off = 0; off < dv.byteLength; off += 64) {
    for (let i = 0; i < 16; i++) w[i] = dv.getInt32(off + i * 4);
    for (let i = 16; i < 80; i++) { const x = w[i - 3]! ^ w[i - 8]! ^ w[i - 14]! ^ w[i - 16]!; w[i] = (x << 1) | (x >>> 31); }
    let a = h[0]!, b = h[1]!, c = h[2]!, d = h[3]!, e = h[4]!;
    for (let i = 0; i < 80; i++) {
      const f = i < 20 ? ((b & c) | (~b & d)) + 0x5a827999
        : i < 40 ? (b ^ c ^ d) + 0x6ed9eba1
        : i < 60 ? ((b & c) | (b & d) | (c & d)) + 0x8f1bbcdc
        : (b ^ c ^ d) + 0xca62c1d6;
      const t = (((a << 5) | (a >>> 27)) + f + e + w[i]!) | 0;
      e = d; d = c; c = (b << 30) | (b >>> 2); b = a; a = t;
    }
    h[0] = h[0]! + a; h[1] = h[1]! + b; h[2] = h[2]! + c; h[3] = h[3]! + d; h[4] = h[4]! + e;
  }
  return output(h, 20);
}

function sha256(msg: Uint8Array): ArrayBuffer {
  if (!K256) { const k = (K512 ??= words(K512_HEX)); K256 = new Int32Array(64); for (let i = 0; i < 64; i++) K256[i] = k[i * 2]!; }
  const K = K256;
  const H = words(H512_HEX);
  const h = new Int32Array(8);
  for (let i = 0; i < 8; i++) h[i] = H[i * 2]!;
  const dv = pad(msg, 64);
  const w = new Int32Array(64);
  const rotr = (x: number, n: number): number => (x >>> n) | (x << (32 - n));
  for (let off = 0; off < dv.byteLength; off += 64) {
    for (let i = 0; i < 16; i++) w[i] = dv.getInt32(off + i * 4);
    for (let i = 16; i < 64; i++) {
      const x = w[i - 15]!, y = w[i - 2]!;
      const s0 = rotr(x, 7) ^ rotr(x, 18) ^ (x >>> 3);
      const s1 = rotr(y, 17) ^ rotr(y, 19) ^ (y >>> 10);
      w[i] = (w[i - 16]! + s0 + w[i - 7]! + s1) | 0;
    }
    let a = h[0]!, b = h[1]!, c = h[2]!, d = h[3]!, e = h[4]!, f = h[5]!, g = h[6]!, hh = h[7]!;
    for (let i = 0; i < 64; i++) {
      const S1 = rotr(e, 6) ^ rotr(e, 11) ^ rotr(e, 25);
      const t1 = (hh + S1 + ((e & f) ^ (~e & g)) + K[i]! + w[i]!) | 0;
      const S0 = rotr(a, 2) ^ rotr(a, 13) ^ rotr(a, 22);
      const t2 = (S0 + ((a & b) ^ (a & c) ^ (b & c))) | 0;
      hh = g; g = f; f = e; e = (d + t1) | 0; d = c; c = b; b = a; a = (t1 + t2) | 0;
    }
    h[0] = h[0]! + a; h[1] = h[1]! + b; h[2] = h[2]! + c; h[3] = h[3]! + d;
    h[4] = h[4]! + e; h[5] = h[5]! + f; h[6] = h[6]! + g; h[7] = h[7]! + hh;
  }
  return output(h, 32);
}

function sha512(msg: Uint8Array, outBytes: 48 | 64): ArrayBuffer {
  const K = (K512 ??= words(K512_HEX));
  const h = words(outBytes === 64 ? H512_HEX : H384_HEX); // [hi0, lo0, hi1, lo1, ...]
  const dv = pad(msg, 128);
  const w = new Int32Array(160);
  const v = new Int32Array(16); // working vars a..h as hi/lo pairs
  for (let off = 0; off < dv.byteLength; off += 128) {
    for (let i = 0; i < 32; i++) w[i] = dv.getInt32(off + i * 4);
    for (let i = 16; i < 80; i++) {
      // s0 = rotr1 ^ rotr8 ^ shr7 of w[i-15]; s1 = rotr19 ^ rotr61 ^ shr6 of w[i-2]
      const xh = w[(i - 15) * 2]!, xl = w[(i - 15) * 2 + 1]!;
      const s0h = ((xh >>> 1) | (xl << 31)) ^ ((xh >>> 8) | (xl << 24)) ^ (xh >>> 7);
      const s0l = ((xl >>> 1) | (xh << 31)) ^ ((xl >>> 8) | (xh << 24)) ^ ((xl >>> 7) | (xh << 25));
      const yh = w[(i - 2) * 2]!, yl = w[(i - 2) * 2 + 1]!;
      const s1h = ((yh >>> 19) | (yl << 13)) ^ ((yl >>> 29) | (yh << 3)) ^ (yh >>> 6);
      const s1l = ((yl >>> 19) | (yh << 13)) ^ ((yh >>> 29) | (yl << 3)) ^ ((yl >>> 6) | (yh << 26));
      const lo = (w[(i - 16) * 2 + 1]! >>> 0) + (s0l >>> 0) + (w[(i - 7) * 2 + 1]! >>> 0) + (s1l >>> 0);
      const hi = w[(i - 16) * 2]! + s0h + w[(i - 7) * 2]! + s1h + Math.floor(lo / 0x100000000);
      w[i * 2] = hi | 0; w[i * 2 + 1] = lo | 0;
    }
    v.set(h);
    for (let i = 0; i < 80; i++) {
      const ah = v[0]!, al = v[1]!, bh = v[2]!, bl = v[3]!, ch = v[4]!, cl = v[5]!;
      const eh = v[8]!, el = v[9]!, fh = v[10]!, fl = v[11]!, gh = v[12]!, gl = v[13]!;
      // S1 = rotr14 ^ rotr18 ^ rotr41 (e); S0 = rotr28 ^ rotr34 ^ rotr39 (a)
      const S1h = ((eh >>> 14) | (el << 18)) ^ ((eh >>> 18) | (el << 14)) ^ ((el >>> 9) | (eh << 23));
      const S1l = ((el >>> 14) | (eh << 18)) ^ ((el >>> 18) | (eh << 14)) ^ ((eh >>> 9) | (el << 23));
      const S0h = ((ah >>> 28) | (al << 4)) ^ ((al >>> 2) | (ah << 30)) ^ ((al >>> 7) | (ah << 25));
      const S0l = ((al >>> 28) | (ah << 4)) ^ ((ah >>> 2) | (al << 30)) ^ ((ah >>> 7) | (al << 25));
      const chh = (eh & fh) ^ (~eh & gh), chl = (el & fl) ^ (~el & gl);
      const mjh = (ah & bh) ^ (ah & ch) ^ (bh & ch), mjl = (al & bl) ^ (al & cl) ^ (bl & cl);
      const t1l = (v[15]! >>> 0) + (S1l >>> 0) + (chl >>> 0) + (K[i * 2 + 1]! >>> 0) + (w[i * 2 + 1]! >>> 0);
      const t1h = v[14]! + S1h + chh + K[i * 2]! + w[i * 2]! + Math.floor(t1l / 0x100000000);
      const t2l = (S0l >>> 0) + (mjl >>> 0);
      const t2h = S0h + mjh + Math.floor(t2l / 0x100000000);
      // shift: h=g, g=f, f=e, e=d+t1, d=c, c=b, b=a, a=t1+t2
      v.copyWithin(2, 0, 14);
      const el2 = (v[9]! >>> 0) + (t1l >>> 0);
      v[8] = (v[8]! + t1h + Math.floor(el2 / 0x100000000)) | 0; v[9] = el2 | 0;
      const al2 = (t1l >>> 0) + (t2l >>> 0);
      v[0] = (t1h + t2h + Math.floor(al2 / 0x100000000)) | 0; v[1] = al2 | 0;
    }
    for (let i = 0; i < 16; i += 2) {
      const lo = (h[i + 1]! >>> 0) + (v[i + 1]! >>> 0);
      h[i] = (h[i]! + v[i]! + Math.floor(lo / 0x100000000)) | 0; h[i + 1] = lo | 0;
    }
  }
  return output(h, outBytes);
}

/** Digest `data` with a SHA algorithm by its canonical upper-case name, or null if unknown. */
export function shaDigest(name: string, data: Uint8Array): ArrayBuffer | null {
  switch (name) {
    case "SHA-1": return sha1(data);
    case "SHA-256": return sha256(data);
    case "SHA-384": return sha512(data, 48);
    case "SHA-512": return sha512(data, 64);
    default: return null;
  }
}
