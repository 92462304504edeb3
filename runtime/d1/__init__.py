"""Cloudflare D1 on local SQLite files: the store (``runtime.d1.store``) and the host ops (``runtime.d1.ops``)."""
