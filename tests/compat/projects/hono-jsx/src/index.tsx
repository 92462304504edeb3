import { Hono } from "hono";
import type { FC } from "hono/jsx";

const Layout: FC = (props) => (
  <html>
    <body>{props.children}</body>
  </html>
);

const Todo: FC<{ items: string[] }> = ({ items }) => (
  <Layout>
    <h1>Todo ({items.length})</h1>
    <ul>
      {items.map((item) => (
        <li class={item.startsWith("!") ? "urgent" : undefined}>{item.replace(/^!/, "")}</li>
      ))}
    </ul>
  </Layout>
);

const app = new Hono();
app.get("/", (c) => c.html(<Todo items={(c.req.query("items") ?? "").split(",").filter(Boolean)} />));
export default app;
