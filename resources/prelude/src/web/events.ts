// Event, EventTarget, AbortController and AbortSignal (DOM standard, the parts
// a Worker sees: no capture/bubbling tree, since there is no DOM).
import { now } from "../clock";
import { DOMException, tag } from "./util";

type Listener = ((e: Event) => unknown) | { handleEvent(e: Event): unknown };
interface Entry { cb: Listener; once: boolean; removed: boolean; signal?: AbortSignal }

const NONE = 0, AT_TARGET = 2;

export class Event {
  readonly type: string;
  readonly bubbles: boolean;
  readonly cancelable: boolean;
  readonly composed: boolean;
  readonly timeStamp: number = now();
  readonly isTrusted = false;
  /** @internal */ _target: EventTarget | null = null;
  /** @internal */ _phase = NONE;
  /** @internal */ _stop = false;
  /** @internal */ _stopNow = false;
  #canceled = false;
  constructor(type: string, init?: { bubbles?: boolean; cancelable?: boolean; composed?: boolean }) {
    if (arguments.length === 0) throw new TypeError("Failed to construct 'Event': 1 argument required, but only 0 present.");
    this.type = String(type);
    this.bubbles = !!init?.bubbles;
    this.cancelable = !!init?.cancelable;
    this.composed = !!init?.composed;
  }
  get target(): EventTarget | null { return this._target; }
  get currentTarget(): EventTarget | null { return this._phase === NONE ? null : this._target; }
  get srcElement(): EventTarget | null { return this._target; }
  get eventPhase(): number { return this._phase; }
  get defaultPrevented(): boolean { return this.#canceled; }
  get returnValue(): boolean { return !this.#canceled; }
  get cancelBubble(): boolean { return this._stop; }
  set cancelBubble(v: boolean) { if (v) this._stop = true; }
  composedPath(): EventTarget[] { return this._phase === NONE || !this._target ? [] : [this._target]; }
  preventDefault(): void { if (this.cancelable) this.#canceled = true; }
  stopPropagation(): void { this._stop = true; }
  stopImmediatePropagation(): void { this._stop = true; this._stopNow = true; }
  static readonly NONE = 0;
  static readonly CAPTURING_PHASE = 1;
  static readonly AT_TARGET = 2;
  static readonly BUBBLING_PHASE = 3;
}
tag(Event, "Event");

const listenerMap = new WeakMap<EventTarget, Map<string, Entry[]>>();

/** Report an exception thrown by a listener without interrupting dispatch. */
let reportListenerError: (e: unknown) => void = (e) => { Promise.reject(e); };
export function setListenerErrorReporter(fn: (e: unknown) => void): void { reportListenerError = fn; }

export class EventTarget {
  constructor() { listenerMap.set(this, new Map()); }

  addEventListener(type: string, callback: Listener | null, options?: boolean | { once?: boolean; capture?: boolean; passive?: boolean; signal?: AbortSignal }): void {
    if (callback === null || callback === undefined) return;
    if (typeof callback !== "function" && typeof callback !== "object") {
      throw new TypeError("Failed to execute 'addEventListener' on 'EventTarget': parameter 2 is not of type 'Object'.");
    }
    const opts = typeof options === "object" && options !== null ? options : {};
    const signal = opts.signal;
    if (signal && signal.aborted) return;
    const map = listeners(this);
    type = String(type);
    let list = map.get(type);
    if (!list) map.set(type, (list = []));
    if (list.some((e) => e.cb === callback)) return;
    const entry: Entry = { cb: callback, once: !!opts.once, removed: false, signal };
    list.push(entry);
    if (signal) signal.addEventListener("abort", () => this.removeEventListener(type, callback));
  }

  removeEventListener(type: string, callback: Listener | null): void {
    const list = listeners(this).get(String(type));
    if (!list) return;
    const i = list.findIndex((e) => e.cb === callback);
    if (i >= 0) { list[i]!.removed = true; list.splice(i, 1); }
  }

  dispatchEvent(event: Event): boolean {
    if (!(event instanceof Event)) throw new TypeError("Failed to execute 'dispatchEvent' on 'EventTarget': parameter 1 is not of type 'Event'.");
    if (event._phase !== NONE) throw new DOMException("The event is already being dispatched.", "InvalidStateError");
    event._target = this;
    event._phase = AT_TARGET;
    const list = (listeners(this).get(event.type) ?? []).slice();
    for (const entry of list) {
      if (event._stopNow) break;
      if (entry.removed) continue;
      if (entry.once) this.removeEventListener(event.type, entry.cb);
      try {
        if (typeof entry.cb === "function") entry.cb.call(this, event);
        else if (typeof entry.cb.handleEvent === "function") entry.cb.handleEvent(event);
      } catch (e) { reportListenerError(e); }
    }
    event._phase = NONE;
    return !event.defaultPrevented;
  }
}
tag(EventTarget, "EventTarget");

function listeners(t: EventTarget): Map<string, Entry[]> {
  let m = listenerMap.get(t);
  if (!m) listenerMap.set(t, (m = new Map()));
  return m;
}

// ---- AbortSignal / AbortController ----------------------------------------

let constructing = false;

export class AbortSignal extends EventTarget {
  #aborted = false;
  #reason: unknown = undefined;
  #onabort: ((e: Event) => unknown) | null = null;
  constructor() {
    if (!constructing) throw new TypeError("Illegal constructor");
    super();
  }
  get aborted(): boolean { return this.#aborted; }
  get reason(): unknown { return this.#reason; }
  get onabort(): ((e: Event) => unknown) | null { return this.#onabort; }
  set onabort(fn: ((e: Event) => unknown) | null) {
    if (this.#onabort) this.removeEventListener("abort", this.#onabort);
    this.#onabort = typeof fn === "function" ? fn : null;
    if (this.#onabort) this.addEventListener("abort", this.#onabort);
  }
  throwIfAborted(): void { if (this.#aborted) throw this.#reason; }

  /** @internal */ _abort(reason: unknown): void {
    if (this.#aborted) return;
    this.#aborted = true;
    this.#reason = reason === undefined ? new DOMException("This operation was aborted", "AbortError") : reason;
    this.dispatchEvent(new Event("abort"));
  }

  static abort(reason?: unknown): AbortSignal {
    const s = newSignal();
    s._abort(reason);
    return s;
  }

  static timeout(ms: number): AbortSignal {
    const delay = Number(ms);
    if (!Number.isFinite(delay) || delay < 0) throw new TypeError(`AbortSignal.timeout: ${ms} is not a non-negative finite number`);
    const s = newSignal();
    (globalThis as unknown as { setTimeout(fn: () => void, ms: number): unknown }).setTimeout(
      () => s._abort(new DOMException("The operation was aborted due to timeout", "TimeoutError")), delay);
    return s;
  }

  static any(signals: Iterable<AbortSignal>): AbortSignal {
    const s = newSignal();
    const list = [...signals];
    for (const x of list) if (x.aborted) { s._abort(x.reason); return s; }
    for (const x of list) x.addEventListener("abort", () => s._abort(x.reason), { once: true });
    return s;
  }
}
tag(AbortSignal, "AbortSignal");

function newSignal(): AbortSignal {
  constructing = true;
  try { return new AbortSignal(); } finally { constructing = false; }
}

export class AbortController {
  readonly #signal = newSignal();
  get signal(): AbortSignal { return this.#signal; }
  abort(reason?: unknown): void { this.#signal._abort(reason); }
}
tag(AbortController, "AbortController");
