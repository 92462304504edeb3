// Tokens with jsonwebtoken, the Node library (CommonJS: it requires "stream", "util" and
// "crypto" and inherits from Stream), under nodejs_compat.
import jwt from "jsonwebtoken";
import { createHmac, createSecretKey } from "node:crypto";

interface Env { JWT_SECRET: string; ISSUER: string }

export default {
  async fetch(request: Request, env: Env): Promise<Response> {
    const url = new URL(request.url);
    if (url.pathname === "/token") {
      const sub = url.searchParams.get("sub") ?? "anonymous";
      const token = jwt.sign({ sub, role: "reader" }, env.JWT_SECRET, { issuer: env.ISSUER, noTimestamp: true });
      return Response.json({ token });
    }
    if (url.pathname === "/verify") {
      const token = (request.headers.get("authorization") ?? "").replace(/^Bearer /, "");
      try {
        const claims = jwt.verify(token, env.JWT_SECRET, { issuer: env.ISSUER }) as jwt.JwtPayload;
        return Response.json({ ok: true, sub: claims.sub, role: claims.role });
      } catch (e) {
        return Response.json({ ok: false, error: (e as Error).name, message: (e as Error).message }, { status: 401 });
      }
    }
    if (url.pathname === "/key") {
      const key = createSecretKey(Buffer.from(env.JWT_SECRET));
      const mac = createHmac("sha256", key).update("x").digest("hex");
      return Response.json({ type: key.type, size: key.symmetricKeySize, mac: mac.slice(0, 16) });
    }
    return new Response("node-jsonwebtoken: /token?sub=, /verify, /key\n");
  },
};
