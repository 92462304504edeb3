interface Env { BUCKET: R2Bucket }

function objectNotFound(key: string): Response {
  return new Response(`object ${key} not found`, { status: 404 });
}

export default {
  async fetch(request: Request, env: Env): Promise<Response> {
    const url = new URL(request.url);
    const key = decodeURIComponent(url.pathname.slice(1));

    if (request.method === "GET" && key === "") {
      const listed = await env.BUCKET.list({
        prefix: url.searchParams.get("prefix") ?? undefined,
        delimiter: url.searchParams.get("delimiter") ?? undefined,
        limit: Number(url.searchParams.get("limit") ?? 1000),
        cursor: url.searchParams.get("cursor") ?? undefined,
        include: ["customMetadata"],
      });
      return Response.json({
        keys: listed.objects.map((o) => ({ key: o.key, size: o.size, meta: o.customMetadata ?? null })),
        prefixes: listed.delimitedPrefixes,
        truncated: listed.truncated,
      });
    }

    switch (request.method) {
      case "PUT": {
        const owner = request.headers.get("x-owner");
        const object = await env.BUCKET.put(key, request.body, {
          httpMetadata: request.headers,
          customMetadata: owner ? { owner } : undefined,
          onlyIf: request.headers,
        });
        if (object === null) return new Response("precondition failed", { status: 412 });
        return new Response(`put ${key} (${object.size} bytes)`, { status: 201, headers: { etag: object.httpEtag } });
      }
      case "GET": {
        const object = await env.BUCKET.get(key, { onlyIf: request.headers, range: request.headers });
        if (object === null) return objectNotFound(key);
        const headers = new Headers();
        object.writeHttpMetadata(headers);
        headers.set("etag", object.httpEtag);
        if (!("body" in object)) return new Response(null, { status: 304, headers });
        const range = object.range as { offset: number; length: number } | undefined;
        if (range && request.headers.has("range")) {
          headers.set("content-range", `bytes ${range.offset}-${range.offset + range.length - 1}/${object.size}`);
        }
        return new Response(object.body, { status: range && request.headers.has("range") ? 206 : 200, headers });
      }
      case "HEAD": {
        const object = await env.BUCKET.head(key);
        if (object === null) return objectNotFound(key);
        const headers = new Headers({ etag: object.httpEtag, "x-size": String(object.size) });
        object.writeHttpMetadata(headers);
        return new Response(null, { headers });
      }
      case "DELETE":
        await env.BUCKET.delete(key);
        return new Response("deleted");
      default:
        return new Response("method not allowed", { status: 405, headers: { allow: "PUT, GET, HEAD, DELETE" } });
    }
  },
};
