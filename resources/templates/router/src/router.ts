/** A handler for one route; `params` holds the `:name` parts of the path. */
export type Handler = (request: Request, params: Record<string, string>, env: Env) => Response | Promise<Response>;

interface Route { method: string; parts: string[]; handler: Handler }

/** A minimal method + path router with `:param` segments. */
export class Router {
  private routes: Route[] = [];

  on(method: string, path: string, handler: Handler): this {
    this.routes.push({ method: method.toUpperCase(), parts: path.split("/").filter(Boolean), handler });
    return this;
  }

  async handle(request: Request, env: Env): Promise<Response> {
    const segments = new URL(request.url).pathname.split("/").filter(Boolean);
    for (const route of this.routes) {
      const params = match(route.parts, segments);
      if (params && route.method === request.method) return route.handler(request, params, env);
    }
    return Response.json({ error: "not found" }, { status: 404 });
  }
}

function match(parts: string[], segments: string[]): Record<string, string> | null {
  if (parts.length !== segments.length) return null;
  const params: Record<string, string> = {};
  for (let i = 0; i < parts.length; i++) {
    if (parts[i].startsWith(":")) params[parts[i].slice(1)] = decodeURIComponent(segments[i]);
    else if (parts[i] !== segments[i]) return null;
  }
  return params;
}
