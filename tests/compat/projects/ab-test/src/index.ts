// A/B test: a sticky cookie decides which variant a visitor gets.
import { parseCookie, stringifySetCookie } from "cookie";

interface Env { EXPERIMENT: { name: string; share: number } }

const COOKIE = "ab-group";

export default {
  async fetch(request: Request, env: Env): Promise<Response> {
    const cookies = parseCookie(request.headers.get("cookie") ?? "");
    let group = cookies[COOKIE];
    const fresh = group !== "control" && group !== "test";
    if (fresh) {
      const forced = new URL(request.url).searchParams.get("force");
      group = forced === "control" || forced === "test" ? forced : Math.random() < env.EXPERIMENT.share ? "test" : "control";
    }
    const page = group === "test" ? `<h1>${env.EXPERIMENT.name}: new</h1>` : "<h1>classic</h1>";
    const response = new Response(page, { headers: { "content-type": "text/html; charset=utf-8", "x-ab-group": group! } });
    if (fresh) {
      response.headers.append("set-cookie", stringifySetCookie({ name: COOKIE, value: group!, path: "/", httpOnly: true, maxAge: 86400 }));
    }
    return response;
  },
} satisfies ExportedHandler<Env>;
