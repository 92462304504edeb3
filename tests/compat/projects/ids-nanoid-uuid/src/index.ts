import { nanoid, customAlphabet } from "nanoid";
import { v4 as uuidv4, v5 as uuidv5, v7 as uuidv7, validate, version, NIL } from "uuid";

const NAMESPACE = "6ba7b811-9dad-11d1-80b4-00c04fd430c8"; // the URL namespace
const shortCode = customAlphabet("0123456789abcdef", 10);

export default {
  fetch(request: Request): Response {
    const url = new URL(request.url);
    const ids = { nano: nanoid(), short: shortCode(), v4: uuidv4(), v7: uuidv7() };
    return Response.json({
      lengths: { nano: ids.nano.length, short: ids.short.length },
      shortIsHex: /^[0-9a-f]{10}$/.test(ids.short),
      v4: { valid: validate(ids.v4), version: version(ids.v4) },
      v7: { valid: validate(ids.v7), version: version(ids.v7) },
      v5: uuidv5(url.searchParams.get("name") ?? "https://example.com/", NAMESPACE),
      nil: NIL,
      distinct: new Set(Array.from({ length: 50 }, () => nanoid())).size,
    });
  },
};
