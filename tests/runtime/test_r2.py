"""R2 end to end: real scripts in real isolates, through the prelude and the host ops, on a real SQLite file.

Expected shapes are R2's Workers API (Cloudflare's R2 docs and workerd's R2 tests): ``get`` of a missing key
is null, a failed ``onlyIf`` on ``get`` gives the object without a body and on ``put`` gives null, ``etag``
is the MD5 of the body and ``httpEtag`` the quoted etag, list folds keys at the delimiter.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from pathlib import Path
from typing import Any

from runtime.invocation import RunTrigger
from runtime.project import Project
from runtime.runner import run_once

MANIFEST = 'name = "t"\nmain = "src/index.ts"\n[[r2_buckets]]\nbinding = "FILES"\nbucket_name = "files"\n'

ROUND_TRIP = """
export default {
  async run(_input: unknown, env: { FILES: R2Bucket }) {
    const b = env.FILES;
    const out: Record<string, unknown> = {};
    const put = await b.put("docs/a.txt", "hello r2", {
      httpMetadata: { contentType: "text/plain", cacheControl: "max-age=60" }, customMetadata: { owner: "ada" } });
    out.put = { key: put!.key, size: put!.size, etag: put!.etag, httpEtag: put!.httpEtag,
                uploadedIsDate: put!.uploaded instanceof Date, tag: Object.prototype.toString.call(put) };
    await b.put("docs/b.bin", new Uint8Array([0, 1, 2, 255]));
    await b.put("docs/sub/c.txt", new Blob(["from a blob"]));
    await b.put("img/x.png", new Response("streamed").body);
    const got = await b.get("docs/a.txt");
    const headers = new Headers();
    got!.writeHttpMetadata(headers);
    out.got = { text: await got!.text(), used: got!.bodyUsed, ct: headers.get("content-type"),
                cc: headers.get("cache-control"), custom: got!.customMetadata, md5: got!.checksums.toJSON() };
    out.bytes = [...new Uint8Array(await (await b.get("docs/b.bin"))!.arrayBuffer())];
    out.blob = await (await b.get("docs/sub/c.txt"))!.text();
    out.stream = await new Response((await b.get("img/x.png"))!.body).text();
    out.range = await (await b.get("docs/a.txt", { range: { offset: 6, length: 2 } }))!.text();
    out.suffix = await (await b.get("docs/a.txt", { range: { suffix: 2 } }))!.text();
    out.rangeHeader = await (await b.get("docs/a.txt", { range: new Headers({ range: "bytes=0-4" }) }))!.text();
    const notModified = await b.get("docs/a.txt", { onlyIf: { etagDoesNotMatch: put!.etag } });
    out.onlyIfGet = [notModified !== null, "body" in notModified!, Object.prototype.toString.call(notModified)];
    out.onlyIfPut = await b.put("docs/a.txt", "changed", { onlyIf: { etagMatches: "0000" } });
    out.afterOnlyIfPut = await (await b.get("docs/a.txt"))!.text();
    out.head = (await b.head("docs/b.bin"))!.size;
    out.missing = [await b.get("nope"), await b.head("nope")];
    const all = await b.list();
    out.list = all.objects.map((o) => o.key);
    out.listMeta = [all.objects[0].customMetadata, (await b.list({ include: ["customMetadata"], prefix: "docs/a" })).objects[0].customMetadata];
    const folded = await b.list({ delimiter: "/", prefix: "docs/" });
    out.folded = [folded.objects.map((o) => o.key), folded.delimitedPrefixes];
    const page = await b.list({ limit: 2 });
    const next = await b.list({ limit: 2, cursor: page.cursor });
    out.pages = [page.objects.map((o) => o.key), page.truncated, next.objects.map((o) => o.key)];
    await b.delete(["docs/b.bin", "img/x.png"]);
    await b.delete("docs/sub/c.txt");
    out.afterDelete = (await b.list()).objects.map((o) => o.key);
    try { await b.put("k", "x", { md5: "00112233445566778899aabbccddeeff" }); } catch (e) { out.md5Error = String(e); }
    try { await b.get("x".repeat(1100)); } catch (e) { out.keyError = String(e); }
    try { b.createMultipartUpload(); } catch (e) { out.multipart = String(e); }
    out.tag = Object.prototype.toString.call(b);
    return out;
  },
};
"""


async def test_objects_round_trip_with_r2_shapes(make_project: Callable[..., Path]) -> None:
    root = make_project({"src/index.ts": ROUND_TRIP}, MANIFEST)
    result = await run_once(root, RunTrigger(None))
    assert result.outcome == "ok", result.error
    out: dict[str, Any] = result.value
    assert out["put"] == {"key": "docs/a.txt", "size": 8, "etag": "a9a3a684daaff3d845f37f1b7eae1ddf",
                          "httpEtag": '"a9a3a684daaff3d845f37f1b7eae1ddf"', "uploadedIsDate": True,
                          "tag": "[object R2Object]"}
    assert out["got"] == {"text": "hello r2", "used": True, "ct": "text/plain", "cc": "max-age=60",
                          "custom": {"owner": "ada"}, "md5": {"md5": "a9a3a684daaff3d845f37f1b7eae1ddf"}}
    assert out["bytes"] == [0, 1, 2, 255] and out["blob"] == "from a blob" and out["stream"] == "streamed"
    assert (out["range"], out["suffix"], out["rangeHeader"]) == ("r2", "r2", "hello")
    assert out["onlyIfGet"] == [True, False, "[object R2Object]"]
    assert out["onlyIfPut"] is None and out["afterOnlyIfPut"] == "hello r2"
    assert out["head"] == 4 and out["missing"] == [None, None]
    assert out["list"] == ["docs/a.txt", "docs/b.bin", "docs/sub/c.txt", "img/x.png"]
    assert out["listMeta"] == [None, {"owner": "ada"}]  # metadata only when include asks for it
    assert out["folded"] == [["docs/a.txt", "docs/b.bin"], ["docs/sub/"]]
    assert out["pages"] == [["docs/a.txt", "docs/b.bin"], True, ["docs/sub/c.txt", "img/x.png"]]
    assert out["afterDelete"] == ["docs/a.txt"]
    assert "MD5 checksum you specified did not match" in out["md5Error"]
    assert out["keyError"].startswith("Error: R2 key is 1100 bytes; the limit is 1024")
    assert "multipart uploads are not supported" in out["multipart"]
    assert out["tag"] == "[object R2Bucket]"
    with sqlite3.connect(Project.open(root).r2_path) as conn:  # a real SQLite file, keyed by bucket_name
        assert conn.execute("SELECT bucket, key, size FROM objects").fetchall() == [("files", "docs/a.txt", 8)]


async def test_a_forged_binding_is_refused(make_project: Callable[..., Path]) -> None:
    source = """
    export default { async run(_i: unknown, env: { FILES: R2Bucket }) {
      const Bucket = Object.getPrototypeOf(env.FILES).constructor as any;
      try { await new Bucket("OTHER").head("k"); return "ran"; } catch (e) { return String(e); }
    } };
    """
    result = await run_once(make_project({"src/index.ts": source}, MANIFEST), RunTrigger(None))
    assert result.value == "Error: no R2 bucket is bound to 'OTHER'"
