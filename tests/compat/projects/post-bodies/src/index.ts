// Read a POST body whatever its content type, and describe what arrived.
async function readBody(request: Request): Promise<unknown> {
  const type = request.headers.get("content-type") ?? "";
  if (type.includes("application/json")) return { kind: "json", value: await request.json() };
  if (type.includes("application/x-www-form-urlencoded")) {
    const form = await request.formData();
    return { kind: "form", value: Object.fromEntries([...form.entries()].map(([k, v]) => [k, String(v)])) };
  }
  if (type.includes("text/")) return { kind: "text", value: await request.text() };
  const bytes = new Uint8Array(await request.arrayBuffer());
  return { kind: "binary", length: bytes.byteLength, first: bytes[0] ?? null };
}

export default {
  async fetch(request: Request): Promise<Response> {
    if (request.method !== "POST") return new Response("send a POST", { status: 405 });
    try {
      return Response.json(await readBody(request));
    } catch (e) {
      return Response.json({ error: (e as Error).name }, { status: 400 });
    }
  },
};
