// A caching-header-rewriting proxy in front of one upstream origin.
interface Env { UPSTREAM: string }

const HOP_BY_HOP = ["connection", "keep-alive", "transfer-encoding", "upgrade"];

export default {
  async fetch(request: Request, env: Env): Promise<Response> {
    const incoming = new URL(request.url);
    const upstream = new URL(incoming.pathname.replace(/^\/proxy/, "") + incoming.search, env.UPSTREAM);
    const headers = new Headers(request.headers);
    for (const h of HOP_BY_HOP) headers.delete(h);
    headers.set("x-forwarded-host", incoming.host);
    const init: RequestInit = { method: request.method, headers, redirect: "manual" };
    if (!["GET", "HEAD"].includes(request.method)) init.body = await request.arrayBuffer();
    let answer: Response;
    try {
      answer = await fetch(upstream.toString(), init);
    } catch (e) {
      return new Response(`upstream unreachable: ${(e as Error).message}`, { status: 502 });
    }
    const out = new Response(answer.body, answer);
    out.headers.set("cache-control", "public, max-age=60");
    out.headers.set("x-proxied-by", "fetch-proxy");
    out.headers.delete("server");
    return out;
  },
} satisfies ExportedHandler<Env>;
