interface Env { ASSETS: Fetcher }

export default {
  async fetch(request: Request, env: Env): Promise<Response> {
    const url = new URL(request.url);
    if (url.pathname === "/api/hello") return Response.json({ hello: "from the worker" });
    if (url.pathname === "/api/etag") {
      const css = await env.ASSETS.fetch(new URL("/style.css", request.url));
      return Response.json({ etag: css.headers.get("etag"), status: css.status, type: css.headers.get("content-type") });
    }
    if (url.pathname === "/api/missing") {
      const page = await env.ASSETS.fetch(new URL("/no/such/page", request.url));
      return Response.json({ status: page.status, body: (await page.text()).trim() });
    }
    if (url.pathname === "/api/about") {
      const page = await env.ASSETS.fetch(new URL("/about", request.url));
      return new Response(page.body, { headers: { "content-type": page.headers.get("content-type") ?? "" } });
    }
    return new Response(`worker: ${request.method} ${url.pathname}`, { status: 404 });
  },
};
