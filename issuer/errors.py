"""Errors of the issuing side. Each carries a stable ``code`` (public API, docs/errors.md).

    IssuerError
    ├── ConfigurationError   settings, keys or database unusable at start-up
    ├── NotFoundError        a referenced record does not exist
    ├── InvalidInputError    a request is well-formed but its values are not acceptable
    ├── ConflictError        the request conflicts with what is stored
    ├── AuthenticationError  no valid token
    └── PermissionDeniedError the token's role or units do not allow this

Domain code raises these; the app maps them to RFC 9457 problem details in one place.
"""

from __future__ import annotations


class IssuerError(Exception):
    """Root of the issuing side's errors."""

    code = "issuer_error"
    http_status = 400

    def __init__(self, message: str, *, code: str | None = None) -> None:
        super().__init__(message)
        if code is not None:
            self.code = code


class ConfigurationError(IssuerError):
    """Settings, signing keys or the database cannot be used."""

    code = "configuration_error"
    http_status = 503


class NotFoundError(IssuerError):
    """A referenced record (credential, occupation, unit, level, list) does not exist."""

    code = "not_found"
    http_status = 404


class InvalidInputError(IssuerError):
    """The request is well-formed but a value is not acceptable."""

    code = "invalid_input"
    http_status = 422


class ConflictError(IssuerError):
    """The request conflicts with stored state."""

    code = "conflict"
    http_status = 409


class AuthenticationError(IssuerError):
    """No valid bearer token was presented."""

    code = "unauthenticated"
    http_status = 401


class PermissionDeniedError(IssuerError):
    """The token's role or units do not allow this action."""

    code = "forbidden"
    http_status = 403
