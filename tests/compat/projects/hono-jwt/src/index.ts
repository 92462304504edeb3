import { Hono } from "hono";
import { jwt, sign } from "hono/jwt";

type Env = { Bindings: { JWT_SECRET: string; ISSUER: string } };
const app = new Hono<Env>();

app.post("/login", async (c) => {
  const { user } = await c.req.json<{ user: string }>();
  const token = await sign({ sub: user, iss: c.env.ISSUER, exp: Math.floor(Date.now() / 1000) + 60 }, c.env.JWT_SECRET, "HS256");
  return c.json({ token });
});

app.use("/me", (c, next) => jwt({ secret: c.env.JWT_SECRET, alg: "HS256" })(c, next));
app.get("/me", (c) => {
  const payload = c.get("jwtPayload") as { sub: string; iss: string };
  return c.json({ sub: payload.sub, iss: payload.iss });
});

export default app;
