// WebSockets as Workers has them: `new WebSocketPair()` gives two linked
// sockets; a fetch handler keeps one (`server.accept()`) and returns the other
// in `new Response(null, { status: 101, webSocket: client })`. The HTTP front
// (runtime/httpfront.py, wsproto) then upgrades the connection and holds this
// isolate for the socket's life (runtime/webapi/websocket.py).
//
// Host link: a socket whose peer lives on the host (the returned client end, or
// an outbound `fetch(url, { headers: { Upgrade: "websocket" } })`) has a host
// id. What the script sends leaves as an "emit" in the crossing's State (never
// dropped, unlike host ops of a finished invocation); what the network sends
// arrives as a "socket" invocation (`dispatchSocketEvent`) or, for an outbound
// socket, as the answer to a pending `ws.recv` host op.
import { hostCallBackground, hostEmit, registerSocketDispatch } from "../host";
import { Event, EventTarget } from "./events";
import { ErrorEvent, MessageEvent } from "./globals";
import { base64Decode, base64Encode, DOMException, tag, toArrayBuffer, viewOf } from "./util";

const CONNECTING = 0, OPEN = 1, CLOSING = 2, CLOSED = 3;

export class CloseEvent extends Event {
  readonly code: number; readonly reason: string; readonly wasClean: boolean;
  constructor(type: string, init?: { code?: number; reason?: string; wasClean?: boolean }) {
    super(type);
    this.code = init?.code ?? 0; this.reason = init?.reason ?? ""; this.wasClean = !!init?.wasClean;
  }
}
tag(CloseEvent, "CloseEvent");


type Payload = { text: string } | { b64: string };
const CONSTRUCT = Symbol("WebSocket");
const sockets = new Map<number, WebSocket>(); // host id -> socket
let nextId = 1;

function checkCode(code: unknown): number | undefined {
  if (code === undefined) return undefined;
  const c = Number(code);
  if (!Number.isInteger(c) || !(c === 1000 || (c >= 3000 && c <= 4999))) {
    throw new DOMException(`The close code must be either 1000, or between 3000 and 4999. ${String(code)} is neither.`, "InvalidAccessError");
  }
  return c;
}

export class WebSocket extends EventTarget {
  static readonly CONNECTING = CONNECTING;
  static readonly OPEN = OPEN;
  static readonly CLOSING = CLOSING;
  static readonly CLOSED = CLOSED;
  #state = OPEN;
  #accepted = false;
  #peer: WebSocket | null = null; // the other end of a pair, while both are in this isolate
  #hostId = 0; // set once the peer lives on the host
  #outbound = false; // an outbound (fetch) socket: receives through ws.recv ops
  #queued: Event[] = []; // events that arrived before accept()
  #url: string | null = null;
  onmessage: ((e: MessageEvent) => unknown) | null = null;
  onclose: ((e: CloseEvent) => unknown) | null = null;
  onerror: ((e: ErrorEvent) => unknown) | null = null;
  onopen: ((e: Event) => unknown) | null = null;

  constructor(url?: unknown, key?: unknown) {
    super();
    if (key !== CONSTRUCT) {
      throw new TypeError("isoplay: `new WebSocket(url)` is not supported; use fetch(url, { headers: { Upgrade: \"websocket\" } }) (as in Workers) or new WebSocketPair()");
    }
    if (typeof url === "string") this.#url = url;
  }

  get readyState(): number { return this.#state; }
  get url(): string | null { return this.#url; }
  get protocol(): string { return ""; }
  get extensions(): string { return ""; }
  get binaryType(): string { return "arraybuffer"; }

  accept(): void {
    if (this.#accepted) throw new TypeError("Can't accept() WebSocket that was already accepted.");
    if (this.#hostId === 0 && this.#peer === null) throw new TypeError("Can't accept() WebSocket that was already used in a response.");
    this.#accepted = true;
    const queued = this.#queued; this.#queued = [];
    for (const e of queued) this.#fire(e);
    if (this.#outbound) this.#recv();
  }

  send(message: string | ArrayBuffer | ArrayBufferView): void {
    if (!this.#accepted) throw new TypeError("You must call accept() on this WebSocket before sending messages.");
    if (this.#state === CLOSING || this.#state === CLOSED) throw new TypeError("Can't call WebSocket send() after close().");
    let payload: Payload, data: unknown;
    if (typeof message === "string") { payload = { text: message }; data = message; }
    else {
      const bytes = viewOf(message);
      if (!bytes) throw new TypeError("WebSocket send() takes a string, an ArrayBuffer or an ArrayBufferView.");
      payload = { b64: base64Encode(bytes) }; data = toArrayBuffer(bytes.slice());
    }
    if (this.#hostId) hostEmit([this.#hostId, "send", payload]);
    else if (this.#peer) { const peer = this.#peer; queueMicrotask(() => peer._receive(new MessageEvent("message", { data }))); }
  }

  close(code?: number, reason?: string): void {
    const c = checkCode(code);
    const r = reason === undefined ? "" : String(reason);
    if (new TextEncoder().encode(r).length > 123) throw new DOMException("The close reason must not be longer than 123 bytes.", "SyntaxError");
    if (this.#state === CLOSING || this.#state === CLOSED) return;
    this.#state = CLOSING;
    if (this.#hostId) hostEmit([this.#hostId, "close", c ?? 1000, r]);
    else if (this.#peer) {
      const peer = this.#peer;
      queueMicrotask(() => {
        peer._receive(new CloseEvent("close", { code: c ?? 1005, reason: r, wasClean: true }));
        this._closed(c ?? 1005, r);
      });
    }
  }

  // ---- internal ----------------------------------------------------------------
  #fire(e: Event): void {
    const handler = e.type === "message" ? this.onmessage : e.type === "close" ? this.onclose : e.type === "error" ? this.onerror : null;
    if (typeof handler === "function") {
      try { (handler as (e: Event) => unknown).call(this, e); } catch (err) { Promise.reject(err); }
    }
    this.dispatchEvent(e);
  }
  /** @internal An event from the peer (in-isolate pair or host). */
  _receive(e: Event): void {
    if (e.type === "close") this.#state = CLOSED;
    if (!this.#accepted) { this.#queued.push(e); return; }
    this.#fire(e);
  }
  /** @internal The close handshake finished. */
  _closed(_code: number, _reason: string): void { this.#state = CLOSED; }
  /** @internal Hand this end to the host (returned in a 101 response); its peer now talks to the host. */
  _export(): number {
    const peer = this.#peer;
    if (this.#accepted || !peer) throw new TypeError("The WebSocket in a 101 response must be the unaccepted end of a new WebSocketPair.");
    if (this.#hostId) throw new TypeError("This WebSocket was already used in a response.");
    const id = nextId++;
    this.#peer = null; this.#state = CLOSED;
    peer.#peer = null; peer.#hostId = id;
    sockets.set(id, peer);
    this.#hostId = -1;
    // what the kept end sent before the response left went to this end: it goes to the client first
    for (const e of this.#queued.splice(0)) {
      if (e instanceof MessageEvent) {
        const d = e.data;
        hostEmit([id, "send", typeof d === "string" ? { text: d } : { b64: base64Encode(new Uint8Array(d as ArrayBuffer)) }]);
      } else if (e instanceof CloseEvent) hostEmit([id, "close", e.code === 1005 ? 1000 : e.code, e.reason]);
    }
    return id;
  }
  /** @internal An outbound socket the host connected (fetch with Upgrade: websocket). */
  static _outbound(id: number, url: string): WebSocket {
    const ws = new WebSocket(url, CONSTRUCT);
    ws.#hostId = id; ws.#outbound = true;
    sockets.set(id, ws);
    return ws;
  }
  #recv(): void {
    if (this.#state === CLOSED) return;
    hostCallBackground<{ type: string; data?: Payload; code?: number; reason?: string } | null>("ws.recv", { socket: this.#hostId }).then(
      (ev) => { if (ev) { deliver(this, ev); this.#recv(); } },
      (e) => this._receive(new ErrorEvent("error", { message: String((e as Error)?.message ?? e), error: e })),
    );
  }
  /** @internal Pair two new sockets. */
  static _pair(): [WebSocket, WebSocket] {
    const a = new WebSocket(undefined, CONSTRUCT), b = new WebSocket(undefined, CONSTRUCT);
    a.#peer = b; b.#peer = a;
    return [a, b];
  }
}
tag(WebSocket, "WebSocket");

function deliver(ws: WebSocket, ev: { type: string; data?: Payload; code?: number; reason?: string; message?: string }): void {
  if (ev.type === "message" && ev.data) {
    const d = ev.data;
    const data = "text" in d ? d.text : toArrayBuffer(base64Decode(d.b64) ?? new Uint8Array());
    ws._receive(new MessageEvent("message", { data }));
  } else if (ev.type === "close") {
    ws._receive(new CloseEvent("close", { code: ev.code ?? 1005, reason: ev.reason ?? "", wasClean: ev.code !== 1006 }));
  } else if (ev.type === "error") {
    ws._receive(new ErrorEvent("error", { message: ev.message ?? "WebSocket error" }));
  }
}

export class WebSocketPair {
  0: WebSocket;
  1: WebSocket;
  constructor() {
    const [client, server] = WebSocket._pair();
    this[0] = client; this[1] = server;
  }
}
tag(WebSocketPair, "WebSocketPair");

/** The host id of a WebSocket returned in a 101 response (null for anything else). */
export function exportSocket(ws: unknown): number | null {
  return ws instanceof WebSocket ? ws._export() : null;
}

/** Wrap an outbound socket the host connected. */
export function outboundSocket(id: number, url: string): WebSocket { return WebSocket._outbound(id, url); }

// A "socket" invocation: the host delivers one network event to its socket.
registerSocketDispatch((spec) => {
  const ws = sockets.get(spec.socket);
  if (!ws) return;
  deliver(ws, spec);
  if (spec.type === "close" || spec.type === "error") sockets.delete(spec.socket);
});
