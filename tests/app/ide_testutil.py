"""Helpers and sample sources for the IDE tests."""

from __future__ import annotations

from typing import Any

from editor.lsp import ServerStatus

WAIT_MS = 20_000

INDEX_TS = """import { shout } from "./util";

export default {
  async fetch(request, env): Promise<Response> {
    const url = new URL(request.url);
    console.log("handling " + url.pathname);
    if (url.pathname === "/boom") {
      throw new Error("kaboom");
    }
    await env.KV.put("last", url.pathname);
    return Response.json({ message: shout("hi"), path: url.pathname });
  },
} satisfies ExportedHandler<Env>;
"""
THROW_LINE = 8
"""1-based line of ``throw new Error("kaboom")`` in INDEX_TS."""

UTIL_TS = """export function shout(text: string): string {
  return text.toUpperCase() + "!";
}
"""



def language_ready(ide: Any) -> bool:
    """The language client is up and serving."""
    client = ide.services.language.client
    return client is not None and client.status is ServerStatus.READY
