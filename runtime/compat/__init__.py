"""Cloudflare Workers compatibility: open and run existing Workers projects unchanged.

Guarantees:

- ``wrangler``: a folder with ``wrangler.json`` / ``wrangler.jsonc`` / ``wrangler.toml``
  (and no ``isoplay.toml``) is a project. Its config becomes the same
  ``runtime.manifest.Manifest`` isoplay.toml gives (``[env.NAME]`` resolved as wrangler
  does, ``--env`` / ``CLOUDFLARE_ENV``); errors carry ``file:line:column`` and the key;
  unknown or unsupported keys are warnings, never failures; secrets come from
  ``.dev.vars`` / ``.env`` too.
- ``jsonc`` / ``tomlpos``: parsing with positions for those messages.
- ``build``: what a Workers project adds to the esbuild command line --
  ``cloudflare:workers``, module rules (Text, Data), ``nodejs_compat`` (unenv plus
  isoplay's own modules where unenv only stubs what workerd implements), top-level
  await -- and build errors that name the flag or rule to add.

The isolate side (service-worker syntax, class entry points, the ``cloudflare:workers``
exports, settling top-level await) is ``resources/prelude/src/workers.ts``.
"""
