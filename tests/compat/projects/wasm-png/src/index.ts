// A PNG service on a WebAssembly library (@cf-wasm/png imports its .wasm as a compiled module,
// as Workers' CompiledWasm rule gives it), plus a module of the project's own.
import { decode, encode } from "@cf-wasm/png";
import addModule from "./add.wasm?module";

const adder = new WebAssembly.Instance(addModule, {}).exports as { add(a: number, b: number): number };

function gradient(width: number, height: number): Uint8Array {
  const pixels = new Uint8Array(width * height * 4);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const i = (y * width + x) * 4;
      pixels.set([(x * 255) / Math.max(1, width - 1), (y * 255) / Math.max(1, height - 1), 128, 255], i);
    }
  }
  return pixels;
}

function hex(bytes: Uint8Array): string {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

export default {
  async fetch(request: Request): Promise<Response> {
    const url = new URL(request.url);
    if (url.pathname === "/add") {
      const a = Number(url.searchParams.get("a") ?? 0);
      const b = Number(url.searchParams.get("b") ?? 0);
      return Response.json({ sum: adder.add(a, b), module: addModule instanceof WebAssembly.Module });
    }
    if (url.pathname === "/gradient.png") {
      const width = Math.min(64, Number(url.searchParams.get("w") ?? 4));
      const height = Math.min(64, Number(url.searchParams.get("h") ?? 4));
      return new Response(encode(gradient(width, height), width, height), { headers: { "content-type": "image/png" } });
    }
    if (url.pathname === "/inspect" && request.method === "POST") {
      const image = decode(new Uint8Array(await request.arrayBuffer()));
      const first = image.image.slice(0, 4);
      return Response.json({ width: image.width, height: image.height, colorType: image.colorType,
                             bitDepth: image.bitDepth, firstPixel: hex(first) });
    }
    if (url.pathname === "/roundtrip") {
      const pixels = gradient(8, 3);
      const png = encode(pixels, 8, 3);
      const back = decode(png);
      const same = back.image.length === pixels.length && back.image.every((v, i) => v === pixels[i]);
      return Response.json({ signature: hex(png.slice(0, 8)), same, width: back.width, height: back.height });
    }
    return new Response("wasm-png: /add, /gradient.png, /inspect, /roundtrip\n");
  },
};
