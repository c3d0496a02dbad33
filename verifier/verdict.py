"""Which verdict a failed check gives: the one word a person can act on.

A failure is not one thing. ``invalid`` is kept for what shows the credential is not genuine
(a bad signature, a forged or altered token, a compromised key); the others say what a person
should do instead of calling a credential fake:

- ``untrusted_issuer``: issued by (or a link to) an issuer this verifier does not trust; its
  signature was not checked against keys from an issuer nobody vouched for.
- ``unavailable``: the check could not be made now (keys, status list or the credential
  store unreachable, an offline cache missing or too old); trying again may help.
- ``unreadable``: not a credential at all (a damaged scan, a truncated link, garbage).
- ``not_found``: a link or certificate number that names no credential of this issuer.
"""

from __future__ import annotations

from typing import Final

from verifier.errors import CredentialErrorCode as Code
from verifier.result import CredentialStatus

_UNAVAILABLE: Final = frozenset(
    {
        Code.CREDENTIAL_STORE_UNAVAILABLE,
        Code.KEY_SOURCE_UNAVAILABLE,
        Code.KEY_SOURCE_STALE,
        Code.STATUS_RETRIEVAL_ERROR,
        Code.STATUS_VERIFICATION_ERROR,
        Code.MALFORMED_STATUS_LIST,
        Code.STATUS_LIST_LENGTH_ERROR,
        Code.STATUS_INDEX_OUT_OF_RANGE,
        Code.INTERNAL_ERROR,
    }
)
_UNREADABLE: Final = frozenset(
    {
        Code.INVALID_PACKED_CREDENTIAL,
        Code.TOKEN_TOO_LARGE,
        Code.MALFORMED_TOKEN,
        Code.INVALID_BASE64URL,
        Code.INVALID_JSON,
        Code.ENCRYPTED_TOKEN_UNSUPPORTED,
        Code.JSON_SERIALIZATION_UNSUPPORTED,
        Code.SD_JWT_UNSUPPORTED,
        Code.UNSUPPORTED_TOKEN_TYPE,
        Code.STATUS_LIST_AS_CREDENTIAL,
    }
)
_UNTRUSTED: Final = frozenset({Code.UNTRUSTED_ISSUER, Code.UNTRUSTED_VERIFY_URL})
_NOT_FOUND: Final = frozenset({Code.CREDENTIAL_NOT_FOUND})


def verdict_for(error: str | None) -> CredentialStatus:
    """The verdict for a verification that stopped on ``error`` (a ``CredentialErrorCode``
    value); ``invalid`` for every code not named above, so a new failure is never milder
    than "not genuine" until someone decides it is."""
    if error in _UNAVAILABLE:
        return CredentialStatus.UNAVAILABLE
    if error in _UNREADABLE:
        return CredentialStatus.UNREADABLE
    if error in _UNTRUSTED:
        return CredentialStatus.UNTRUSTED_ISSUER
    if error in _NOT_FOUND:
        return CredentialStatus.NOT_FOUND
    return CredentialStatus.INVALID
