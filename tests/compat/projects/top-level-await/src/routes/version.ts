export const path = "/version";
export const handle = (build: { name: string; fingerprint: string }) => Response.json(build);
