export default {
  async fetch(request, env, ctx): Promise<Response> {
    const url = new URL(request.url);
    if (url.pathname === "/404") return new Response("Not found", { status: 404 });
    return new Response("Hello World!");
  },
} satisfies ExportedHandler<Env>;
