// A Worker with bindings isoplay does not implement: it still loads, and a route that does
// not touch them works; the ones that do fail with an error naming the binding.
interface Env { DB: { prepare(sql: string): unknown }; FILES: { get(key: string): Promise<unknown> } }

export default {
  async fetch(request: Request, env: Env): Promise<Response> {
    const path = new URL(request.url).pathname;
    if (path === "/db") {
      try {
        env.DB.prepare("select 1");
        return new Response("unexpected");
      } catch (e) {
        return new Response((e as Error).message, { status: 501 });
      }
    }
    return new Response("still serving");
  },
};
