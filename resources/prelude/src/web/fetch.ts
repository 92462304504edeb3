// fetch(): build a Request, hand it to the host's "fetch" op (runtime/fetch.py,
// httpx, egress allow-list), and wrap the answer in a Response. An AbortSignal
// rejects the promise at once; the host request itself runs to its timeout.
import { hostCall, type SerializedBody } from "../host";
import type { URL } from "./url";
import { Request, type RequestInit, Response, responseFromHost, serializeBody } from "./http";
import { outboundSocket } from "./websocket";

/** An outbound WebSocket (Workers: fetch with `Upgrade: websocket`): a 101 Response whose
 * `webSocket` is the client end, to `accept()`. The host (wsproto) does the handshake. */
async function connectWebSocket(req: Request): Promise<Response> {
  const r = await hostCall<{ socket: number; headers: [string, string][] }>("ws.connect", { url: req.url, headers: [...req.headers] });
  return new Response(null, { status: 101, headers: r.headers, webSocket: outboundSocket(r.socket, req.url) });
}

/** What the host's fetch op resolves with. */
export interface HostFetchResult {
  status: number; statusText: string; headers: [string, string][];
  body: SerializedBody | null; url: string; redirected: boolean;
}

export async function fetch(input: string | URL | Request, init?: RequestInit): Promise<Response> {
  const req = new Request(input as string, init);
  const signal = req.signal;
  signal.throwIfAborted();
  const scheme = req.url.slice(0, req.url.indexOf(":") + 1);
  if (scheme !== "http:" && scheme !== "https:") {
    throw new TypeError(`fetch: the URL scheme "${scheme}" is not supported (only http: and https:)`);
  }
  if ((req.headers.get("upgrade") ?? "").toLowerCase() === "websocket") return connectWebSocket(req);
  const raw = req.body === null ? null : await req._consume();
  const call = hostCall<HostFetchResult>("fetch", {
    url: req.url,
    method: req.method,
    headers: [...req.headers],
    body: raw === null ? null : serializeBody(raw),
    redirect: req.redirect,
  });
  const result = await new Promise<HostFetchResult>((resolve, reject) => {
    const onAbort = (): void => reject(signal.reason);
    signal.addEventListener("abort", onAbort, { once: true });
    call.then(
      (r) => { signal.removeEventListener("abort", onAbort); resolve(r); },
      (e) => { signal.removeEventListener("abort", onAbort); reject(e); },
    );
  });
  return responseFromHost(result);
}
