import { Buffer } from "node:buffer";

// The Buffer global exists too under nodejs_compat.
const sameBuffer = globalThis.Buffer === Buffer;

export default {
  async fetch(request: Request): Promise<Response> {
    const text = new URL(request.url).searchParams.get("text") ?? "";
    const buf = Buffer.from(text, "utf8");
    const framed = Buffer.alloc(4 + buf.length);
    framed.writeUInt32BE(buf.length, 0);
    buf.copy(framed, 4);
    return Response.json({
      base64: buf.toString("base64"),
      base64url: buf.toString("base64url"),
      hex: buf.toString("hex"),
      bytes: buf.length,
      framedLength: framed.readUInt32BE(0),
      roundTrip: Buffer.from(buf.toString("base64"), "base64").toString("utf8"),
      concat: Buffer.concat([Buffer.from("ab"), Buffer.from([0x63])]).toString(),
      compare: Buffer.compare(Buffer.from("a"), Buffer.from("b")),
      isBuffer: Buffer.isBuffer(framed) && !Buffer.isBuffer(new Uint8Array(1)),
      sameBuffer,
    });
  },
};
