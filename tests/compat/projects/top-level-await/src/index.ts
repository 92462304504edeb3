import { BUILD } from "./config";

const routes = await Promise.all([import("./routes/health"), import("./routes/version")]);

export default {
  async fetch(request: Request): Promise<Response> {
    const path = new URL(request.url).pathname;
    for (const route of routes) {
      if (route.path === path) return route.handle(BUILD);
    }
    return new Response("no route", { status: 404 });
  },
};
