import { Hono } from "hono";
import { basicAuth } from "hono/basic-auth";
import { cors } from "hono/cors";
import { logger } from "hono/logger";
import { secureHeaders } from "hono/secure-headers";
import { etag } from "hono/etag";
import { HTTPException } from "hono/http-exception";

type Bindings = { ADMIN_USER: string; ADMIN_PASSWORD: string; ALLOWED_ORIGIN: string };

const app = new Hono<{ Bindings: Bindings }>();

app.use("*", logger());
app.use("/api/*", (c, next) => cors({ origin: c.env.ALLOWED_ORIGIN, allowMethods: ["GET", "POST"] })(c, next));
app.use("/admin/*", (c, next) => basicAuth({ username: c.env.ADMIN_USER, password: c.env.ADMIN_PASSWORD })(c, next));
app.use("/static/*", etag(), secureHeaders());

app.get("/", (c) => c.text("hono up"));
app.get("/api/items/:id", (c) => c.json({ id: Number(c.req.param("id")), tags: c.req.queries("tag") ?? [] }));
app.post("/api/items", async (c) => {
  const body = await c.req.json<{ name: string }>();
  return c.json({ created: body.name }, 201);
});
app.get("/admin/stats", (c) => c.json({ user: c.env.ADMIN_USER, ok: true }));
app.get("/static/hello.txt", (c) => c.text("static hello"));
app.notFound((c) => c.json({ error: "not found", path: c.req.path }, 404));
app.onError((err, c) => (err instanceof HTTPException ? err.getResponse() : c.json({ error: err.message }, 500)));

export default app;
