"""Which verdict a failed check gives: the one word a person can act on.

A failure is not one thing. ``invalid`` is kept for what shows the credential is not genuine
(a bad signature, a forged or altered token, a refused header or algorithm, a key the issuer
does not publish or declared compromised); the others say what a person should do instead of
calling a credential fake (docs/decisions/0033-verdicts.md):

- ``untrusted_issuer``: issued by (or a link to) an issuer this verifier does not trust; its
  signature was not checked (keys are never fetched for an issuer nobody vouched for).
- ``unavailable``: the check could not be made now (keys, status list or the credential
  store unreachable, an offline cache missing or too old, a fault of the verifier); trying
  again may help.
- ``unreadable``: not a credential this verifier can read: a damaged scan or a truncated copy,
  garbage, another kind of token, or a token whose signature verified under a trusted
  issuer's key but whose content is not a conforming credential (signed by the issuer, so
  not a forgery, but nothing in it can be relied on).
- ``not_found``: a link or certificate number that names no credential of this issuer.

``VERDICT_BY_CODE`` is the whole table; docs/errors.md lists it and a test keeps the two in
step.
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
        Code.STATUS_ERROR,
        Code.INTERNAL_ERROR,
    }
)
_UNREADABLE: Final = frozenset(
    {
        # locate and parse: not a credential, or a damaged copy of one
        Code.INVALID_PACKED_CREDENTIAL,
        Code.TOKEN_TOO_LARGE,
        Code.MALFORMED_TOKEN,
        Code.INVALID_BASE64URL,
        Code.INVALID_JSON,
        Code.ENCRYPTED_TOKEN_UNSUPPORTED,
        Code.JSON_SERIALIZATION_UNSUPPORTED,
        Code.SD_JWT_UNSUPPORTED,
        # header, issuer: another kind of token, or one that names no issuer
        Code.UNSUPPORTED_TOKEN_TYPE,
        Code.MISSING_ISSUER,
        # signature: a signature cut short (a truncated copy), not a wrong one
        Code.MALFORMED_SIGNATURE,
        # credential: signed by a trusted issuer's key, but not a credential we can read
        Code.MISSING_PROPERTY,
        Code.INVALID_PROPERTY,
        Code.CLAIM_MISMATCH,
        Code.VC_VP_CLAIM_PRESENT,
        Code.UNSUPPORTED_LEGACY_CREDENTIAL,
        Code.STATUS_LIST_AS_CREDENTIAL,
        # status: the issuer signed a status entry that cannot be read
        Code.MALFORMED_STATUS_ENTRY,
    }
)
_UNTRUSTED: Final = frozenset({Code.UNTRUSTED_ISSUER, Code.UNTRUSTED_VERIFY_URL})
_NOT_FOUND: Final = frozenset({Code.CREDENTIAL_NOT_FOUND})
# Findings of the validity check: the credential is genuine, outside its validity period.
_PERIOD: Final = {
    Code.EXPIRED: CredentialStatus.EXPIRED,
    Code.NOT_YET_VALID: CredentialStatus.NOT_YET_VALID,
}


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
    if error in _PERIOD:
        return _PERIOD[Code(error)]
    return CredentialStatus.INVALID


VERDICT_BY_CODE: Final = {code: verdict_for(code) for code in Code}
"""Every error code and the verdict it gives (docs/errors.md, "Verdicts by code")."""
