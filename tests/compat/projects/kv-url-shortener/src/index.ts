import { customAlphabet } from "nanoid";

interface Env { LINKS: KVNamespace; BASE_URL: string; MAX_TTL_DAYS: number }
interface Link { target: string; created: number; hits: number }

const slug = customAlphabet("23456789abcdefghjkmnpqrstuvwxyz", 7);

async function shorten(request: Request, env: Env): Promise<Response> {
  let target: string;
  try {
    const body = await request.json<{ url?: string; days?: number }>();
    target = new URL(body.url ?? "").toString();
    const days = Math.min(body.days ?? 7, env.MAX_TTL_DAYS);
    const code = slug();
    const link: Link = { target, created: Date.now(), hits: 0 };
    await env.LINKS.put(code, JSON.stringify(link), { expirationTtl: days * 86400, metadata: { days } });
    return Response.json({ code, short: `${env.BASE_URL}/${code}`, days }, { status: 201 });
  } catch {
    return Response.json({ error: "send {\"url\": \"https://...\"}" }, { status: 400 });
  }
}

export default {
  async fetch(request: Request, env: Env, ctx: ExecutionContext): Promise<Response> {
    const { pathname } = new URL(request.url);
    if (request.method === "POST" && pathname === "/shorten") return shorten(request, env);
    const code = pathname.slice(1);
    if (pathname.startsWith("/stats/")) {
      const found = await env.LINKS.getWithMetadata<Link, { days: number }>(pathname.slice(7), "json");
      if (!found.value) return new Response("unknown code", { status: 404 });
      return Response.json({ target: found.value.target, hits: found.value.hits, days: found.metadata?.days });
    }
    const link = await env.LINKS.get<Link>(code, "json");
    if (!link) return new Response("unknown code", { status: 404 });
    link.hits += 1;
    ctx.waitUntil(env.LINKS.put(code, JSON.stringify(link), { metadata: { days: env.MAX_TTL_DAYS } }));
    return Response.redirect(link.target, 302);
  },
} satisfies ExportedHandler<Env>;
