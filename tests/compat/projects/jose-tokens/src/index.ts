import { SignJWT, jwtVerify, decodeProtectedHeader, base64url, errors } from "jose";

interface Env { TOKEN_KEY: string }

const key = (env: Env) => new TextEncoder().encode(env.TOKEN_KEY);

export default {
  async fetch(request: Request, env: Env): Promise<Response> {
    const url = new URL(request.url);
    if (url.pathname === "/issue") {
      const token = await new SignJWT({ role: url.searchParams.get("role") ?? "reader" })
        .setProtectedHeader({ alg: "HS256", typ: "JWT" })
        .setSubject("user-42")
        .setIssuedAt()
        .setExpirationTime("5m")
        .sign(key(env));
      return Response.json({ token, header: decodeProtectedHeader(token) });
    }
    if (url.pathname === "/check") {
      const token = (request.headers.get("authorization") ?? "").replace(/^Bearer /, "");
      try {
        const { payload } = await jwtVerify(token, key(env), { algorithms: ["HS256"] });
        return Response.json({ valid: true, sub: payload.sub, role: payload.role });
      } catch (e) {
        const code = e instanceof errors.JOSEError ? e.code : "unknown";
        return Response.json({ valid: false, code }, { status: 401 });
      }
    }
    if (url.pathname === "/b64") {
      return new Response(base64url.encode(url.searchParams.get("s") ?? ""));
    }
    return new Response("not found", { status: 404 });
  },
} satisfies ExportedHandler<Env>;
