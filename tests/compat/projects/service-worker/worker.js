// The service-worker syntax older Workers are written in.
const started = Date.now();

async function handle(request) {
  const url = new URL(request.url);
  if (url.pathname === "/redirect") return Response.redirect("https://example.com/moved", 301);
  if (url.pathname === "/json") return new Response(JSON.stringify({ uptimeKnown: Date.now() >= started }), { headers: { "content-type": "application/json" } });
  return new Response(`hello from ${request.method} ${url.pathname}`);
}

addEventListener("fetch", (event) => {
  event.respondWith(handle(event.request));
});

addEventListener("scheduled", (event) => {
  event.waitUntil(Promise.resolve().then(() => console.log("tick", event.cron)));
});
