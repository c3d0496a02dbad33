"""Errors raised while reading and checking a credential.

Every class carries a stable snake_case ``code``: it is public API (docs/errors.md). A class
has a default code; a raise site may give a more precise one from the same family
(``ParseError("...", code="json_too_deep")``). Messages never contain tokens, claim values,
names or key bytes.

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


class CredentialError(Exception):
    """Root of everything the verifier raises about a credential."""

    code = "credential_error"

    def __init__(self, message: str, *, code: str | None = None) -> None:
        super().__init__(message)
        if code is not None:
            self.code = code


class MalformedError(CredentialError):
    """Input does not follow the format (encoding, JSON, required members)."""

    code = "malformed"


class ParseError(MalformedError):
    """The input is not a strict compact JWS whose parts are strict UTF-8 JSON."""

    code = "malformed_token"


class CredentialShapeError(MalformedError):
    """The payload is not a conforming VC 2.0 (or Open Badges 3.0) credential."""

    code = "invalid_property"


class HeaderError(CredentialError):
    """The protected header is refused (algorithm, ``typ``, ``crit``, ``kid``, key headers)."""

    code = "invalid_header"


class UntrustedIssuerError(CredentialError):
    """The credential's issuer is not a trusted issuer, or ``iss`` names another one."""

    code = "untrusted_issuer"


class KeyNotFoundError(CredentialError):
    """No published key of the issuer has this ``kid``."""

    code = "key_not_found"


class KeyBindingError(CredentialError):
    """The key exists but the token's algorithm or inline key is not bound to it."""

    code = "algorithm_not_bound_to_key"


class KeySourceError(CredentialError):
    """Published keys or a status list could not be retrieved or read."""

    code = "key_source_unavailable"


class SignatureError(CredentialError):
    """The signature does not verify with the issuer's key."""

    code = "bad_signature"


class ValidityError(CredentialError):
    """The credential is outside its validity period."""

    code = "expired"


class StatusError(CredentialError):
    """The credential's status could not be established."""

    code = "status_error"


class StatusRetrievalError(StatusError):
    """The status list could not be retrieved (BSL §3.2 STATUS_RETRIEVAL_ERROR)."""

    code = "status_retrieval_error"


class StatusVerificationError(StatusError):
    """The status list failed verification (BSL §3.2 STATUS_VERIFICATION_ERROR)."""

    code = "status_verification_error"


class StatusListLengthError(StatusError):
    """The list has fewer entries than the minimum (BSL §3.2 STATUS_LIST_LENGTH_ERROR)."""

    code = "status_list_length_error"


class StatusRangeError(StatusError):
    """The status index lies outside the list (BSL §3.2 RANGE_ERROR)."""

    code = "status_index_out_of_range"


class LocatorError(CredentialError):
    """A verify URL is not one of a trusted issuer, or its credential could not be fetched."""

    code = "credential_not_found"
