export const path = "/health";
export const handle = (_build: { name: string }) => new Response("ok");
