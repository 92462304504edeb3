// Workers Web APIs isoplay adds beyond the "WebWorker" lib: caches.default,
// WebSocketPair and the accept()-style server WebSocket, Response.webSocket,
// HTMLRewriter, and URLPattern. Shapes follow @cloudflare/workers-types.

// ---- Cache API -------------------------------------------------------------------
interface CacheStorage {
  /** Workers' global cache (not one of `caches.open()`'s). */
  readonly default: Cache;
}

// ---- WebSockets ------------------------------------------------------------------
interface WebSocket {
  /** Start receiving events on the end of a WebSocketPair the script keeps (or an outbound socket). */
  accept(): void;
}
/** Two linked WebSockets: return `0` (the client end) in a 101 Response, keep `1` and `accept()` it. */
declare const WebSocketPair: {
  new (): { 0: WebSocket; 1: WebSocket };  // a type literal, so Object.values() gives WebSocket[]
};
interface ResponseInit {
  /** With status 101: the client end of a WebSocketPair, upgraded by the runtime. */
  webSocket?: WebSocket | null;
}
interface Response {
  /** The WebSocket of a 101 response (also of `fetch(url, { headers: { Upgrade: "websocket" } })`). */
  readonly webSocket: WebSocket | null;
}

// ---- HTMLRewriter ----------------------------------------------------------------
interface ContentOptions {
  /** Insert the content as HTML (default: as text, escaped). */
  html?: boolean;
}
interface Element {
  tagName: string;
  readonly attributes: IterableIterator<[string, string]>;
  readonly removed: boolean;
  readonly namespaceURI: string;
  getAttribute(name: string): string | null;
  hasAttribute(name: string): boolean;
  setAttribute(name: string, value: string): Element;
  removeAttribute(name: string): Element;
  before(content: string, options?: ContentOptions): Element;
  after(content: string, options?: ContentOptions): Element;
  prepend(content: string, options?: ContentOptions): Element;
  append(content: string, options?: ContentOptions): Element;
  replace(content: string, options?: ContentOptions): Element;
  setInnerContent(content: string, options?: ContentOptions): Element;
  remove(): Element;
  removeAndKeepContent(): Element;
  onEndTag(handler: (tag: EndTag) => void | Promise<void>): void;
}
interface EndTag {
  name: string;
  before(content: string, options?: ContentOptions): EndTag;
  after(content: string, options?: ContentOptions): EndTag;
  remove(): EndTag;
}
interface Comment {
  text: string;
  readonly removed: boolean;
  before(content: string, options?: ContentOptions): Comment;
  after(content: string, options?: ContentOptions): Comment;
  replace(content: string, options?: ContentOptions): Comment;
  remove(): Comment;
}
interface Text {
  readonly text: string;
  readonly lastInTextNode: boolean;
  readonly removed: boolean;
  before(content: string, options?: ContentOptions): Text;
  after(content: string, options?: ContentOptions): Text;
  replace(content: string, options?: ContentOptions): Text;
  remove(): Text;
}
interface Doctype {
  readonly name: string | null;
  readonly publicId: string | null;
  readonly systemId: string | null;
}
interface DocumentEnd {
  append(content: string, options?: ContentOptions): DocumentEnd;
}
interface HTMLRewriterElementContentHandlers {
  element?(element: Element): void | Promise<void>;
  comments?(comment: Comment): void | Promise<void>;
  text?(text: Text): void | Promise<void>;
}
interface HTMLRewriterDocumentContentHandlers {
  doctype?(doctype: Doctype): void | Promise<void>;
  comments?(comment: Comment): void | Promise<void>;
  text?(text: Text): void | Promise<void>;
  end?(end: DocumentEnd): void | Promise<void>;
}
/** Streaming HTML rewriting with CSS selectors (lol-html, as in Workers). */
declare class HTMLRewriter {
  constructor();
  on(selector: string, handlers: HTMLRewriterElementContentHandlers): HTMLRewriter;
  onDocument(handlers: HTMLRewriterDocumentContentHandlers): HTMLRewriter;
  transform(response: Response): Response;
}
