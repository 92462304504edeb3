// UTS #46 (IDNA) ToASCII for URL hosts, from the `tr46` package (jsdom's, the
// one whatwg-url uses), run unchanged.
//
// tr46's Unicode tables (a 145 kB mapping table and 73 kB of regular
// expressions) would cost every isolate +6 ms to load and +380 kB of heap if
// bundled (measured; +4 ms and +680 kB as string literals). They are prelude
// chunks instead (runtime/webapi/chunks.py), fetched synchronously from the
// host the first time a non-ASCII host is parsed, and turned into tr46's data
// with JSON.parse and `new RegExp` (neither is code generation from strings).
// tr46's own code is a lazily-run CommonJS module; its two data `require`s are
// external (runtime/prelude.py) and answered here.
import { loadChunk } from "../chunks";
import { utf8Decode } from "./util";

const chunkText = (name: string): string => utf8Decode(loadChunk(name))!;
declare const require: (id: string) => unknown;
type ToASCII = (domain: string, options: Record<string, boolean>) => string | null;

let toASCIIImpl: ToASCII | null = null;

/** tr46's `lib/regexes.js` is a list of `const name = /source/flags;` lines. */
function buildRegexes(src: string): Record<string, RegExp> {
  const out: Record<string, RegExp> = {};
  for (const m of src.matchAll(/^const (\w+) = \/(.*)\/([a-z]*);$/gm)) out[m[1]!] = new RegExp(m[2]!, m[3]);
  return out;
}

function load(): ToASCII {
  const g = globalThis as Record<string, unknown>;
  const had = Object.prototype.hasOwnProperty.call(g, "require");
  const prev = g.require;
  // esbuild's shim for the external data modules looks up a global `require`
  // while tr46's module body runs (synchronously, no script code in between).
  g.require = (id: string): unknown => {
    if (id === "./lib/mappingTable.json") return JSON.parse(chunkText("tr46/mappingTable.json"));
    if (id === "./lib/regexes.js") return buildRegexes(chunkText("tr46/regexes.js"));
    throw new Error(`idna: unexpected module ${id}`);
  };
  try {
    return (require("tr46") as { toASCII: ToASCII }).toASCII;
  } finally {
    if (had) g.require = prev; else delete g.require;
  }
}

/** UTS #46 ToASCII with the URL Standard's options (beStrict = false); null on failure. */
export function uts46ToASCII(domain: string): string | null {
  toASCIIImpl ??= load();
  return toASCIIImpl(domain, {
    checkHyphens: false, checkBidi: true, checkJoiners: true, useSTD3ASCIIRules: false,
    transitionalProcessing: false, verifyDNSLength: false, ignoreInvalidPunycode: false,
  });
}
