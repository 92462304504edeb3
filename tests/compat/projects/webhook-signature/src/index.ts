// GitHub-style webhook receiver: X-Hub-Signature-256 = "sha256=" + HMAC-SHA256(secret, raw body).
import { createHmac, timingSafeEqual } from "node:crypto";
import { Buffer } from "node:buffer";

interface Env { WEBHOOK_SECRET: string }

function verify(secret: string, body: string, header: string | null): boolean {
  if (!header?.startsWith("sha256=")) return false;
  const expected = Buffer.from(createHmac("sha256", secret).update(body).digest("hex"), "utf8");
  const given = Buffer.from(header.slice(7), "utf8");
  return expected.length === given.length && timingSafeEqual(expected, given);
}

export default {
  async fetch(request: Request, env: Env): Promise<Response> {
    if (request.method !== "POST") return new Response("POST a webhook here", { status: 405, headers: { allow: "POST" } });
    const raw = await request.text();
    if (!verify(env.WEBHOOK_SECRET, raw, request.headers.get("x-hub-signature-256"))) {
      return new Response("bad signature", { status: 401 });
    }
    const event = request.headers.get("x-github-event") ?? "unknown";
    const payload = JSON.parse(raw) as { action?: string; repository?: { full_name?: string } };
    return Response.json({ accepted: true, event, action: payload.action, repo: payload.repository?.full_name });
  },
} satisfies ExportedHandler<Env>;
