"""Patches applied to pinned npm packages the prelude bundles, where the package trails its spec.

Guarantees:

- The package stays the one the toolchain lock pins; isoplay never vendors its code. At prelude build
  time each patched file is read from the toolchain's ``node_modules``, every patch is applied as an
  exact text replacement that must match exactly once, and the result is written beside the prelude
  cache and bundled in place of the original (esbuild ``--alias``).
- A patch that does not apply (the lock moved to a version whose text differs) fails the prelude
  build with a message naming the package, the file and the patch: nothing is bundled half-patched.
- Each patch says which spec step it brings the package in line with; the conformance area of the
  package (``python -m bench.conformance``) measures the result.

Patched today: urlpattern-polyfill 10.1.0 (the newest release), against the current URLPattern
standard, which changed after that release:

- names (``:name``) are read by code point, so non-BMP ``ID_Start``/``ID_Continue`` characters
  (``:𠀀``, ``:a𐑐b``, variation selectors) are names, as the tokenizer's "is a valid name code
  point" steps say (the polyfill read UTF-16 code units and percent-encoded the halves);
- regular expressions use the ``v`` flag ("generate a regular expression and name list"), so
  class set operations (``[[a-z]--a]``, ``[\\d&&[0-1]]``) work;
- hostnames canonicalise with the URL parser's hostname state (its setter), which stops at ``/``,
  ``?``, ``#`` and ``\\`` and drops tabs and newlines, instead of rejecting those characters;
- ports canonicalise with the URL parser's port state (``"80x"`` and ``"8\\t0"`` are port 80), and
  the default port is compared after canonicalising;
- ``wss`` has its default port 443 (the polyfill's table said ``wws``).
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass
from pathlib import Path

from runtime.errors import BundleError


@dataclass(frozen=True)
class Patch:
    """One exact replacement in a file of a package."""

    why: str
    old: str
    new: str


@dataclass(frozen=True)
class PatchedFile:
    """A file of a pinned package, the import specifier the prelude uses for it, and its patches."""

    specifier: str
    package: str
    version: str
    file: str
    patches: tuple[Patch, ...]


_URLPATTERN_HOST = (
    'if(/[\\t\\n\\r #%/:<>?@[\\]^\\\\|]/g.test(e))throw new TypeError(`Invalid hostname \'${e}\'`);'
    'let t=new URL("https://example.com");return t.hostname=e,t.hostname}a(G,"hostnameEncodeCallback")'
)

FILES: tuple[PatchedFile, ...] = (
    PatchedFile(
        specifier="urlpattern-polyfill/urlpattern",
        package="urlpattern-polyfill",
        version="10.1.0",
        file="dist/urlpattern.cjs",
        patches=(
            Patch(
                "tokenizer: a name is read by code point (non-BMP ID_Start / ID_Continue characters)",
                'let i=e.substr(s,1);if(s===n+1&&ye.test(i)||s!==n+1&&we.test(i)){f+=e[s++];continue}break}',
                'let i=String.fromCodePoint(e.codePointAt(s));if(s===n+1&&ye.test(i)||s!==n+1&&we.test(i))'
                '{f+=i;s+=i.length;continue}break}',
            ),
            Patch(
                "regular expressions are compiled with the v flag (class set operations)",
                'function q(e){return e&&e.ignoreCase?"ui":"u"}',
                'function q(e){return e&&e.ignoreCase?"vi":"v"}',
            ),
            Patch(
                "hostnames canonicalise with the URL parser's hostname state: cut at / ? # \\, tabs and"
                " newlines dropped; failure (the setter leaves both dummies' hosts as they were) is a TypeError",
                _URLPATTERN_HOST,
                'let t=new URL("https://a"),u=new URL("https://b");'
                'if(t.hostname=e,u.hostname=e,t.hostname==="a"&&u.hostname==="b")'
                'throw new TypeError(`Invalid hostname \'${e}\'`);return t.hostname}a(G,"hostnameEncodeCallback")',
            ),
            Patch(
                "ports canonicalise with the URL parser's port state (digits up to the first other code point);"
                " failure (no digits, or past 65535) leaves the non-special dummy's port empty: a TypeError",
                'function Y(e){if(e===""||/^[0-9]*$/.test(e)&&parseInt(e)<=65535)return e;'
                'throw new TypeError(`Invalid port \'${e}\'.`)}',
                'function Y(e){if(e==="")return e;let t=new URL("isoplay-port://a");'
                'if(t.port=e,t.port==="")throw new TypeError(`Invalid port \'${e}\'.`);return t.port}',
            ),
            Patch(
                "a URL's port equal to its scheme's default is dropped after canonicalising (\"80x\" on http)",
                'function fe(e,t,r){return K(t)===e&&(e=""),r||e===""?e:Y(e)}',
                'function fe(e,t,r){return K(t)===e&&(e=""),r||e===""?e:(e=Y(e),K(t)===e?"":e)}',
            ),
            Patch(
                "the default port of wss is 443",
                'case"wws":case"https":return"443"',
                'case"wss":case"https":return"443"',
            ),
        ),
    ),
)


def fingerprint() -> str:
    """A hash of every patch (part of the prelude's source hash)."""
    digest = hashlib.sha256()
    for f in FILES:
        digest.update(json.dumps([f.specifier, f.package, f.version, f.file,
                                  [[p.old, p.new] for p in f.patches]]).encode())
    return digest.hexdigest()[:16]


def apply(node_modules: Path, out_dir: Path) -> dict[str, Path]:
    """Write the patched files under ``out_dir``; return ``{import specifier: patched file}``.

    Raises:
        BundleError: a package is not the pinned version or a patch does not match exactly once.
    """
    out: dict[str, Path] = {}
    for f in FILES:
        pkg_dir = node_modules / f.package
        try:
            version = json.loads((pkg_dir / "package.json").read_text(encoding="utf-8")).get("version")
            text = (pkg_dir / f.file).read_text(encoding="utf-8")
        except (OSError, ValueError) as exc:
            raise BundleError(f"the isolate prelude failed to build: cannot read {f.package}/{f.file} ({exc})") from exc
        if version != f.version:
            raise BundleError(
                f"the isolate prelude failed to build: {f.package} is {version}, its patches are for {f.version}"
                " (re-check runtime/prelude_patches.py against the new release)",
            )
        for patch in f.patches:
            count = text.count(patch.old)
            if count != 1:
                raise BundleError(
                    f"the isolate prelude failed to build: patch to {f.package}/{f.file} matched {count} times,"
                    f" not once: {patch.why}",
                )
            text = text.replace(patch.old, patch.new)
        digest = hashlib.sha256(text.encode()).hexdigest()[:12]
        target = out_dir / f"{f.package}-{f.version}-{digest}{Path(f.file).suffix}"
        if not target.is_file():
            out_dir.mkdir(parents=True, exist_ok=True)
            tmp = target.with_suffix(f".{os.getpid()}.tmp")
            tmp.write_text(text, encoding="utf-8")
            tmp.replace(target)
        out[f.specifier] = target
    return out
