// HTTP Basic authentication in front of a private area, with a constant-time comparison.
interface Env { BASIC_USER: string; BASIC_PASS: string }

const encoder = new TextEncoder();

function sameText(a: string, b: string): boolean {
  const x = encoder.encode(a);
  const y = encoder.encode(b);
  if (x.byteLength !== y.byteLength) return false;
  return crypto.subtle.timingSafeEqual(x, y);
}

function challenge(reason: string): Response {
  return new Response(reason, {
    status: 401,
    headers: { "WWW-Authenticate": 'Basic realm="private", charset="UTF-8"' },
  });
}

export default {
  async fetch(request: Request, env: Env): Promise<Response> {
    const { pathname } = new URL(request.url);
    if (pathname === "/") return new Response("public page");
    if (pathname === "/logout") return new Response("logged out", { status: 401 });
    const header = request.headers.get("Authorization");
    if (!header) return challenge("credentials required");
    const [scheme, encoded] = header.split(" ");
    if (scheme !== "Basic" || !encoded) return new Response("malformed authorization header", { status: 400 });
    let decoded: string;
    try {
      decoded = new TextDecoder().decode(Uint8Array.from(atob(encoded), (c) => c.charCodeAt(0)));
    } catch {
      return new Response("malformed credentials", { status: 400 });
    }
    const split = decoded.indexOf(":");
    const user = decoded.slice(0, split);
    const pass = decoded.slice(split + 1);
    if (split < 0 || !sameText(user, env.BASIC_USER) || !sameText(pass, env.BASIC_PASS)) {
      return challenge("invalid credentials");
    }
    return new Response(`welcome ${user} 🔐`, { headers: { "Cache-Control": "no-store" } });
  },
} satisfies ExportedHandler<Env>;
