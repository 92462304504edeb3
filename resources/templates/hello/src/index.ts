import { greeting } from "./greeting";

export default {
  async fetch(request, env, ctx): Promise<Response> {
    const url = new URL(request.url);
    const name = url.searchParams.get("name") ?? "world";
    console.log(`${request.method} ${url.pathname} for ${name}`);
    if (url.pathname === "/json") {
      return Response.json({ message: greeting(env.GREETING, name), at: new Date().toISOString() });
    }
    return new Response(greeting(env.GREETING, name) + "\n", {
      headers: { "content-type": "text/plain; charset=utf-8" },
    });
  },
} satisfies ExportedHandler<Env>;
