import crypto, { createHash, createHmac, randomBytes, randomUUID, timingSafeEqual, webcrypto } from "node:crypto";

export default {
  async fetch(request: Request): Promise<Response> {
    const input = new URL(request.url).searchParams.get("s") ?? "";
    const etag = createHash("sha1").update(input).digest("base64");
    const incremental = createHash("sha256");
    for (const part of input.split("")) incremental.update(part);
    const random = randomBytes(16);
    let unequal = "";
    try { timingSafeEqual(Buffer.from("ab"), Buffer.from("abc")); } catch (e) { unequal = (e as Error).message; }
    const digest = await webcrypto.subtle.digest("SHA-256", new TextEncoder().encode(input));
    return Response.json({
      md5: createHash("md5").update(input).digest("hex"),
      sha256: incremental.digest("hex"),
      sha512len: crypto.createHash("sha512").update(input, "utf8").digest().length,
      etag,
      hmac: createHmac("sha256", "key").update(input).digest("hex"),
      randomLength: random.length,
      uuid: /^[0-9a-f-]{36}$/.test(randomUUID()),
      equal: timingSafeEqual(Buffer.from("same"), Buffer.from("same")),
      unequal,
      webDigestMatches: Buffer.from(digest).toString("hex") === createHash("sha256").update(input).digest("hex"),
    });
  },
};
