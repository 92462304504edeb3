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
