// Derived once while the module loads (no I/O: Workers forbid it at the top level).
async function digestHex(text: string): Promise<string> {
  const buf = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text));
  return [...new Uint8Array(buf)].map((b) => b.toString(16).padStart(2, "0")).join("");
}

export const BUILD = { name: "tla", fingerprint: (await digestHex("release-7")).slice(0, 12) };
