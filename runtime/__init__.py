"""isoplay runtime: toolchain, bundler, isolates, pool, KV, triggers, servers (no Qt)."""
