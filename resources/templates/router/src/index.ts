import { Router } from "./router";

interface Todo { id: number; title: string; done: boolean }
const todos: Todo[] = [{ id: 1, title: "Write a script", done: true }];

const router = new Router()
  .on("GET", "/", (_req, _params, env) => Response.json({ service: "todos", version: env.API_VERSION }))
  .on("GET", "/todos", () => Response.json(todos))
  .on("GET", "/todos/:id", (_req, { id }) => {
    const todo = todos.find((t) => t.id === Number(id));
    return todo ? Response.json(todo) : Response.json({ error: `no todo ${id}` }, { status: 404 });
  })
  .on("POST", "/todos", async (req) => {
    const body = (await req.json()) as Partial<Todo>;
    if (typeof body.title !== "string") return Response.json({ error: "title is required" }, { status: 400 });
    const todo = { id: todos.length + 1, title: body.title, done: false };
    todos.push(todo);
    return Response.json(todo, { status: 201 });
  });

export default {
  fetch: (request, env) => router.handle(request, env),
} satisfies ExportedHandler<Env>;
