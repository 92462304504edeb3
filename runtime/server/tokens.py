"""API tokens: scoped to apps and roles, stored only as a SHA-256 hash, compared in constant time.

A token is ``isoplay_`` followed by 32 random bytes (base64url). With that much
entropy a plain SHA-256 is a sufficient one-way hash (no password stretching
is needed); verification compares against every stored hash with
``hmac.compare_digest`` and never stops early, so timing reveals nothing about
which one matched.

Guarantees:

- Roles: ``deploy`` may publish, roll back, list and read (versions, logs) the
  apps in its scope; ``admin`` may also delete apps and versions and manage
  tokens, on every app. Anything else is ``Forbidden`` (403) with the reason.
- A scope is a list of app names or ``*`` (every app, present and future). An
  admin token's scope is always ``*`` (it can create tokens, so a narrower
  scope would be no limit at all).
- Every call reads the tokens from storage, so a token created or revoked (by
  the admin API or ``isoplay tokens`` on the data folder, also while the server
  runs) takes effect on the next request.
- A token may expire (``expires_at``); after that it is refused with 401 saying
  it expired and when. ``metrics`` tokens read ``/metrics`` and nothing else.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
import time
from collections.abc import Iterable

from runtime.server.errors import BadRequest, Forbidden, Unauthorized
from runtime.server.storage import ALL_APPS, DeploymentStorage, TokenRecord
from runtime.server.versions import InvalidName, check_app_name

TOKEN_PREFIX = "isoplay_"
TOKEN_NAME_RE = re.compile(r"^[A-Za-z0-9_.-]{1,64}\Z")
ROLES = ("deploy", "admin")
"""Roles in order of power, weakest first."""
METRICS_ROLE = "metrics"
"""A read-only role outside that order: ``/metrics`` (which names every app) and nothing else."""
ALL_ROLES = (METRICS_ROLE, *ROLES)
MAX_EXPIRY_S = 10 * 365 * 86400
"""The longest expiry a token may be given (ten years)."""
MAX_SCOPE_APPS = 256
"""Most app names one token's scope may list."""

ACTIONS = {
    "read": "deploy",       # list apps, an app's versions, its logs
    "deploy": "deploy",     # publish, dry runs, roll back
    "delete": "admin",      # delete an app or a version
    "tokens": "admin",      # create, list, revoke tokens
    "metrics": "metrics",   # read /metrics (metrics or admin tokens)
}
"""The weakest role each action needs."""


def hash_token(token: str) -> str:
    """The hex SHA-256 of a token (what storage keeps)."""
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


def new_token() -> str:
    """A fresh random token."""
    return TOKEN_PREFIX + secrets.token_urlsafe(32)


def check_token_name(name: object) -> str:
    """``name`` if it is ``[A-Za-z0-9_.-]{1,64}``, else ``BadRequest``."""
    if not isinstance(name, str) or not TOKEN_NAME_RE.match(name):
        shown = repr(name)[:80] if isinstance(name, str) else type(name).__name__
        raise BadRequest(f"token name {shown} must match [A-Za-z0-9_.-]{{1,64}}", code="bad_token_name")
    return name


def check_scope(role: object, apps: object) -> tuple[str, tuple[str, ...]]:
    """Validate a role and an app scope; return them normalised (sorted, no duplicates).

    Raises:
        BadRequest: unknown role, no apps, a bad app name, or an admin limited to some apps.
    """
    if not isinstance(role, str) or role not in ALL_ROLES:
        raise BadRequest(f"role must be one of {', '.join(ALL_ROLES)} (got {str(role)[:40]!r})", code="bad_token_scope")
    if isinstance(apps, str) or not isinstance(apps, Iterable):
        raise BadRequest('apps must be a list of app names or ["*"]', code="bad_token_scope")
    names = list(apps)
    if not names:
        raise BadRequest('a token needs at least one app (or "*" for every app)', code="bad_token_scope")
    if len(names) > MAX_SCOPE_APPS:
        raise BadRequest(f"a token may name at most {MAX_SCOPE_APPS} apps (or \"*\")", code="bad_token_scope")
    if ALL_APPS in names:
        if len(names) > 1:
            raise BadRequest('"*" already covers every app; list no other names with it', code="bad_token_scope")
        return str(role), (ALL_APPS,)
    if role == "admin":
        raise BadRequest('an admin token acts on every app (it can create tokens); its apps must be ["*"]',
                         code="bad_token_scope")
    if role == METRICS_ROLE:
        raise BadRequest('a metrics token reads /metrics, which covers every app; its apps must be ["*"]',
                         code="bad_token_scope")
    for name in names:
        try:
            check_app_name(name if isinstance(name, str) else "")
        except InvalidName as exc:
            raise BadRequest(f"apps: {exc}", code="bad_token_scope") from None
    return str(role), tuple(sorted(set(names)))


def check_expiry(expires_in: object) -> float | None:
    """Seconds until a new token expires (None: never), or ``BadRequest``."""
    if expires_in is None:
        return None
    if isinstance(expires_in, bool) or not isinstance(expires_in, (int, float)) or not 1 <= expires_in <= MAX_EXPIRY_S:
        raise BadRequest(f"expires_in must be a number of seconds from 1 to {MAX_EXPIRY_S} (ten years) "
                         f"(got {str(expires_in)[:40]!r})", code="bad_token_expiry")
    return float(expires_in)


def parse_duration(text: str) -> float:
    """``30d``, ``12h``, ``45m``, ``90s`` (or ``2w``) as seconds, or ``ValueError`` naming the form."""
    match = re.fullmatch(r"\s*(\d{1,9})\s*([smhdw])\s*", text or "")
    if not match:
        raise ValueError(f"{text!r} is not a duration like 30d, 12h, 45m or 90s")
    seconds = int(match.group(1)) * {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 7 * 86400}[match.group(2)]
    if not 1 <= seconds <= MAX_EXPIRY_S:
        raise ValueError(f"{text!r}: a token may expire after 1 second to 10 years")
    return float(seconds)


def create_token(storage: DeploymentStorage, name: str, *, role: str = "admin",
                 apps: Iterable[str] = (ALL_APPS,), now: float | None = None,
                 expires_in: float | None = None) -> str:
    """Create and store a token named ``name``; return the token (shown once).

    Raises:
        BadRequest: a bad name, role, scope or expiry.
        Conflict: a token with that name exists.
    """
    check_token_name(name)
    role, scope = check_scope(role, tuple(apps))
    seconds = check_expiry(expires_in)
    token = new_token()
    created = time.time() if now is None else now
    storage.add_token(name, hash_token(token), now=created, role=role, apps=scope,
                      expires_at=None if seconds is None else created + seconds)
    return token


def when(epoch: float) -> str:
    """An epoch time as ``2026-12-04T18:00:00Z``."""
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(epoch))


def bearer_token(authorization: str | None) -> str | None:
    """The token in an ``Authorization: Bearer <token>`` header, if any."""
    if not authorization:
        return None
    scheme, _, value = authorization.partition(" ")
    if scheme.lower() != "bearer" or not value.strip():
        return None
    return value.strip()


def authenticate(storage: DeploymentStorage, authorization: str | None) -> TokenRecord:
    """The record of the token the header carries.

    Raises:
        Unauthorized: no bearer token, or one that matches no stored hash.
    """
    token = bearer_token(authorization)
    if token is None:
        raise Unauthorized("an Authorization: Bearer <token> header is required")
    digest = hash_token(token)
    matched: TokenRecord | None = None
    for stored, record in storage.token_entries():
        if hmac.compare_digest(digest, stored):  # every entry is compared: no early exit
            matched = record
    if matched is None:
        raise Unauthorized("the token is not valid (revoked or never created)")
    if matched.expires_at is not None and time.time() >= matched.expires_at:
        raise Unauthorized(f"the token {matched.name!r} expired at {when(matched.expires_at)}; "
                           "create a new one (isoplay tokens create)")
    return matched


def describe(record: TokenRecord) -> str:
    """``'ci' (deploy on hello, api)`` -- how refusals name a token."""
    scope = "all apps" if record.apps == (ALL_APPS,) else ", ".join(record.apps) or "no app"
    return f"{record.name!r} ({record.role} on {scope})"


def covers(record: TokenRecord, app: str) -> bool:
    """Whether ``app`` is in the token's scope."""
    return record.apps == (ALL_APPS,) or app in record.apps


def authorize(record: TokenRecord, action: str, app: str | None = None) -> None:
    """Allow ``action`` (on ``app``) for this token, or raise ``Forbidden`` naming what is missing."""
    needed = ACTIONS[action]
    if action == "metrics":
        if record.role not in (METRICS_ROLE, "admin"):
            raise Forbidden(f"reading /metrics (every app's figures) needs a metrics or admin token; token "
                            f"{describe(record)} may not", code="forbidden_role")
        return
    if record.role not in ROLES or ROLES.index(record.role) < ROLES.index(needed):
        what = {"delete": "deleting apps and versions", "tokens": "managing tokens"}.get(action, action)
        raise Forbidden(f"{what} needs an admin token; token {describe(record)} may not", code="forbidden_role")
    if app is not None and not covers(record, app):
        raise Forbidden(f"token {describe(record)} may not act on app {app!r}", code="forbidden_app")
