"""The declared types (resources/types + the WebWorker lib) know the globals this part adds, and the
isolate has every one of them: a script using them type-checks with TypeScript 7 and runs."""

from __future__ import annotations

from pathlib import Path

from runtime.typecheck import check

GLOBALS = [
    "ReadableStream", "ReadableStreamDefaultReader", "ReadableStreamBYOBReader", "ReadableStreamBYOBRequest",
    "ReadableStreamDefaultController", "ReadableByteStreamController", "WritableStream", "WritableStreamDefaultWriter",
    "WritableStreamDefaultController", "TransformStream", "TransformStreamDefaultController",
    "ByteLengthQueuingStrategy", "CountQueuingStrategy", "TextEncoderStream", "TextDecoderStream",
    "IdentityTransformStream", "FixedLengthStream", "CompressionStream", "DecompressionStream",
    "Blob", "File", "FormData", "CustomEvent", "MessageChannel", "MessagePort", "MessageEvent", "reportError",
    "performance", "Performance", "scheduler", "navigator", "self", "DOMException",
]

USAGE = """
export default {
  async fetch(request: Request): Promise<Response> {
    const seen: string[] = [%s];
    const { readable, writable } = new IdentityTransformStream();
    const fixed = new FixedLengthStream(3);
    await scheduler.wait(1);
    const colo: string | undefined = request.cf?.colo;
    const form = await request.formData();
    const file = form.get("f");
    const name = file instanceof File ? file.name : "";
    const gz = readable.pipeThrough(new CompressionStream("gzip"));
    const code: number = DOMException.ABORT_ERR;
    const { port1 } = new MessageChannel();
    reportError(new Error("x"));
    void [seen, writable, fixed, gz, port1, code, performance.now(), self, navigator.userAgent, colo, name];
    return new Response(new Blob(["x"]).stream().pipeThrough(new TextDecoderStream()).pipeThrough(new TextEncoderStream()));
  },
} satisfies ExportedHandler;
"""

TEMPLATE_TSCONFIG = Path(__file__).resolve().parents[3] / "resources" / "templates" / "hello" / "tsconfig.json"


async def test_declared_types_cover_the_added_globals(make_project) -> None:
    root = make_project({"src/index.ts": USAGE % ", ".join(f"typeof {n}" for n in GLOBALS),
                         "tsconfig.json": TEMPLATE_TSCONFIG.read_text()})
    diagnostics = await check(root)
    assert diagnostics == [], "\n".join(str(d) for d in diagnostics)


def test_the_isolate_has_every_declared_global(js) -> None:
    missing = js("[" + ", ".join(f"[{n!r}, typeof globalThis[{n!r}]]" for n in GLOBALS) + "]")
    assert [name for name, kind in missing if kind == "undefined"] == []


def test_the_language_service_promises_no_global_the_isolate_lacks(tmp_path: Path, tools) -> None:  # type: ignore[no-untyped-def]
    """Every value global a new project's TypeScript sees beyond the ES libs (the cut WebWorker lib in
    .isoplay/types plus isoplay's own declarations) is on the isolate's globalThis, and the Web APIs
    the Workers platform has (the globals of this issue) are all declared."""
    import asyncio

    from runtime.compat.types import MISSING_PREFIX, declared_values, runtime_globals
    from runtime.project import new_project

    project = new_project(tmp_path / "p", "hello")
    files = [*sorted((project.root / "types").glob("*.d.ts")), project.root / ".isoplay" / "types" / "webworker.d.ts"]
    declared = {d.name for f in files for d in declared_values(f.read_bytes()) if not d.name.startswith(MISSING_PREFIX)}
    present = runtime_globals()
    assert sorted(declared - present) == []
    assert set(GLOBALS) | {"fetch", "Request", "Response", "Headers", "URL", "URLSearchParams", "URLPattern", "crypto",
                           "CryptoKey", "SubtleCrypto", "caches", "Cache", "CacheStorage", "HTMLRewriter", "WebSocket",
                           "WebSocketPair", "EventSource", "ServiceWorkerGlobalScope", "WorkerGlobalScope",
                           "AbortController", "structuredClone", "queueMicrotask", "setTimeout"} <= declared
    # and TypeScript says so: a global the isolate lacks does not type-check, one it has does
    (project.root / "src" / "index.ts").write_text(
        "export default { async fetch(): Promise<Response> {\n"
        "  indexedDB.open('x');\n"
        "  new XMLHttpRequest();\n"
        "  importScripts('a.js');\n"
        "  return new Response(new URLPattern({ pathname: '/' }).pathname + typeof EventSource);\n"
        "} };\n", encoding="utf-8")
    found = asyncio.run(check(project.root))
    assert [(d.location.line if d.location else 0, d.message.split(" (TS")[0]) for d in found] == [
        (2, "Cannot find name 'indexedDB'."),
        (3, "'XMLHttpRequest' only refers to a type, but is being used as a value here."),
        (4, "Cannot find name 'importScripts'."),
    ]
