// Workers additions to the WebWorker lib's Web APIs, as the isoplay isolate has them
// (streams, scheduler, request.cf). Shipped by isoplay; copied into types/.

/** An identity transform whose readable side is a byte stream (BYOB reads work);
 * chunks written must be ArrayBuffer or ArrayBufferView. */
declare class IdentityTransformStream extends TransformStream<ArrayBuffer | ArrayBufferView, Uint8Array<ArrayBuffer>> {
  constructor(options?: { highWaterMark?: number });
}

/** An IdentityTransformStream that passes exactly `expectedLength` bytes; a Response
 * with its readable side is sent with that Content-Length. */
declare class FixedLengthStream extends IdentityTransformStream {
  constructor(expectedLength: number | bigint, options?: { highWaterMark?: number });
}

interface Scheduler {
  /** A promise that resolves after `delay` ms (rejects with the signal's reason if aborted). */
  wait(delay: number, options?: { signal?: AbortSignal }): Promise<void>;
}
declare var Scheduler: { prototype: Scheduler };
declare var scheduler: Scheduler;

/** What `request.cf` holds: the local defaults (like `wrangler dev`), overridden per request
 * by the trigger's `cf` (for example `isoplay run --cf '{"country":"NL"}'`). */
interface IncomingRequestCfProperties {
  asn: number; asOrganization: string; colo: string; country: string; isEUCountry: boolean;
  city: string; continent: string; region: string; regionCode: string; metroCode: string; postalCode: string;
  timezone: string; latitude: string; longitude: string;
  httpProtocol: string; tlsVersion: string; tlsCipher: string;
  clientTcpRtt: number; requestPriority: string; edgeRequestKeepAliveStatus: number; clientAcceptEncoding: string;
  verifiedBotCategory: string;
  botManagement: { score: number; verifiedBot: boolean; staticResource: boolean; ja3Hash: string; ja4: string;
    detectionIds: number[]; corporateProxy: boolean };
  tlsClientAuth: Record<string, string>;
  [key: string]: unknown;
}

interface Request {
  /** Cloudflare request properties (set on incoming requests; undefined on requests a script makes). */
  readonly cf?: IncomingRequestCfProperties;
}

interface RequestInit {
  cf?: Partial<IncomingRequestCfProperties> | Record<string, unknown>;
}
