"""Errors raised while reading and checking a credential.

Every class carries a stable snake_case ``code``, a member of ``CredentialErrorCode``: it is
public API (docs/errors.md). A class has a default code; a raise site may give a more precise
one from the same family (``ParseError("...", code=CredentialErrorCode.JSON_TOO_DEEP)``).
Messages never contain tokens, claim values, names or key bytes.

    CredentialError
    ├── MalformedError              input is not what the format says
    │   ├── ParseError              not a strict compact JWS of strict JSON (check ``parse``)
    │   └── CredentialShapeError    the payload is not a conforming credential (``credential``)
    ├── HeaderError                 the protected header is refused (``header``)
    ├── UntrustedIssuerError        the issuer is not trusted or ``iss`` disagrees
    ├── KeyNotFoundError            no published key of the issuer matches
    ├── KeyBindingError             the key exists but may not be used this way
    ├── KeySourceError              keys or status lists could not be fetched
    ├── SignatureError              the signature does not verify
    ├── ValidityError               outside ``validFrom`` .. ``validUntil``
    ├── StatusError                 the status could not be established
    │   ├── StatusRetrievalError    the status list could not be fetched
    │   ├── StatusVerificationError the status list is not a valid list of this issuer
    │   ├── StatusListLengthError   the list is shorter than the herd-privacy floor
    │   └── StatusRangeError        the index is outside the list
    └── LocatorError                a verify URL could not be turned into a credential
"""

from __future__ import annotations

import datetime as dt
from enum import StrEnum


class CredentialErrorCode(StrEnum):
    """Every code a failed check reports (``checks[].error``, ``problems[].code``), grouped
    by the check that reports it. The values are public API (docs/errors.md)."""

    # locate (a verify URL or packed QR link)
    UNTRUSTED_VERIFY_URL = "untrusted_verify_url"
    CREDENTIAL_NOT_FOUND = "credential_not_found"
    INVALID_PACKED_CREDENTIAL = "invalid_packed_credential"
    CREDENTIAL_STORE_UNAVAILABLE = "credential_store_unavailable"
    # parse
    TOKEN_TOO_LARGE = "token_too_large"  # noqa: S105 - a code, not a secret
    MALFORMED_TOKEN = "malformed_token"  # noqa: S105 - a code, not a secret
    INVALID_BASE64URL = "invalid_base64url"
    INVALID_JSON = "invalid_json"
    DUPLICATE_JSON_KEY = "duplicate_json_key"
    JSON_TOO_DEEP = "json_too_deep"
    ENCRYPTED_TOKEN_UNSUPPORTED = "encrypted_token_unsupported"  # noqa: S105 - a code, not a secret
    JSON_SERIALIZATION_UNSUPPORTED = "json_serialization_unsupported"
    SD_JWT_UNSUPPORTED = "sd_jwt_unsupported"
    # header
    UNSUPPORTED_ALGORITHM = "unsupported_algorithm"
    UNSUPPORTED_CRITICAL_HEADER = "unsupported_critical_header"
    FORBIDDEN_HEADER_PARAMETER = "forbidden_header_parameter"
    WRONG_TYP = "wrong_typ"
    UNSUPPORTED_TOKEN_TYPE = "unsupported_token_type"  # noqa: S105 - a code, not a secret
    MISSING_KID = "missing_kid"
    INVALID_KID = "invalid_kid"
    INVALID_HEADER = "invalid_header"
    # issuer_trusted
    MISSING_ISSUER = "missing_issuer"
    UNTRUSTED_ISSUER = "untrusted_issuer"
    ISSUER_MISMATCH = "issuer_mismatch"
    # key
    KEY_NOT_FOUND = "key_not_found"
    KEY_COMPROMISED = "key_compromised"
    KEY_SOURCE_UNAVAILABLE = "key_source_unavailable"
    KEY_SOURCE_STALE = "key_source_stale"
    ALGORITHM_NOT_BOUND_TO_KEY = "algorithm_not_bound_to_key"
    HEADER_JWK_MISMATCH = "header_jwk_mismatch"
    # signature
    BAD_SIGNATURE = "bad_signature"
    MALFORMED_SIGNATURE = "malformed_signature"
    # credential
    MISSING_PROPERTY = "missing_property"
    INVALID_PROPERTY = "invalid_property"
    CLAIM_MISMATCH = "claim_mismatch"
    VC_VP_CLAIM_PRESENT = "vc_vp_claim_present"
    UNSUPPORTED_LEGACY_CREDENTIAL = "unsupported_legacy_credential"
    STATUS_LIST_AS_CREDENTIAL = "status_list_as_credential"
    # validity
    EXPIRED = "expired"
    NOT_YET_VALID = "not_yet_valid"
    # status
    STATUS_RETRIEVAL_ERROR = "status_retrieval_error"
    STATUS_VERIFICATION_ERROR = "status_verification_error"
    STATUS_LIST_LENGTH_ERROR = "status_list_length_error"
    STATUS_INDEX_OUT_OF_RANGE = "status_index_out_of_range"
    MALFORMED_STATUS_ENTRY = "malformed_status_entry"
    MALFORMED_STATUS_LIST = "malformed_status_list"
    STATUS_ERROR = "status_error"
    # any check: the base classes' generic codes, and a bug turned into a failed check
    MALFORMED = "malformed"
    CREDENTIAL_ERROR = "credential_error"
    INTERNAL_ERROR = "internal_error"


class CredentialError(Exception):
    """Root of everything the verifier raises about a credential."""

    code: CredentialErrorCode = CredentialErrorCode.CREDENTIAL_ERROR

    def __init__(
        self,
        message: str,
        *,
        code: CredentialErrorCode | None = None,
        cached_at: dt.datetime | None = None,
        max_age: dt.timedelta | None = None,
    ) -> None:
        super().__init__(message)
        if code is not None:
            self.code = code
        # When a cached copy was too old to use: when it was fetched, and the limit.
        self.cached_at = cached_at
        self.max_age = max_age


class MalformedError(CredentialError):
    """Input does not follow the format (encoding, JSON, required members)."""

    code = CredentialErrorCode.MALFORMED


class ParseError(MalformedError):
    """The input is not a strict compact JWS whose parts are strict UTF-8 JSON."""

    code = CredentialErrorCode.MALFORMED_TOKEN


class CredentialShapeError(MalformedError):
    """The payload is not a conforming VC 2.0 (or Open Badges 3.0) credential."""

    code = CredentialErrorCode.INVALID_PROPERTY


class HeaderError(CredentialError):
    """The protected header is refused (algorithm, ``typ``, ``crit``, ``kid``, key headers)."""

    code = CredentialErrorCode.INVALID_HEADER


class UntrustedIssuerError(CredentialError):
    """The credential's issuer is not a trusted issuer, or ``iss`` names another one."""

    code = CredentialErrorCode.UNTRUSTED_ISSUER


class KeyNotFoundError(CredentialError):
    """No published key of the issuer has this ``kid``."""

    code = CredentialErrorCode.KEY_NOT_FOUND


class KeyBindingError(CredentialError):
    """The key exists but the token's algorithm or inline key is not bound to it."""

    code = CredentialErrorCode.ALGORITHM_NOT_BOUND_TO_KEY


class KeySourceError(CredentialError):
    """Published keys or a status list could not be retrieved or read."""

    code = CredentialErrorCode.KEY_SOURCE_UNAVAILABLE


class SignatureError(CredentialError):
    """The signature does not verify with the issuer's key."""

    code = CredentialErrorCode.BAD_SIGNATURE


class ValidityError(CredentialError):
    """The credential is outside its validity period."""

    code = CredentialErrorCode.EXPIRED


class StatusError(CredentialError):
    """The credential's status could not be established."""

    code = CredentialErrorCode.STATUS_ERROR


class StatusRetrievalError(StatusError):
    """The status list could not be retrieved (BSL §3.2 STATUS_RETRIEVAL_ERROR)."""

    code = CredentialErrorCode.STATUS_RETRIEVAL_ERROR


class StatusVerificationError(StatusError):
    """The status list failed verification (BSL §3.2 STATUS_VERIFICATION_ERROR)."""

    code = CredentialErrorCode.STATUS_VERIFICATION_ERROR


class StatusListLengthError(StatusError):
    """The list has fewer entries than the minimum (BSL §3.2 STATUS_LIST_LENGTH_ERROR)."""

    code = CredentialErrorCode.STATUS_LIST_LENGTH_ERROR


class StatusRangeError(StatusError):
    """The status index lies outside the list (BSL §3.2 RANGE_ERROR)."""

    code = CredentialErrorCode.STATUS_INDEX_OUT_OF_RANGE


class LocatorError(CredentialError):
    """A verify URL is not one of a trusted issuer, or its credential could not be fetched."""

    code = CredentialErrorCode.CREDENTIAL_NOT_FOUND
