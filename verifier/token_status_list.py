"""IETF Token Status List (draft-ietf-oauth-status-list): reading a ``statuslist+jwt``.

The list is ``bits`` per token, ZLIB-compressed (RFC 1950), base64url; **index 0 is in the
least significant bits of byte 0** ("Compressed Byte Array"), the opposite of the W3C
Bitstring Status List, so nothing here is shared with ``verifier.status_list``. A Tessera
issuer writes 2 bits per token: 0 VALID, 1 INVALID (revoked), 2 SUSPENDED ("Status Types").

``check_token_status`` follows "Validation Rules": the Status List Token is fetched from the
``StatusSource`` (never trusted as fetched), its header checked (``typ statuslist+jwt``,
allowlisted ``alg``, a ``kid``), its key taken from the issuer's published keys through the
``KeyResolver`` (never from the header), ``sub`` equal to the URI the credential names,
``exp`` not passed, and an index outside the list refused.
"""

from __future__ import annotations

import datetime as dt
import zlib
from dataclasses import dataclass
from enum import IntEnum, StrEnum
from typing import Any, Final

from verifier.encoding import b64url_decode
from verifier.errors import (
    CredentialError,
    CredentialErrorCode,
    KeySourceError,
    MalformedError,
    StatusError,
    StatusRangeError,
    StatusRetrievalError,
    StatusVerificationError,
)
from verifier.format import ALLOWED_ALGORITHMS
from verifier.header import check_kid_shape
from verifier.jws import decode_unverified_jws, verify_jws_signature
from verifier.sources.keys import KeyResolver, check_key_binding
from verifier.sources.status_lists import StatusSource
from verifier.validity import DEFAULT_CLOCK_SKEW, from_numeric_date

STATUS_LIST_JWT_TYP: Final = "statuslist+jwt"
STATUS_LIST_JWT_MEDIA_TYPE: Final = "application/statuslist+jwt"
ALLOWED_BITS: Final = (1, 2, 4, 8)
MAX_INFLATED_BYTES: Final = 16 * 1024 * 1024  # 2^24 tokens at 8 bits: refuse zip bombs


class TokenStatusValue(IntEnum):
    """The registered status types (draft "Status Types Values")."""

    VALID = 0
    INVALID = 1
    SUSPENDED = 2


class TokenStatus(StrEnum):
    """What a verifier concludes from a Token Status List entry."""

    VALID = "valid"
    REVOKED = "revoked"
    SUSPENDED = "suspended"
    UNKNOWN = "unknown"


_STATUS_FOR_VALUE: Final = {
    TokenStatusValue.VALID: TokenStatus.VALID,
    TokenStatusValue.INVALID: TokenStatus.REVOKED,
    TokenStatusValue.SUSPENDED: TokenStatus.SUSPENDED,
}


@dataclass(frozen=True)
class TokenStatusList:
    """A decoded list: ``bits`` per entry over the inflated bytes."""

    bits: int
    data: bytes

    @property
    def size(self) -> int:
        return len(self.data) * 8 // self.bits

    def value_at(self, index: int) -> int:
        """The status value of ``index``; ``StatusRangeError`` outside the list."""
        if not 0 <= index < self.size:
            raise StatusRangeError(
                "the index is outside the status list",
                code=CredentialErrorCode.STATUS_INDEX_OUT_OF_RANGE,
            )
        per_byte = 8 // self.bits
        shift = (index % per_byte) * self.bits  # LSB first: index 0 in the lowest bits
        return (self.data[index // per_byte] >> shift) & ((1 << self.bits) - 1)


def decode_token_status_list(status_list: object) -> TokenStatusList:
    """Parse a ``StatusList`` JSON object ``{"bits": …, "lst": …}``; raises ``MalformedError``."""
    if not isinstance(status_list, dict):
        raise MalformedError("status_list is not an object")
    bits, lst = status_list.get("bits"), status_list.get("lst")
    if isinstance(bits, bool) or bits not in ALLOWED_BITS or not isinstance(lst, str):
        raise MalformedError("status_list needs bits (1, 2, 4 or 8) and lst")
    compressed = b64url_decode(lst)
    inflater = zlib.decompressobj()
    try:
        data = inflater.decompress(compressed, MAX_INFLATED_BYTES)
    except zlib.error:
        raise MalformedError("lst is not ZLIB-compressed") from None
    if inflater.unconsumed_tail or not inflater.eof:
        raise MalformedError("lst is truncated or too large")
    return TokenStatusList(bits=int(bits), data=data)


@dataclass(frozen=True)
class TokenStatusOutcome:
    status: TokenStatus
    value: int


def parse_status_reference(status: object) -> tuple[str, int]:
    """``(uri, idx)`` of a Referenced Token's ``status.status_list`` (draft "Referenced
    Token"): ``idx`` a non-negative JSON integer, ``uri`` a string."""
    reference = status.get("status_list") if isinstance(status, dict) else None
    if not isinstance(reference, dict):
        raise MalformedError("status has no status_list")
    idx, uri = reference.get("idx"), reference.get("uri")
    if isinstance(idx, bool) or not isinstance(idx, int) or idx < 0 or not isinstance(uri, str):
        raise MalformedError("status_list needs a non-negative integer idx and a uri")
    return uri, idx


def check_token_status(
    status: object,
    *,
    issuer_id: str,
    source: StatusSource,
    keys: KeyResolver,
    now: dt.datetime,
    skew: dt.timedelta = DEFAULT_CLOCK_SKEW,
) -> TokenStatusOutcome:
    """The status of the token whose ``status`` claim is ``status``, issued by ``issuer_id``.

    Raises a ``StatusError`` (or ``MalformedError`` for an unreadable ``status`` claim) when no
    statement is possible; the caller decides what that means.
    """
    uri, index = parse_status_reference(status)
    document = source.fetch_status_list(uri)
    try:
        jws = decode_unverified_jws(document.unverified_token)
        header = jws.header
        alg = header.get("alg")
        if alg not in ALLOWED_ALGORITHMS or header.get("typ") != STATUS_LIST_JWT_TYP:
            raise StatusVerificationError("not a statuslist+jwt with an allowed algorithm")
        if "crit" in header or "jwk" in header or "jku" in header or "x5u" in header:
            raise StatusVerificationError("the status list header names its own key source")
        kid = check_kid_shape(header.get("kid"))
        payload = jws.payload
        if payload.get("iss", issuer_id) != issuer_id:
            raise StatusVerificationError("the status list has another issuer")
        key = keys.resolve_key(issuer_id, kid)
        check_key_binding(key, header, str(alg))
        verify_jws_signature(jws, key.public_key, key.algorithm)
        _check_claims(payload, uri=uri, now=now, skew=skew)
        decoded = decode_token_status_list(payload.get("status_list"))
    except KeySourceError as exc:
        raise StatusRetrievalError(f"the issuer's keys are unavailable: {exc}") from None
    except StatusError:
        raise
    except CredentialError as exc:
        raise StatusVerificationError(f"the status list did not verify ({exc.code})") from None
    value = decoded.value_at(index)
    try:
        status_name = _STATUS_FOR_VALUE[TokenStatusValue(value)]
    except ValueError:  # 3 and the application-specific values: not ours to read
        status_name = TokenStatus.UNKNOWN
    return TokenStatusOutcome(status=status_name, value=value)


def _check_claims(
    payload: dict[str, Any], *, uri: str, now: dt.datetime, skew: dt.timedelta
) -> None:
    if payload.get("sub") != uri:
        raise StatusVerificationError("the status list's sub is not the URI the token names")
    if "iat" not in payload:
        raise StatusVerificationError("the status list has no iat")
    from_numeric_date(payload["iat"], "iat")
    if "exp" in payload and now - skew >= from_numeric_date(payload["exp"], "exp"):
        raise StatusVerificationError("the status list has expired")
    ttl = payload.get("ttl")
    if ttl is not None and (isinstance(ttl, bool) or not isinstance(ttl, int) or ttl <= 0):
        raise StatusVerificationError("the status list's ttl is not a positive integer")
