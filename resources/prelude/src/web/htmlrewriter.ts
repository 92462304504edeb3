// HTMLRewriter as Workers has it: `new HTMLRewriter().on(selector, handlers)
// .onDocument(handlers).transform(response)`, with element, comment, text,
// doctype and end handlers, async ones included.
//
// The parser is lol-html (Cloudflare's, the one Workers runs) compiled to
// WebAssembly by `html-rewriter-wasm` (what Miniflare 2 used), run unchanged.
// Its 928 kB of WebAssembly are a prelude chunk (runtime/webapi/chunks.py)
// fetched from the host and compiled the first time a rewriter transforms a
// body in an isolate; the prelude is trusted code, so this is the privileged
// path for WebAssembly (user code gets none compiled at run time). The glue
// module (wasm-bindgen output for Node) is a lazily-run CommonJS module whose
// Node requires (util, assert, path, fs) are external (runtime/prelude.py) and
// answered here while it loads.
//
// Bodies stream both ways: the input body is read chunk by chunk into lol-html
// and the output is a ReadableStream fed as lol-html emits it.
import { loadChunk } from "../chunks";
import { trustWasmBytes } from "../wasm";
import { TextDecoder, TextEncoder } from "./encoding";
import { Headers } from "./headers";
import { Response } from "./http";
import { streams } from "./streams";
import { tag } from "./util";

declare const require: (id: string) => unknown;

interface RawRewriter {
  on(selector: string, handlers: unknown): RawRewriter;
  onDocument(handlers: unknown): RawRewriter;
  write(chunk: Uint8Array): Promise<void>;
  end(): Promise<void>;
  free(): void;
}
type RawCtor = new (sink: (chunk: Uint8Array) => void, options?: unknown) => RawRewriter;

let rawCtor: RawCtor | null = null;

function assertShim(v: unknown, msg?: string): void { if (!v) throw new Error(msg ?? "HTMLRewriter: internal assertion failed"); }
assertShim.strictEqual = (a: unknown, b: unknown): void => { if (a !== b) throw new Error(`HTMLRewriter: internal assertion failed (${String(a)} !== ${String(b)})`); };

function load(): RawCtor {
  const g = globalThis as Record<string, unknown>;
  const saved = { require: Object.getOwnPropertyDescriptor(g, "require"), __dirname: Object.getOwnPropertyDescriptor(g, "__dirname") };
  let asyncify: unknown = null;
  g.__dirname = "/html-rewriter-wasm";
  g.require = (id: string): unknown => {
    switch (id) {
      case "./asyncify.js": return asyncify;
      case "util": return { TextDecoder, TextEncoder };
      case "assert": return assertShim;
      case "path": return { join: (...parts: string[]) => parts.join("/") };
      case "fs": return { readFileSync: () => trustWasmBytes(loadChunk("html-rewriter.wasm")) };
      default: throw new Error(`HTMLRewriter: unexpected module ${id}`);
    }
  };
  try {
    asyncify = require("html-rewriter-wasm/dist/asyncify.js");
    return (require("html-rewriter-wasm") as { HTMLRewriter: RawCtor }).HTMLRewriter;
  } finally {
    for (const [k, d] of Object.entries(saved)) {
      if (d) Object.defineProperty(g, k, d); else delete g[k];
    }
  }
}

type Handlers = Record<string, unknown>;
const ELEMENT_KEYS = ["element", "comments", "text"];
const DOCUMENT_KEYS = ["doctype", "comments", "text", "end"];

function checkHandlers(h: unknown, keys: string[], what: string): Handlers {
  if (h === null || typeof h !== "object") throw new TypeError(`HTMLRewriter.${what}: handlers must be an object`);
  const out: Handlers = {};
  for (const k of keys) {
    const fn = (h as Handlers)[k];
    if (fn === undefined) continue;
    if (typeof fn !== "function") throw new TypeError(`HTMLRewriter.${what}: handler "${k}" must be a function`);
    out[k] = (fn as (...a: unknown[]) => unknown).bind(h);
  }
  return out;
}

export class HTMLRewriter {
  #element: [string, Handlers][] = [];
  #document: Handlers[] = [];

  on(selector: string, handlers: unknown): this {
    this.#element.push([String(selector), checkHandlers(handlers, ELEMENT_KEYS, "on")]);
    return this;
  }

  onDocument(handlers: unknown): this {
    this.#document.push(checkHandlers(handlers, DOCUMENT_KEYS, "onDocument"));
    return this;
  }

  transform(response: Response): Response {
    if (!(response instanceof Response)) throw new TypeError("HTMLRewriter.transform: the argument must be a Response");
    if (response.bodyUsed) throw new TypeError("HTMLRewriter.transform: the response body was already used");
    const element = this.#element.slice(), document = this.#document.slice();
    const source = response;
    const { ReadableStream } = streams();
    const body = new ReadableStream({
      async start(controller: { enqueue(c: Uint8Array): void; close(): void; error(e: unknown): void }) {
        let rewriter: RawRewriter | null = null;
        try {
          rawCtor ??= load();
          rewriter = new rawCtor((chunk: Uint8Array) => { if (chunk.length) controller.enqueue(chunk.slice()); });
          for (const [selector, handlers] of element) rewriter.on(selector, handlers);
          for (const handlers of document) rewriter.onDocument(handlers);
          if (source.body !== null) {
            const reader = source.body.getReader();
            for (;;) {
              const { done, value } = await reader.read();
              if (done) break;
              const chunk = typeof value === "string" ? new TextEncoder().encode(value) : new Uint8Array(value.buffer, value.byteOffset, value.byteLength);
              if (chunk.length) await rewriter.write(chunk);
            }
          }
          await rewriter.end();
          controller.close();
        } catch (e) {
          controller.error(e);
        } finally {
          rewriter?.free();
        }
      },
    });
    const headers = new Headers(source.headers);
    headers.delete("content-length");
    return new Response(source.body === null ? null : body, {
      status: source.status, statusText: source.statusText, headers,
    });
  }
}
tag(HTMLRewriter, "HTMLRewriter");
