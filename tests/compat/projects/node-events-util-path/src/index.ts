import { EventEmitter, once } from "node:events";
import { format, promisify, types, inherits } from "node:util";
import path from "node:path";
import { URL as NodeURL, fileURLToPath } from "node:url";
import assert from "node:assert";
import { setTimeout as sleep } from "node:timers/promises";

class Job extends EventEmitter {}

function legacy(value: number, cb: (err: Error | null, out?: number) => void): void {
  setTimeout(() => (value < 0 ? cb(new Error("negative")) : cb(null, value * 2)), 1);
}

export default {
  async fetch(): Promise<Response> {
    const job = new Job();
    const seen: string[] = [];
    job.on("progress", (p: number) => seen.push(`p${p}`));
    const done = once(job, "done");
    setTimeout(() => { job.emit("progress", 50); job.emit("done", "ok"); }, 1);
    const [result] = await done;
    const doubled = await promisify(legacy)(21);
    let assertion = "";
    try { assert.strictEqual(1, 2); } catch (e) { assertion = (e as Error).name; }
    await sleep(2);
    function Base() {}
    function Child() {}
    inherits(Child, Base);
    return Response.json({
      seen, result, doubled, assertion,
      formatted: format("%s has %d items (%j)", "cart", 3, { a: 1 }),
      isPromise: types.isPromise(Promise.resolve()),
      joined: path.join("/srv", "app", "../static", "a.css"),
      ext: path.extname("archive.tar.gz"),
      relative: path.relative("/a/b/c", "/a/d"),
      host: new NodeURL("https://user@example.com:8080/p?q=1").host,
      file: fileURLToPath("file:///tmp/x%20y.txt"),
      inherits: Object.getPrototypeOf(Child.prototype) === Base.prototype,
    });
  },
};
