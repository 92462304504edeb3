"""API tokens: generated once, stored only as a SHA-256 hash, compared in constant time.

A token is ``isoplay_`` followed by 32 random bytes (base64url). With that much
entropy a plain SHA-256 is a sufficient one-way hash (no password stretching
is needed); verification compares against every stored hash with
``hmac.compare_digest`` so timing reveals nothing about which one matched.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
import time

from runtime.server.errors import BadRequest, Unauthorized
from runtime.server.storage import DeploymentStorage

TOKEN_PREFIX = "isoplay_"
TOKEN_NAME_RE = re.compile(r"^[A-Za-z0-9_.-]{1,64}$")


def hash_token(token: str) -> str:
    """The hex SHA-256 of a token (what storage keeps)."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def new_token() -> str:
    """A fresh random token."""
    return TOKEN_PREFIX + secrets.token_urlsafe(32)


def create_token(storage: DeploymentStorage, name: str, *, now: float | None = None) -> str:
    """Create and store a token named ``name``; return the token (shown once).

    Raises:
        BadRequest: the name is not ``[A-Za-z0-9_.-]{1,64}``.
        Conflict: a token with that name exists.
    """
    if not TOKEN_NAME_RE.match(name):
        raise BadRequest(f"token name {name[:80]!r} must match [A-Za-z0-9_.-]{{1,64}}", code="bad_token_name")
    token = new_token()
    storage.add_token(name, hash_token(token), now=time.time() if now is None else now)
    return token


def bearer_token(authorization: str | None) -> str | None:
    """The token in an ``Authorization: Bearer <token>`` header, if any."""
    if not authorization:
        return None
    scheme, _, value = authorization.partition(" ")
    if scheme.lower() != "bearer" or not value.strip():
        return None
    return value.strip()


def authenticate(storage: DeploymentStorage, authorization: str | None) -> str:
    """The name of the token the header carries.

    Raises:
        Unauthorized: no bearer token, or one that matches no stored hash.
    """
    token = bearer_token(authorization)
    if token is None:
        raise Unauthorized("an Authorization: Bearer <token> header is required")
    digest = hash_token(token)
    matched: str | None = None
    for name, stored in storage.token_hashes():
        if hmac.compare_digest(digest, stored):
            matched = name
    if matched is None:
        raise Unauthorized("the token is not valid (revoked or never created)")
    return matched
