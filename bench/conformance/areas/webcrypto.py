"""WebCrypto (crypto.subtle, CryptoKey, randomness, DigestStream): the cases of
tests/runtime/webapi/webcrypto_conformance.mjs in a real invocation (most operations are host calls).
``python bench/webcrypto_conformance.py`` runs the same cases in Node too, for comparison."""

from __future__ import annotations

import asyncio

from bench.conformance import Outcome

NAME = "webcrypto"


def run() -> list[Outcome]:
    from bench.webcrypto_conformance import in_isolate

    return [(f"{area}: {name}", bool(ok), detail) for area, name, ok, detail in asyncio.run(in_isolate())]
