// cloudflare:sockets (TCP sockets: connect()) for isoplay, which does not have them yet. The
// module resolves, so a driver that imports it lazily (pg through pg-cloudflare, mysql2 ...)
// builds; opening a socket fails with what is missing and what to use instead.
const MESSAGE = "cloudflare:sockets connect() (outbound TCP sockets) is not supported by isoplay yet, so database "
  + "drivers that speak TCP (pg, mysql2, redis ...) cannot connect; use a driver that works over HTTP or WebSockets "
  + "with fetch() (e.g. @neondatabase/serverless, @planetscale/database, @upstash/redis)";

export function connect() {
  const err = new Error(MESSAGE);
  err.name = "NotSupportedError";
  throw err;
}

export default { connect };
