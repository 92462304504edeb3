// Stores request bodies under their path; GET reads them back.
export default {
  async fetch(request, env, ctx): Promise<Response> {
    const { pathname } = new URL(request.url);
    if (request.method === "GET") {
      const value = await env.TEST_NAMESPACE.get(pathname, "stream");
      return new Response(value, { status: value === null ? 204 : 200 });
    } else if (request.method === "PUT") {
      await env.TEST_NAMESPACE.put(pathname, await request.text());
      return new Response(null, { status: 204 });
    }
    return new Response("Method Not Allowed", { status: 405 });
  },
} satisfies ExportedHandler<Env>;
