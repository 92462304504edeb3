"""Errors of the deploy API, each with an HTTP status and a stable ``code``.

Hierarchy (all are ``runtime.errors.UserError``, so the CLI prints them as one line)::

    ApiError
    ├── Unauthorized      401  missing or unknown bearer token
    ├── Forbidden         403  a valid token acting outside its role or app scope
    ├── BadRequest        400  malformed upload, bad name, bad version (``code`` says which)
    ├── NotFound          404  no such app, version or token
    ├── Conflict          409  a version exists with other content; deleting the live version
    ├── PayloadTooLarge   413  the upload passes the server's size limit
    └── StoreUnavailable  503  the shared store (PostgreSQL) does not answer; retry later

``StorageCorrupted`` (a system error) is raised when a stored bundle no longer
matches its content hash.
"""

from __future__ import annotations

from runtime.errors import SystemError_, UserError


class ApiError(UserError):
    """An API request was refused; ``status`` is the HTTP status to answer with."""

    status = 400
    code = "bad_request"

    def __init__(self, message: str, *, code: str | None = None) -> None:
        super().__init__(message)
        if code is not None:
            self.code = code

    def to_json(self) -> dict[str, dict[str, str]]:
        """The error body every refused API call answers with."""
        return {"error": {"code": self.code, "message": self.message}}


class Unauthorized(ApiError):
    """No valid bearer token."""

    status = 401
    code = "unauthorized"


class Forbidden(ApiError):
    """A valid token, but the call is outside its role or app scope; the message says which."""

    status = 403
    code = "forbidden"


class BadRequest(ApiError):
    """The request is malformed; the message gives the reason."""

    status = 400
    code = "bad_request"


class NotFound(ApiError):
    """The app, version or token does not exist."""

    status = 404
    code = "not_found"


class Conflict(ApiError):
    """The request contradicts what is stored."""

    status = 409
    code = "conflict"


class PayloadTooLarge(ApiError):
    """The upload is bigger than the server accepts."""

    status = 413
    code = "payload_too_large"


class StorageCorrupted(SystemError_):
    """A stored bundle's files do not match the content hash recorded for them."""

    code = "storage_corrupted"


class StoreUnavailable(ApiError):
    """The store does not answer: the request may be retried (another node, or later)."""

    status = 503
    code = "store_unavailable"
