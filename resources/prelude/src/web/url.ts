// URL and URLSearchParams: a direct port of the WHATWG URL Standard's basic URL
// parser (state machine, including state overrides for the setters), host
// parsing (IPv4 with hex/octal parts, IPv6 with compression, UTS #46 IDNA via
// the `tr46` package, loaded on first non-ASCII or `xn--` host) and
// application/x-www-form-urlencoded.
//
// The parser is ours rather than `whatwg-url`'s: that package adds
// webidl-conversions and its wrapper layer (~40 kB minified before tr46) to
// every isolate and costs more per parse on the request path; the URL data of
// the Web Platform Tests (bench/conformance.py, areas url*) checks this one.
import { uts46ToASCII } from "./idna";
import { tag, utf8Decode, utf8Encode } from "./util";

interface Rec {
  scheme: string; username: string; password: string;
  host: string | null; port: number | null;
  path: string[] | string; // a string is an opaque path
  query: string | null; fragment: string | null;
}

const SPECIAL: Record<string, number | null> = { ftp: 21, file: null, http: 80, https: 443, ws: 80, wss: 443 };
const isSpecialScheme = (s: string): boolean => Object.prototype.hasOwnProperty.call(SPECIAL, s);

// ---- percent-encode sets ---------------------------------------------------
type CpSet = (c: number) => boolean;
const C0: CpSet = (c) => c < 0x20 || c > 0x7e;
const FRAGMENT: CpSet = (c) => C0(c) || c === 0x20 || c === 0x22 || c === 0x3c || c === 0x3e || c === 0x60;
const QUERY: CpSet = (c) => C0(c) || c === 0x20 || c === 0x22 || c === 0x23 || c === 0x3c || c === 0x3e;
const SPECIAL_QUERY: CpSet = (c) => QUERY(c) || c === 0x27;
const PATH: CpSet = (c) => QUERY(c) || c === 0x3f || c === 0x5e || c === 0x60 || c === 0x7b || c === 0x7d;
const USERINFO: CpSet = (c) => PATH(c) || c === 0x2f || c === 0x3a || c === 0x3b || c === 0x3d || c === 0x40 || (c >= 0x5b && c <= 0x5e) || c === 0x7c;
const COMPONENT: CpSet = (c) => USERINFO(c) || (c >= 0x24 && c <= 0x26) || c === 0x2b || c === 0x2c;
const FORM: CpSet = (c) => COMPONENT(c) || c === 0x21 || (c >= 0x27 && c <= 0x29) || c === 0x7e;

const HEX = "0123456789ABCDEF";
const pctByte = (b: number): string => "%" + HEX[b >> 4] + HEX[b & 15];

function pctEncodeCp(c: number, set: CpSet): string {
  const s = String.fromCodePoint(c);
  if (!set(c)) return s;
  let out = "";
  for (const b of utf8Encode(s)) out += pctByte(b);
  return out;
}

function pctEncodeString(s: string, set: CpSet): string {
  let out = "";
  for (const ch of s) out += pctEncodeCp(ch.codePointAt(0)!, set);
  return out;
}

function pctDecodeBytes(s: string): Uint8Array {
  const b = utf8Encode(s);
  const out = new Uint8Array(b.length);
  let o = 0;
  for (let i = 0; i < b.length; i++) {
    const c = b[i]!;
    if (c === 0x25 && i + 2 < b.length + 0 && isHex(b[i + 1]!) && isHex(b[i + 2]!)) {
      out[o++] = parseInt(String.fromCharCode(b[i + 1]!, b[i + 2]!), 16);
      i += 2;
    } else out[o++] = c;
  }
  return out.subarray(0, o);
}
const pctDecodeString = (s: string): string => utf8Decode(pctDecodeBytes(s))!;

// ---- code point classes ------------------------------------------------------
const isDigit = (c: number): boolean => c >= 0x30 && c <= 0x39;
const isAlpha = (c: number): boolean => (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a);
const isHex = (c: number): boolean => isDigit(c) || (c >= 0x41 && c <= 0x46) || (c >= 0x61 && c <= 0x66);
const FORBIDDEN_HOST = /[\u0000\t\n\r #/:<>?@[\\\]^|]/;
const FORBIDDEN_DOMAIN = /[\u0000-\u001f #%/:<>?@[\\\]^|\u007f]/;

const isWinLetter = (s: string): boolean => s.length === 2 && isAlpha(s.charCodeAt(0)) && (s[1] === ":" || s[1] === "|");
const isNormWinLetter = (s: string): boolean => s.length === 2 && isAlpha(s.charCodeAt(0)) && s[1] === ":";
function startsWithWinLetter(c: number[], p: number): boolean {
  if (c.length - p < 2) return false;
  if (!isAlpha(c[p]!) || (c[p + 1] !== 0x3a && c[p + 1] !== 0x7c)) return false;
  if (c.length - p === 2) return true;
  const t = c[p + 2];
  return t === 0x2f || t === 0x5c || t === 0x3f || t === 0x23;
}
const isSingleDot = (s: string): boolean => s === "." || s.toLowerCase() === "%2e";
const isDoubleDot = (s: string): boolean => {
  const l = s.toLowerCase();
  return l === ".." || l === ".%2e" || l === "%2e." || l === "%2e%2e";
};

// ---- hosts ---------------------------------------------------------------
function parseIPv4Number(s: string): number | null {
  if (s === "") return null;
  let radix = 10;
  if (s.length >= 2 && s[0] === "0" && (s[1] === "x" || s[1] === "X")) { s = s.slice(2); radix = 16; }
  else if (s.length >= 2 && s[0] === "0") { s = s.slice(1); radix = 8; }
  if (s === "") return 0;
  const re = radix === 10 ? /^[0-9]+$/ : radix === 16 ? /^[0-9a-fA-F]+$/ : /^[0-7]+$/;
  return re.test(s) ? parseInt(s, radix) : null;
}

function endsInNumber(s: string): boolean {
  const parts = s.split(".");
  if (parts[parts.length - 1] === "") { if (parts.length === 1) return false; parts.pop(); }
  const last = parts[parts.length - 1]!;
  if (last !== "" && /^[0-9]+$/.test(last)) return true;
  return parseIPv4Number(last) !== null;
}

function parseIPv4(s: string): string | null {
  const parts = s.split(".");
  if (parts[parts.length - 1] === "" && parts.length > 1) parts.pop();
  if (parts.length > 4) return null;
  const nums: number[] = [];
  for (const part of parts) { const n = parseIPv4Number(part); if (n === null) return null; nums.push(n); }
  for (let i = 0; i < nums.length - 1; i++) if (nums[i]! > 255) return null;
  if (nums[nums.length - 1]! >= 256 ** (5 - nums.length)) return null;
  let v = nums[nums.length - 1]!;
  for (let i = 0; i < nums.length - 1; i++) v += nums[i]! * 256 ** (3 - i);
  return [v >>> 24, (v >>> 16) & 255, (v >>> 8) & 255, v & 255].join(".");
}

function parseIPv6(s: string): number[] | null {
  const a = [0, 0, 0, 0, 0, 0, 0, 0];
  let piece = 0, compress: number | null = null, p = 0;
  const c = (i: number): number => (i < s.length ? s.charCodeAt(i) : -1);
  if (c(p) === 0x3a) {
    if (c(p + 1) !== 0x3a) return null;
    p += 2; piece++; compress = piece;
  }
  while (c(p) !== -1) {
    if (piece === 8) return null;
    if (c(p) === 0x3a) {
      if (compress !== null) return null;
      p++; piece++; compress = piece; continue;
    }
    let value = 0, length = 0;
    while (length < 4 && isHex(c(p))) { value = value * 16 + parseInt(s[p]!, 16); p++; length++; }
    if (c(p) === 0x2e) {
      if (length === 0) return null;
      p -= length;
      if (piece > 6) return null;
      let seen = 0;
      while (c(p) !== -1) {
        let v4: number | null = null;
        if (seen > 0) { if (c(p) === 0x2e && seen < 4) p++; else return null; }
        if (!isDigit(c(p))) return null;
        while (isDigit(c(p))) {
          const n = c(p) - 0x30;
          if (v4 === null) v4 = n; else if (v4 === 0) return null; else v4 = v4 * 10 + n;
          if (v4 > 255) return null;
          p++;
        }
        a[piece] = a[piece]! * 0x100 + v4!;
        seen++;
        if (seen === 2 || seen === 4) piece++;
      }
      if (seen !== 4) return null;
      break;
    } else if (c(p) === 0x3a) {
      p++;
      if (c(p) === -1) return null;
    } else if (c(p) !== -1) return null;
    a[piece] = value;
    piece++;
  }
  if (compress !== null) {
    let swaps = piece - compress;
    piece = 7;
    while (piece !== 0 && swaps > 0) {
      const j = compress + swaps - 1;
      const t = a[piece]!; a[piece] = a[j]!; a[j] = t;
      piece--; swaps--;
    }
  } else if (piece !== 8) return null;
  return a;
}

function serializeIPv6(a: number[]): string {
  let best = -1, bestLen = 1;
  for (let i = 0; i < 8;) {
    if (a[i] !== 0) { i++; continue; }
    let j = i;
    while (j < 8 && a[j] === 0) j++;
    if (j - i > bestLen) { best = i; bestLen = j - i; }
    i = j;
  }
  let out = "";
  for (let i = 0; i < 8; i++) {
    if (i === best) { out += i === 0 ? "::" : ":"; i += bestLen - 1; continue; }
    out += a[i]!.toString(16) + (i < 7 ? ":" : "");
  }
  return out;
}

const NON_ASCII = /[^\u0000-\u007f]/;
const ASCII_UPPER = /[A-Z]/g;

/** The URL Standard's "domain to ASCII" with beStrict = false. The current
 * standard only lowercases an all-ASCII domain (`xn--` labels included: the WPT
 * data expect `http://xn--a/` to parse), so only a non-ASCII host loads tr46. */
function domainToASCII(domain: string): string | null {
  let d: string | null;
  if (!NON_ASCII.test(domain)) {
    d = domain.replace(ASCII_UPPER, (ch) => String.fromCharCode(ch.charCodeAt(0) + 32));
  } else {
    d = uts46ToASCII(domain);
  }
  return d === "" ? null : d;
}

function parseHost(input: string, notSpecial: boolean): string | null {
  if (input.startsWith("[")) {
    if (!input.endsWith("]")) return null;
    const a = parseIPv6(input.slice(1, -1));
    return a ? "[" + serializeIPv6(a) + "]" : null;
  }
  if (notSpecial) return FORBIDDEN_HOST.test(input) ? null : pctEncodeString(input, C0);
  const ascii = domainToASCII(pctDecodeString(input));
  if (ascii === null || FORBIDDEN_DOMAIN.test(ascii)) return null;
  return endsInNumber(ascii) ? parseIPv4(ascii) : ascii;
}

// ---- the basic URL parser --------------------------------------------------
const enum S {
  SchemeStart, Scheme, NoScheme, SpecialRelativeOrAuthority, PathOrAuthority, Relative, RelativeSlash,
  SpecialAuthoritySlashes, SpecialAuthorityIgnoreSlashes, Authority, Host, Hostname, Port, File,
  FileSlash, FileHost, PathStart, Path, OpaquePath, Query, Fragment,
}
const FAIL = null;
const EOF = -1;

function emptyRec(): Rec {
  return { scheme: "", username: "", password: "", host: null, port: null, path: [], query: null, fragment: null };
}
const copyRec = (r: Rec): Rec => ({ ...r, path: Array.isArray(r.path) ? r.path.slice() : r.path });

function shorten(url: Rec): void {
  const path = url.path as string[];
  if (url.scheme === "file" && path.length === 1 && isNormWinLetter(path[0]!)) return;
  path.pop();
}

const hasCredentials = (u: Rec): boolean => u.username !== "" || u.password !== "";

// ---- the common absolute URL, without the state machine ----------------------
// Nearly every URL a server script parses is a request URL such as
// `http://127.0.0.1:8080/app/items?t=1`: plain ASCII that the parser below keeps as
// it is. Such an input is split by one regular expression instead (the state machine
// walks an array of code points: ~6 us a `new URL()` against ~0.5 us in Node). Only
// inputs the full parser would leave unchanged match; everything else takes it:
// uppercase, whitespace, backslashes, credentials, empty or trailing-dot labels, a
// host that is a number (IPv4 parsing) unless it is already a canonical dotted quad,
// a port past 65535 or with a default to drop (dropped here too), dot segments, and
// any character a percent-encode set would change.
const SIMPLE_URL = /^(https?|wss?):\/\/([a-z0-9-]+(?:\.[a-z0-9-]+)*)(?::([0-9]{1,5}))?((?:\/[A-Za-z0-9\-._~!$&'()*+,;=:@%]*)*)(?:\?([A-Za-z0-9\-._~!$&()*+,;=:@%/?]*))?(?:#([A-Za-z0-9\-._~!$&'()*+,;=:@%/?]*))?$/;
const DOT_SEGMENT = /\/(?:\.|%2e){1,2}(?:\/|$)/i;
const NUMERIC_LAST_LABEL = /(?:^|\.)(?:[0-9]+|0x[0-9a-f]*)$/;
const DOTTED_QUAD = /^(?:(?:25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])\.){3}(?:25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])$/;

function simpleParse(input: string): Rec | null {
  const m = SIMPLE_URL.exec(input);
  if (m === null) return null;
  const scheme = m[1]!, host = m[2]!, path = m[4]!;
  if (NUMERIC_LAST_LABEL.test(host) && !DOTTED_QUAD.test(host)) return null;
  if (path !== "" && DOT_SEGMENT.test(path)) return null;
  let port: number | null = null;
  if (m[3] !== undefined) {
    port = +m[3];
    if (port > 65535) return null;
    if (port === SPECIAL[scheme]) port = null;
  }
  return {
    scheme, username: "", password: "", host, port, path: path === "" ? [""] : path.slice(1).split("/"),
    query: m[5] ?? null, fragment: m[6] ?? null,
  };
}

function basicParse(input: string, base: Rec | null, given?: Rec, override?: S): Rec | null {
  let url: Rec;
  if (given === undefined) {
    const simple = simpleParse(input); // a scheme and "//": what `base` holds does not matter
    if (simple !== null) return simple;
  }
  if (given) url = given;
  else {
    url = emptyRec();
    input = input.replace(/^[\u0000-\u0020]+|[\u0000-\u0020]+$/g, "");
  }
  input = input.replace(/[\t\n\r]/g, "");
  const c = Array.from(input, (ch) => ch.codePointAt(0)!);
  let state = override ?? S.SchemeStart;
  let buf = "";
  let atSeen = false, inBrackets = false, pwSeen = false;
  for (let p = 0; p <= c.length; p++) {
    const ch = p < c.length ? c[p]! : EOF;
    const special = isSpecialScheme(url.scheme);
    switch (state) {
      case S.SchemeStart:
        if (isAlpha(ch)) { buf += String.fromCharCode(ch).toLowerCase(); state = S.Scheme; }
        else if (override === undefined) { state = S.NoScheme; p--; }
        else return FAIL;
        break;
      case S.Scheme:
        if (isAlpha(ch) || isDigit(ch) || ch === 0x2b || ch === 0x2d || ch === 0x2e) buf += String.fromCharCode(ch).toLowerCase();
        else if (ch === 0x3a) {
          if (override !== undefined) {
            if (isSpecialScheme(url.scheme) !== isSpecialScheme(buf)) return url;
            if ((hasCredentials(url) || url.port !== null) && buf === "file") return url;
            if (url.scheme === "file" && url.host === "") return url;
          }
          url.scheme = buf;
          if (override !== undefined) {
            if (url.port === SPECIAL[url.scheme]) url.port = null;
            return url;
          }
          buf = "";
          if (url.scheme === "file") state = S.File;
          else if (isSpecialScheme(url.scheme) && base && base.scheme === url.scheme) state = S.SpecialRelativeOrAuthority;
          else if (isSpecialScheme(url.scheme)) state = S.SpecialAuthoritySlashes;
          else if (c[p + 1] === 0x2f) { state = S.PathOrAuthority; p++; }
          else { url.path = ""; state = S.OpaquePath; }
        } else if (override === undefined) { buf = ""; state = S.NoScheme; p = -1; }
        else return FAIL;
        break;
      case S.NoScheme:
        if (!base || (typeof base.path === "string" && ch !== 0x23)) return FAIL;
        if (typeof base.path === "string" && ch === 0x23) {
          url.scheme = base.scheme; url.path = base.path; url.query = base.query; url.fragment = ""; state = S.Fragment;
        } else { state = base.scheme !== "file" ? S.Relative : S.File; p--; }
        break;
      case S.SpecialRelativeOrAuthority:
        if (ch === 0x2f && c[p + 1] === 0x2f) { state = S.SpecialAuthorityIgnoreSlashes; p++; }
        else { state = S.Relative; p--; }
        break;
      case S.PathOrAuthority:
        if (ch === 0x2f) state = S.Authority; else { state = S.Path; p--; }
        break;
      case S.Relative: {
        const b = base!;
        url.scheme = b.scheme;
        if (ch === 0x2f || (isSpecialScheme(url.scheme) && ch === 0x5c)) state = S.RelativeSlash;
        else {
          url.username = b.username; url.password = b.password; url.host = b.host; url.port = b.port;
          url.path = (b.path as string[]).slice(); url.query = b.query;
          if (ch === 0x3f) { url.query = ""; state = S.Query; }
          else if (ch === 0x23) { url.fragment = ""; state = S.Fragment; }
          else if (ch !== EOF) { url.query = null; shorten(url); state = S.Path; p--; }
        }
        break;
      }
      case S.RelativeSlash:
        if (special && (ch === 0x2f || ch === 0x5c)) state = S.SpecialAuthorityIgnoreSlashes;
        else if (ch === 0x2f) state = S.Authority;
        else {
          const b = base!;
          url.username = b.username; url.password = b.password; url.host = b.host; url.port = b.port;
          state = S.Path; p--;
        }
        break;
      case S.SpecialAuthoritySlashes:
        state = S.SpecialAuthorityIgnoreSlashes;
        if (ch === 0x2f && c[p + 1] === 0x2f) p++; else p--;
        break;
      case S.SpecialAuthorityIgnoreSlashes:
        if (ch !== 0x2f && ch !== 0x5c) { state = S.Authority; p--; }
        break;
      case S.Authority:
        if (ch === 0x40) {
          if (atSeen) buf = "%40" + buf;
          atSeen = true;
          for (const x of buf) {
            const cp = x.codePointAt(0)!;
            if (cp === 0x3a && !pwSeen) { pwSeen = true; continue; }
            const enc = pctEncodeCp(cp, USERINFO);
            if (pwSeen) url.password += enc; else url.username += enc;
          }
          buf = "";
        } else if (ch === EOF || ch === 0x2f || ch === 0x3f || ch === 0x23 || (special && ch === 0x5c)) {
          if (atSeen && buf === "") return FAIL;
          p -= Array.from(buf).length + 1;
          buf = "";
          state = S.Host;
        } else buf += String.fromCodePoint(ch);
        break;
      case S.Host:
      case S.Hostname:
        if (override !== undefined && url.scheme === "file") { p--; state = S.FileHost; }
        else if (ch === 0x3a && !inBrackets) {
          if (buf === "") return FAIL;
          if (override === S.Hostname) return FAIL;
          const host = parseHost(buf, !special);
          if (host === null) return FAIL;
          url.host = host; buf = ""; state = S.Port;
        } else if (ch === EOF || ch === 0x2f || ch === 0x3f || ch === 0x23 || (special && ch === 0x5c)) {
          p--;
          if (special && buf === "") return FAIL;
          if (override !== undefined && buf === "" && (hasCredentials(url) || url.port !== null)) return FAIL;
          const host = parseHost(buf, !special);
          if (host === null) return FAIL;
          url.host = host; buf = ""; state = S.PathStart;
          if (override !== undefined) return url;
        } else {
          if (ch === 0x5b) inBrackets = true;
          if (ch === 0x5d) inBrackets = false;
          buf += String.fromCodePoint(ch);
        }
        break;
      case S.Port:
        if (isDigit(ch)) buf += String.fromCharCode(ch);
        else if (ch === EOF || ch === 0x2f || ch === 0x3f || ch === 0x23 || (special && ch === 0x5c) || override !== undefined) {
          if (buf !== "") {
            const port = parseInt(buf, 10);
            if (port > 65535) return FAIL;
            url.port = SPECIAL[url.scheme] === port ? null : port;
            buf = "";
          }
          if (override !== undefined) return url;
          state = S.PathStart; p--;
        } else return FAIL;
        break;
      case S.File:
        url.scheme = "file"; url.host = "";
        if (ch === 0x2f || ch === 0x5c) state = S.FileSlash;
        else if (base && base.scheme === "file") {
          url.host = base.host; url.path = (base.path as string[]).slice(); url.query = base.query;
          if (ch === 0x3f) { url.query = ""; state = S.Query; }
          else if (ch === 0x23) { url.fragment = ""; state = S.Fragment; }
          else if (ch !== EOF) {
            url.query = null;
            if (!startsWithWinLetter(c, p)) shorten(url); else url.path = [];
            state = S.Path; p--;
          }
        } else { state = S.Path; p--; }
        break;
      case S.FileSlash:
        if (ch === 0x2f || ch === 0x5c) state = S.FileHost;
        else {
          if (base && base.scheme === "file") {
            url.host = base.host;
            const b0 = (base.path as string[])[0];
            if (!startsWithWinLetter(c, p) && b0 !== undefined && isNormWinLetter(b0)) (url.path as string[]).push(b0);
          }
          state = S.Path; p--;
        }
        break;
      case S.FileHost:
        if (ch === EOF || ch === 0x2f || ch === 0x5c || ch === 0x3f || ch === 0x23) {
          p--;
          if (override === undefined && isWinLetter(buf)) state = S.Path;
          else if (buf === "") {
            url.host = "";
            if (override !== undefined) return url;
            state = S.PathStart;
          } else {
            let host = parseHost(buf, false);
            if (host === null) return FAIL;
            if (host === "localhost") host = "";
            url.host = host;
            if (override !== undefined) return url;
            buf = ""; state = S.PathStart;
          }
        } else buf += String.fromCodePoint(ch);
        break;
      case S.PathStart:
        if (special) { state = S.Path; if (ch !== 0x2f && ch !== 0x5c) p--; }
        else if (override === undefined && ch === 0x3f) { url.query = ""; state = S.Query; }
        else if (override === undefined && ch === 0x23) { url.fragment = ""; state = S.Fragment; }
        else if (ch !== EOF) { state = S.Path; if (ch !== 0x2f) p--; }
        else if (override !== undefined && url.host === null) (url.path as string[]).push("");
        break;
      case S.Path: {
        const slash = ch === 0x2f || (special && ch === 0x5c);
        if (ch === EOF || slash || (override === undefined && (ch === 0x3f || ch === 0x23))) {
          const path = url.path as string[];
          if (isDoubleDot(buf)) {
            shorten(url);
            if (!slash) path.push("");
          } else if (isSingleDot(buf) && !slash) path.push("");
          else if (!isSingleDot(buf)) {
            if (url.scheme === "file" && path.length === 0 && isWinLetter(buf)) buf = buf[0] + ":";
            path.push(buf);
          }
          buf = "";
          if (ch === 0x3f) { url.query = ""; state = S.Query; }
          if (ch === 0x23) { url.fragment = ""; state = S.Fragment; }
        } else buf += pctEncodeCp(ch, PATH);
        break;
      }
      case S.OpaquePath:
        if (ch === 0x3f) { url.query = ""; state = S.Query; }
        else if (ch === 0x23) { url.fragment = ""; state = S.Fragment; }
        else if (ch === 0x20) url.path += c[p + 1] === 0x3f || c[p + 1] === 0x23 ? "%20" : " ";
        else if (ch !== EOF) url.path += pctEncodeCp(ch, C0);
        break;
      case S.Query:
        if ((override === undefined && ch === 0x23) || ch === EOF) {
          url.query += pctEncodeString(buf, special ? SPECIAL_QUERY : QUERY);
          buf = "";
          if (ch === 0x23) { url.fragment = ""; state = S.Fragment; }
        } else buf += String.fromCodePoint(ch);
        break;
      case S.Fragment:
        if (ch !== EOF) url.fragment += pctEncodeCp(ch, FRAGMENT);
        break;
    }
  }
  return url;
}

function pathString(u: Rec): string {
  return typeof u.path === "string" ? u.path : u.path.map((s) => "/" + s).join("");
}

function serialize(u: Rec, noFragment = false): string {
  let out = u.scheme + ":";
  if (u.host !== null) {
    out += "//";
    if (hasCredentials(u)) out += u.username + (u.password ? ":" + u.password : "") + "@";
    out += u.host;
    if (u.port !== null) out += ":" + u.port;
  } else if (Array.isArray(u.path) && u.path.length > 1 && u.path[0] === "") out += "/.";
  out += pathString(u);
  if (u.query !== null) out += "?" + u.query;
  if (!noFragment && u.fragment !== null) out += "#" + u.fragment;
  return out;
}

function parseOrThrow(url: unknown, base: unknown): Rec {
  let b: Rec | null = null;
  if (base !== undefined) {
    b = basicParse(String(base), null);
    if (!b) throw new TypeError(`Invalid base URL: ${String(base)}`);
  }
  const r = basicParse(String(url), b);
  if (!r) throw new TypeError(`Invalid URL: ${String(url)}`);
  return r;
}

const cannotHaveCreds = (u: Rec): boolean => u.host === null || u.host === "" || u.scheme === "file";

// ---- URL -------------------------------------------------------------------
export class URL {
  #r: Rec;
  #params: URLSearchParams | null = null;

  constructor(url: string | URL, base?: string | URL) {
    if (arguments.length === 0) throw new TypeError("Failed to construct 'URL': 1 argument required, but only 0 present.");
    this.#r = parseOrThrow(url, base);
  }
  static canParse(url: string, base?: string): boolean {
    try { parseOrThrow(url, base); return true; } catch { return false; }
  }
  static parse(url: string, base?: string): URL | null {
    try { return new URL(url, base); } catch { return null; }
  }

  get href(): string { return serialize(this.#r); }
  set href(v: string) {
    const r = basicParse(String(v), null);
    if (!r) throw new TypeError(`Invalid URL: ${String(v)}`);
    this.#r = r;
    this.#params?._reset(r.query ?? "");
  }
  get origin(): string {
    const u = this.#r;
    if (u.scheme === "blob" && typeof u.path === "string") {
      const inner = basicParse(u.path, null);
      return inner && (inner.scheme === "http" || inner.scheme === "https") ? new URL(serialize(inner)).origin : "null";
    }
    if (!isSpecialScheme(u.scheme) || u.scheme === "file") return "null";
    return u.scheme + "://" + u.host + (u.port !== null ? ":" + u.port : "");
  }
  get protocol(): string { return this.#r.scheme + ":"; }
  set protocol(v: string) { this.#apply(String(v) + ":", S.SchemeStart); }
  get username(): string { return this.#r.username; }
  set username(v: string) { if (!cannotHaveCreds(this.#r)) this.#r.username = pctEncodeString(String(v), USERINFO); }
  get password(): string { return this.#r.password; }
  set password(v: string) { if (!cannotHaveCreds(this.#r)) this.#r.password = pctEncodeString(String(v), USERINFO); }
  get host(): string {
    const u = this.#r;
    if (u.host === null) return "";
    return u.port === null ? u.host : u.host + ":" + u.port;
  }
  set host(v: string) { if (typeof this.#r.path !== "string") this.#apply(String(v), S.Host); }
  get hostname(): string { return this.#r.host ?? ""; }
  set hostname(v: string) { if (typeof this.#r.path !== "string") this.#apply(String(v), S.Hostname); }
  get port(): string { return this.#r.port === null ? "" : String(this.#r.port); }
  set port(v: string) {
    if (cannotHaveCreds(this.#r)) return;
    v = String(v);
    if (v === "") this.#r.port = null; else this.#apply(v, S.Port);
  }
  get pathname(): string { return pathString(this.#r); }
  set pathname(v: string) {
    if (typeof this.#r.path === "string") return;
    const copy = copyRec(this.#r);
    copy.path = [];
    if (basicParse(String(v), null, copy, S.PathStart)) this.#r = copy;
  }
  get search(): string { const q = this.#r.query; return q ? "?" + q : ""; }
  set search(v: string) {
    v = String(v);
    if (v === "") { this.#r.query = null; this.#params?._reset(""); return; }
    const input = v[0] === "?" ? v.slice(1) : v;
    const copy = copyRec(this.#r);
    copy.query = "";
    if (basicParse(input, null, copy, S.Query)) this.#r = copy;
    this.#params?._reset(input);
  }
  get searchParams(): URLSearchParams {
    if (!this.#params) {
      this.#params = new URLSearchParams();
      this.#params._reset(this.#r.query ?? "");
      this.#params._link((q) => { this.#r.query = q; });
    }
    return this.#params;
  }
  get hash(): string { const f = this.#r.fragment; return f ? "#" + f : ""; }
  set hash(v: string) {
    v = String(v);
    if (v === "") { this.#r.fragment = null; return; }
    const copy = copyRec(this.#r);
    copy.fragment = "";
    if (basicParse(v[0] === "#" ? v.slice(1) : v, null, copy, S.Fragment)) this.#r = copy;
  }
  toString(): string { return this.href; }
  toJSON(): string { return this.href; }

  // The setters run the parser on this URL in place (as the spec does): what it
  // changed before a failure stays (a valid host before an invalid port).
  #apply(input: string, state: S): void { basicParse(input, null, this.#r, state); }
}
tag(URL, "URL");

// ---- URLSearchParams ---------------------------------------------------------
function formParse(input: string): [string, string][] {
  const out: [string, string][] = [];
  for (const seq of input.split("&")) {
    if (seq === "") continue;
    const eq = seq.indexOf("=");
    const name = eq >= 0 ? seq.slice(0, eq) : seq;
    const value = eq >= 0 ? seq.slice(eq + 1) : "";
    out.push([pctDecodeString(name.replace(/\+/g, " ")), pctDecodeString(value.replace(/\+/g, " "))]);
  }
  return out;
}

function formEncode(s: string): string {
  let out = "";
  for (const b of utf8Encode(s)) {
    if (b === 0x20) out += "+";
    else if (FORM(b)) out += pctByte(b);
    else out += String.fromCharCode(b);
  }
  return out;
}

/** Serialize name/value pairs as application/x-www-form-urlencoded. */
export function formSerialize(list: [string, string][]): string {
  return list.map(([k, v]) => formEncode(k) + "=" + formEncode(v)).join("&");
}

const usv = (v: unknown): string => String(v).toWellFormed();

export class URLSearchParams {
  #list: [string, string][] = [];
  #onUpdate: ((query: string | null) => void) | null = null;

  constructor(init: unknown = "") {
    if (init instanceof URLSearchParams) this.#list = init.#list.map(([k, v]) => [k, v]);
    else if (init !== null && typeof init === "object" || typeof init === "function") {
      const it = (init as { [Symbol.iterator]?: unknown })[Symbol.iterator];
      if (typeof it === "function") {
        for (const pair of init as Iterable<unknown>) {
          const arr = typeof pair === "string" ? null : Array.from(pair as Iterable<unknown>);
          if (!arr || arr.length !== 2) throw new TypeError("Failed to construct 'URLSearchParams': Sequence initializer must only contain pair elements");
          this.#list.push([usv(arr[0]), usv(arr[1])]);
        }
      } else {
        for (const k of Object.keys(init as object)) this.#list.push([usv(k), usv((init as Record<string, unknown>)[k])]);
      }
    } else {
      const s = usv(init);
      this.#list = formParse(s[0] === "?" ? s.slice(1) : s);
    }
  }
  /** @internal */ _link(fn: (query: string | null) => void): void { this.#onUpdate = fn; }
  /** @internal */ _reset(query: string): void { this.#list = formParse(query); }
  #update(): void {
    if (!this.#onUpdate) return;
    const s = this.toString();
    this.#onUpdate(s === "" ? null : s);
  }

  get size(): number { return this.#list.length; }
  append(name: string, value: string): void { this.#list.push([usv(name), usv(value)]); this.#update(); }
  delete(name: string, value?: string): void {
    const n = usv(name), v = value === undefined ? undefined : usv(value);
    this.#list = this.#list.filter(([k, x]) => !(k === n && (v === undefined || x === v)));
    this.#update();
  }
  get(name: string): string | null {
    const n = usv(name);
    const e = this.#list.find(([k]) => k === n);
    return e ? e[1] : null;
  }
  getAll(name: string): string[] { const n = usv(name); return this.#list.filter(([k]) => k === n).map(([, v]) => v); }
  has(name: string, value?: string): boolean {
    const n = usv(name), v = value === undefined ? undefined : usv(value);
    return this.#list.some(([k, x]) => k === n && (v === undefined || x === v));
  }
  set(name: string, value: string): void {
    const n = usv(name), v = usv(value);
    const i = this.#list.findIndex(([k]) => k === n);
    if (i < 0) this.#list.push([n, v]);
    else {
      this.#list[i] = [n, v];
      this.#list = this.#list.filter(([k], j) => j <= i || k !== n);
    }
    this.#update();
  }
  sort(): void {
    // stable sort by UTF-16 code units of the name
    this.#list = this.#list.map((e, i) => [e, i] as const)
      .sort((a, b) => (a[0][0] < b[0][0] ? -1 : a[0][0] > b[0][0] ? 1 : a[1] - b[1]))
      .map(([e]) => e);
    this.#update();
  }
  forEach(cb: (value: string, key: string, parent: URLSearchParams) => void, thisArg?: unknown): void {
    for (let i = 0; i < this.#list.length; i++) { const [k, v] = this.#list[i]!; cb.call(thisArg, v, k, this); }
  }
  *entries(): IterableIterator<[string, string]> {
    for (let i = 0; i < this.#list.length; i++) { const [k, v] = this.#list[i]!; yield [k, v]; }
  }
  *keys(): IterableIterator<string> { for (const [k] of this.entries()) yield k; }
  *values(): IterableIterator<string> { for (const [, v] of this.entries()) yield v; }
  [Symbol.iterator](): IterableIterator<[string, string]> { return this.entries(); }
  toString(): string { return formSerialize(this.#list); }
}
tag(URLSearchParams, "URLSearchParams");
