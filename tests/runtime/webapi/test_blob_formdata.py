"""Blob, File and FormData (File API, XHR) in the isolate, and multipart/form-data both ways.

Expected values are what the specs (and the WPT FileAPI / xhr/formdata tests) say;
the multipart bodies are checked against Python's own email parser and built by
Python for the parsing direction, through real invocations.
"""

from __future__ import annotations

import base64
import email.parser
import email.policy
import json

import pytest

from runtime.invocation import HttpRequest
from runtime.runner import run_once

CASES: list[tuple[str, str, object]] = [
    ("Blob joins string, buffer, view and Blob parts", """
        const b = new Blob(["a", new Uint8Array([98]).buffer, new Uint8Array([0, 99, 0]).subarray(1, 2), new Blob(["d"])]);
        return [b.size, await b.text()];""", [4, "abcd"]),
    ("Blob type is lowercased; non-ASCII types become empty", """
        return [new Blob([], { type: "Text/HTML" }).type, new Blob([], { type: "a\\u00e9" }).type];""", ["text/html", ""]),
    ("strings are UTF-8 with lone surrogates replaced", """
        return Array.from(new Uint8Array(await new Blob(["\\u00e9\\uD800"]).arrayBuffer()));""", [0xC3, 0xA9, 0xEF, 0xBF, 0xBD]),
    ("endings: native turns CRLF and CR into LF", """
        return await new Blob(["a\\r\\nb\\rc"], { endings: "native" }).text();""", "a\nb\nc"),
    ("a bad endings value is a TypeError", """
        try { new Blob([], { endings: "nope" }); return "no"; } catch (e) { return e.name; }""", "TypeError"),
    ("a non-sequence parts argument is a TypeError", """
        try { new Blob("abc"); return "no"; } catch (e) { return e.name; }""", "TypeError"),
    ("slice takes negative offsets from the end and a content type", """
        const s = new Blob(["hello world"]).slice(-5, -1, "Text/Plain");
        return [await s.text(), s.size, s.type];""", ["worl", 4, "text/plain"]),
    ("slice clamps and never goes backwards", """
        const b = new Blob(["abc"]);
        return [await b.slice(2, 1).text(), await b.slice(-10).text(), await b.slice(1, 99).text()];""", ["", "abc", "bc"]),
    ("a Blob is immutable: changing the source buffer later changes nothing", """
        const u = new Uint8Array([1, 2]); const b = new Blob([u]); u[0] = 9;
        return Array.from(await b.bytes());""", [1, 2]),
    ("Blob.stream() is a byte stream of its bytes", """
        const r = new Blob(["xyz"]).stream().getReader({ mode: "byob" });
        const { value } = await r.read(new Uint8Array(8));
        return Array.from(value);""", [120, 121, 122]),
    ("File has a name, a lastModified and is a Blob", """
        const f = new File(["ab"], "n\\uD800.txt", { type: "text/plain", lastModified: 42 });
        return [f.name, f.lastModified, f.size, f.type, f instanceof Blob, Object.prototype.toString.call(f)];""",
     ["n\ufffd.txt", 42, 2, "text/plain", True, "[object File]"]),
    ("File needs two arguments", """
        try { new File(["a"]); return "no"; } catch (e) { return e.name; }""", "TypeError"),
    ("FormData turns a Blob into a File named blob", """
        const f = new FormData(); f.append("k", new Blob(["x"], { type: "image/png" }));
        const v = f.get("k"); return [v instanceof File, v.name, v.type, v.size];""", [True, "blob", "image/png", 1]),
    ("FormData keeps a File's name unless a filename is given", """
        const f = new FormData(); const file = new File(["x"], "a.txt");
        f.append("k", file); f.append("k", file, "b.txt");
        return [f.get("k") === file, f.getAll("k")[1].name];""", [True, "b.txt"]),
    ("FormData converts other values to strings", """
        const f = new FormData(); f.append("n", 12); f.append("o", { toString() { return "obj"; } });
        return [f.get("n"), f.get("o"), f.get("missing")];""", ["12", "obj", None]),
    ("a filename with a non-Blob value is a TypeError", """
        try { new FormData().append("a", "b", "c.txt"); return "no"; } catch (e) { return e.name; }""", "TypeError"),
    ("set() replaces the first entry and drops the others", """
        const f = new FormData(); f.append("a", "1"); f.append("b", "x"); f.append("a", "2"); f.set("a", "3");
        return [...f].map(([k, v]) => k + "=" + v);""", ["a=3", "b=x"]),
    ("delete, has and iteration order", """
        const f = new FormData(); f.append("a", "1"); f.append("b", "2"); f.append("a", "3"); f.delete("a");
        return [f.has("a"), f.has("b"), [...f.keys()], [...f.values()]];""", [False, True, ["b"], ["2"]]),
    ("Response.blob() and Request.blob() carry the content type", """
        const b = await new Response("hi", { headers: { "content-type": "Text/X" } }).blob();
        const r = await new Request("http://x/", { method: "POST", body: new Uint8Array([1]) }).blob();
        return [b.type, await b.text(), r.type, r.size];""", ["text/x", "hi", "", 1]),
    ("a Blob body sets Content-Type from its type", """
        const res = new Response(new Blob(["{}"], { type: "application/json" }));
        return [res.headers.get("content-type"), await res.text()];""", ["application/json", "{}"]),
    ("a FormData round-trips through a Response with binary file bytes", """
        const bytes = new Uint8Array(256); for (let i = 0; i < 256; i++) bytes[i] = i;
        const f = new FormData();
        f.append("text", "line1\\nline2"); f.append("file", new File([bytes], 'we"ird\\nname.bin', { type: "application/x-thing" }));
        const res = new Response(f);
        const back = await res.formData();
        const file = back.get("file");
        const got = new Uint8Array(await file.arrayBuffer());
        let same = got.length === 256; for (let i = 0; i < 256 && same; i++) same = got[i] === i;
        return [back.get("text"), file.name, file.type, file.size, same, /^multipart\\/form-data; boundary=/.test(res.headers.get("content-type"))];""",
     ["line1\r\nline2", "we%22ird%0Aname.bin", "application/x-thing", 256, True, True]),
    ("formData() of urlencoded bodies", """
        const f = await new Response("a=1&b=%20x&a=2", { headers: { "content-type": "application/x-www-form-urlencoded" } }).formData();
        return [f.getAll("a"), f.get("b")];""", [["1", "2"], " x"]),
    ("formData() refuses other content types and a multipart body without a boundary", """
        const a = await new Response("x", { headers: { "content-type": "text/plain" } }).formData().catch((e) => e.name);
        const b = await new Response("x", { headers: { "content-type": "multipart/form-data" } }).formData().catch((e) => e.name);
        return [a, b];""", ["TypeError", "TypeError"]),
    ("a truncated multipart body is a TypeError", """
        const body = "--XX\\r\\nContent-Disposition: form-data; name=\\"a\\"\\r\\n\\r\\nvalue";
        return await new Response(body, { headers: { "content-type": "multipart/form-data; boundary=XX" } }).formData().catch((e) => e.name);""",
     "TypeError"),
]


@pytest.mark.parametrize("body, expected", [(b, e) for _, b, e in CASES], ids=[name for name, _, _ in CASES])
def test_blob_and_formdata(js, body: str, expected: object) -> None:
    assert js.wait(body) == expected


ECHO_FORM = """
export default {
  async fetch(request: Request) {
    const url = new URL(request.url);
    if (url.pathname === "/make") {
      const f = new FormData();
      f.append("greeting", "héllo");
      f.append("upload", new File([new Uint8Array([0, 255, 13, 10, 45, 45])], "data.bin", { type: "application/octet-stream" }));
      return new Response(f);
    }
    const form = await request.formData();
    const out: Record<string, unknown> = {};
    for (const [k, v] of form) {
      out[k] = typeof v === "string" ? { text: v }
        : { file: true, name: v.name, type: v.type, size: v.size, b64: btoa(String.fromCharCode(...new Uint8Array(await v.arrayBuffer()))) };
    }
    return Response.json(out);
  },
};
"""


async def test_a_multipart_upload_with_a_file_reaches_the_handler_as_a_file(make_project) -> None:
    root = make_project({"src/index.ts": ECHO_FORM})
    payload = bytes(range(256)) * 4 + b"\r\n--not-the-boundary\r\n"
    boundary = "pyBoundary7MA4YWxkTrZu0gW"
    body = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"title\"\r\n\r\nMy upload ✓\r\n"
            f"--{boundary}\r\nContent-Disposition: form-data; name=\"doc\"; filename=\"report.pdf\"\r\n"
            f"Content-Type: application/pdf\r\n\r\n").encode() + payload + f"\r\n--{boundary}--\r\n".encode()
    result = await run_once(root, HttpRequest("POST", "http://localhost/", (
        ("content-type", f"multipart/form-data; boundary={boundary}"),), body))
    assert result.outcome == "ok", result.error
    got = json.loads(result.body)
    assert got["title"] == {"text": "My upload ✓"}
    doc = got["doc"]
    assert (doc["file"], doc["name"], doc["type"], doc["size"]) == (True, "report.pdf", "application/pdf", len(payload))
    assert base64.b64decode(doc["b64"]) == payload


async def test_new_response_of_formdata_is_multipart_python_can_parse(make_project) -> None:
    root = make_project({"src/index.ts": ECHO_FORM})
    result = await run_once(root, HttpRequest("GET", "http://localhost/make"))
    assert result.outcome == "ok", result.error
    content_type = dict(result.headers)["content-type"]
    assert content_type.startswith("multipart/form-data; boundary=")
    message = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(
        b"Content-Type: " + content_type.encode() + b"\r\n\r\n" + result.body)
    parts = {part.get_param("name", header="content-disposition"): part for part in message.iter_parts()}
    assert parts["greeting"].get_payload(decode=True).decode("utf-8") == "héllo"
    upload = parts["upload"]
    assert upload.get_filename() == "data.bin"
    assert upload.get_content_type() == "application/octet-stream"
    assert upload.get_payload(decode=True) == bytes([0, 255, 13, 10, 45, 45])
