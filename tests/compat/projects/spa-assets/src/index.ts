export default {
  async fetch(request: Request): Promise<Response> {
    const url = new URL(request.url);
    if (url.pathname.startsWith("/api/")) return Response.json({ path: url.pathname, method: request.method });
    return new Response(`worker: ${url.pathname}`, { status: 404 });
  },
};
