"""Entropy for the isolate's CSPRNG (resources/prelude/src/web/crypto/random.ts).

Every isolate gets its own 32 bytes from the operating system (``os.urandom``)
when its prelude is loaded, before any script runs in it. The isolate expands
them with ChaCha20 (fast key erasure), so ``crypto.getRandomValues`` and
``randomUUID`` need no host round trip. This is the only place where random
bytes enter an isolate (record/replay hooks in here).
"""

from __future__ import annotations

import base64
import os
from typing import Any

SEED_BYTES = 32


def seed_isolate(v8: Any) -> None:
    """Give a freshly loaded isolate its own seed from the operating system."""
    seed = base64.b64encode(os.urandom(SEED_BYTES)).decode("ascii")
    v8.eval(f'__isoplay.entropy("{seed}")')
