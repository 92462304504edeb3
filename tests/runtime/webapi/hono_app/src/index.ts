import { Hono } from "hono";
import { streamText } from "hono/streaming";

const app = new Hono();

app.get("/text", (c) =>
  streamText(c, async (stream) => {
    for (let i = 0; i < 4; i++) {
      if (i > 0) await stream.sleep(150);
      await stream.writeln(`line ${i} written at ${Date.now()}`);
    }
  }),
);

app.post("/upload", async (c) => {
  const body = await c.req.parseBody();
  const file = body["file"];
  if (!(file instanceof File)) return c.json({ error: "the file part is not a File", got: typeof file }, 400);
  const bytes = new Uint8Array(await file.arrayBuffer());
  let sum = 0;
  for (const b of bytes) sum += b;
  return c.json({ name: file.name, type: file.type, size: file.size, sum, note: body["note"] });
});

export default app;
