import { Hono } from "hono";
import { zValidator } from "@hono/zod-validator";
import { z } from "zod";

const Signup = z.object({
  email: z.email(),
  age: z.number().int().min(13),
  plan: z.enum(["free", "pro"]).default("free"),
});

const app = new Hono();

app.post(
  "/signup",
  zValidator("json", Signup, (result, c) => {
    if (!result.success) {
      return c.json({ ok: false, fields: result.error.issues.map((i) => i.path.join(".")) }, 400);
    }
  }),
  (c) => {
    const data = c.req.valid("json");
    return c.json({ ok: true, email: data.email, plan: data.plan });
  },
);

app.get("/search", zValidator("query", z.object({ q: z.string().min(2), page: z.coerce.number().default(1) })), (c) => {
  const { q, page } = c.req.valid("query");
  return c.json({ q, page });
});

export default app;
