interface Env {
  STAGE: string;
  FEATURES: { search: boolean; beta: string[] };
  RETRIES: number;
  API_TOKEN: string;
  CACHE: KVNamespace;
}

export default {
  async fetch(_request: Request, env: Env): Promise<Response> {
    await env.CACHE.put("stage", env.STAGE);
    return Response.json({
      stage: env.STAGE,
      search: env.FEATURES.search,
      beta: env.FEATURES.beta,
      retries: env.RETRIES * 1,
      token: env.API_TOKEN,
      cached: await env.CACHE.get("stage"),
    });
  },
} satisfies ExportedHandler<Env>;
