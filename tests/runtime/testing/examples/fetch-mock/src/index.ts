// Forwards requests to an upstream API and reports what it answered.
export default {
  async fetch(request, env, ctx): Promise<Response> {
    const url = new URL(request.url);
    const upstream = new URL(url.pathname + url.search, "https://cloudflare.com");
    try {
      const response = await fetch(upstream, {
        method: request.method,
        body: request.method === "GET" ? undefined : await request.text(),
        headers: { "x-forwarded-by": "worker" },
      });
      const text = await response.text();
      return new Response(`${response.status}: ${text}`, { status: response.ok ? 200 : 502 });
    } catch (e) {
      return new Response(`upstream failed: ${(e as Error).message}`, { status: 503 });
    }
  },
} satisfies ExportedHandler<Env>;
