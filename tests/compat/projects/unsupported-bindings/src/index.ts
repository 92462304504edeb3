// A Worker with bindings isoplay does not implement: it still loads, and a route that does
// not touch them works; the ones that do fail with an error naming the binding.
interface Env { JOBS: { send(body: unknown): Promise<void> }; EVENTS: { writeDataPoint(p: unknown): void } }

export default {
  async fetch(request: Request, env: Env): Promise<Response> {
    const path = new URL(request.url).pathname;
    try {
      if (path === "/jobs") { await env.JOBS.send({ n: 1 }); return new Response("sent"); }
      if (path === "/events") { env.EVENTS.writeDataPoint({ blobs: ["x"] }); return new Response("written"); }
    } catch (e) {
      return new Response((e as Error).message, { status: 501 });
    }
    return new Response("still serving");
  },
};
