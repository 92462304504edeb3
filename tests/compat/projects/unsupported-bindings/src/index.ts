// A Worker with bindings isoplay does not implement: it still loads, and a route that does
// not touch them works; the ones that do fail with an error naming the binding.
interface Env { FILES: { get(key: string): Promise<unknown> }; JOBS: { send(body: unknown): Promise<void> } }

export default {
  async fetch(request: Request, env: Env): Promise<Response> {
    const path = new URL(request.url).pathname;
    try {
      if (path === "/files") return new Response(String(await env.FILES.get("a")));
      if (path === "/jobs") { await env.JOBS.send({ n: 1 }); return new Response("sent"); }
    } catch (e) {
      return new Response((e as Error).message, { status: 501 });
    }
    return new Response("still serving");
  },
};
