// The Web-standard globals of the prelude. Each module only declares classes
// and functions; this file installs them on globalThis and registers Request /
// Response with the host bridge.
import { pushLog, registerHttp } from "../host";
import { Cache, CacheStorage, caches } from "./cache";
import { structuredClone } from "./clone";
import { INSPECT, console, inspect } from "./console";
import { Crypto, CryptoKey, SubtleCrypto, crypto } from "./crypto";
import { atob, btoa, TextDecoder, TextEncoder } from "./encoding";
import { AbortController, AbortSignal, Event, EventTarget, setListenerErrorReporter } from "./events";
import { fetch } from "./fetch";
import { Headers } from "./headers";
import { Blob, File } from "./blob";
import { CompressionStream, DecompressionStream } from "./compression";
import {
  CustomEvent, ErrorEvent, MessageChannel, MessageEvent, MessagePort, Navigator, Performance, PromiseRejectionEvent, Scheduler,
  ServiceWorkerGlobalScope, WorkerGlobalScope, addDomExceptionConstants, installGlobalScope, makePerformance, reportError,
} from "./globals";
import { FormData, Request, Response, requestFromHost, serializeBody, serializeResponse } from "./http";
import { HTMLRewriter } from "./htmlrewriter";
import { STREAM_GLOBALS, defineLazyGlobals } from "./streams";
import { URL, URLSearchParams } from "./url";
import { CloseEvent, WebSocket, WebSocketPair } from "./websocket";
import { installURLPattern } from "./urlpattern";
import { installEventSource } from "./eventsource";
import { DOMException, defineGlobals, utf8Encode } from "./util";

// How the platform objects print in console.log (Node-like).
const describe = (ctor: { prototype: object }, fn: (self: never) => unknown): void => {
  Object.defineProperty(ctor.prototype, INSPECT, { value: function (this: never) { return fn(this); }, configurable: true });
};
describe(Headers, (h: Headers) => `Headers ${inspect(Object.fromEntries(h))}`);
describe(URLSearchParams, (p: URLSearchParams) => `URLSearchParams {${[...p].map(([k, v]) => ` ${inspect(k)} => ${inspect(v)}`).join(",")}${p.size ? " " : ""}}`);
describe(FormData, (f: FormData) => `FormData {${[...f].map(([k, v]) => ` ${inspect(k)} => ${inspect(v)}`).join(",")}${[...f].length ? " " : ""}}`);
describe(URL, (u: URL) => `URL ${inspect({
  href: u.href, origin: u.origin, protocol: u.protocol, username: u.username, password: u.password, host: u.host,
  hostname: u.hostname, port: u.port, pathname: u.pathname, search: u.search, hash: u.hash,
})}`);
describe(Request, (r: Request) => `Request ${inspect({ method: r.method, url: r.url, headers: r.headers, bodyUsed: r.bodyUsed })}`);
describe(Response, (r: Response) => `Response ${inspect({
  status: r.status, statusText: r.statusText, ok: r.ok, headers: r.headers, url: r.url, redirected: r.redirected, bodyUsed: r.bodyUsed,
})}`);

setListenerErrorReporter((e) => {
  const err = e as { stack?: string } | null;
  pushLog("error", `Uncaught ${err && typeof err.stack === "string" ? err.stack : inspect(e)}`);
});

defineGlobals({
  AbortController, AbortSignal, Event, EventTarget, DOMException,
  Headers, Request, Response, FormData, fetch,
  URL, URLSearchParams,
  TextEncoder, TextDecoder, atob, btoa,
  Crypto, CryptoKey, SubtleCrypto, crypto,
  structuredClone,
  Cache, CacheStorage, caches,
  WebSocket, WebSocketPair, CloseEvent,
  HTMLRewriter,
  console,
  Blob, File, CompressionStream, DecompressionStream,
  CustomEvent, ErrorEvent, PromiseRejectionEvent, MessageChannel, MessageEvent, MessagePort, reportError,
  Performance, performance: makePerformance(), Scheduler, scheduler: new Scheduler(),
  Navigator, navigator: new Navigator(),
  self: globalThis,
  WorkerGlobalScope, ServiceWorkerGlobalScope,
});
installGlobalScope();
defineLazyGlobals(STREAM_GLOBALS); // the streams polyfill loads on first use
addDomExceptionConstants();

installURLPattern();
installEventSource();

registerHttp({
  buildRequest: requestFromHost,
  serializeResponse,
  isResponse: (v) => v instanceof Response,
  serializeBody,
  utf8Encode,
});
