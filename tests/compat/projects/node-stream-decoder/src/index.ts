import { Readable, Transform, Writable, pipeline } from "node:stream";
import { StringDecoder } from "node:string_decoder";

function upper(): Transform {
  return new Transform({
    transform(chunk, _enc, done) { done(null, String(chunk).toUpperCase()); },
  });
}

export default {
  async fetch(request: Request): Promise<Response> {
    const words = (new URL(request.url).searchParams.get("w") ?? "").split(",");
    const out: string[] = [];
    await new Promise<void>((resolve, reject) => {
      pipeline(
        Readable.from(words),
        upper(),
        new Writable({ write(chunk, _enc, done) { out.push(String(chunk)); done(); } }),
        (err) => (err ? reject(err) : resolve()),
      );
    });
    // a multi-byte character split across two chunks
    const euro = Buffer.from("€uro");
    const decoder = new StringDecoder("utf8");
    const decoded = decoder.write(euro.subarray(0, 2)) + decoder.write(euro.subarray(2)) + decoder.end();
    return Response.json({ out, decoded });
  },
};
