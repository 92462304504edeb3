"""Cloudflare R2 on a local SQLite file: the store (``runtime.r2.store``) and the host ops (``runtime.r2.ops``)."""
