import page from "./assets/index.html";
import changelog from "./assets/CHANGELOG.md";
import robots from "./assets/robots.txt";
import favicon from "./assets/favicon.ico";
import blob from "./assets/blob.bin";

function bytes(data: ArrayBuffer | Uint8Array): Uint8Array {
  return data instanceof Uint8Array ? data : new Uint8Array(data);
}

export default {
  fetch(request: Request): Response {
    switch (new URL(request.url).pathname) {
      case "/": return new Response(page.replace("{{title}}", "Rules"), { headers: { "content-type": "text/html" } });
      case "/changelog": return new Response(changelog);
      case "/robots.txt": return new Response(robots);
      case "/favicon.ico": return new Response(bytes(favicon), { headers: { "content-type": "image/x-icon" } });
      case "/blob": {
        const b = bytes(blob);
        return Response.json({ length: b.byteLength, last: b[b.byteLength - 1] });
      }
      default: return new Response("missing", { status: 404 });
    }
  },
};
