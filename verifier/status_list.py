"""Bitstring Status List v1.0 decoding: ``encodedList`` to bits, and reading one entry.

``encodedList`` is the multibase ``u`` prefix + base64url (no padding) of the GZIP
(RFC 1952) of the bitstring (BSL §2.2). Index 0 is the most significant bit of byte 0
(BSL §7.1) -- the opposite of the IETF Token Status List, whose code this never shares.
Inflation is capped at ``MAX_BITSTRING_BYTES`` (decompression-bomb defence, RFC 8725bis §3).
"""

from __future__ import annotations

import re
import zlib
from typing import Final

from verifier.encoding import b64url_decode
from verifier.errors import (
    CredentialErrorCode,
    MalformedError,
    StatusError,
    StatusListLengthError,
    StatusRangeError,
)
from verifier.format import MIN_STATUS_LIST_ENTRIES

MAX_BITSTRING_BYTES: Final = 2 * 1024 * 1024
"""Largest inflated list accepted: 16,777,216 one-bit entries (128 x the BSL minimum)."""
MAX_ENCODED_LIST_CHARS: Final = 512 * 1024

_INDEX = re.compile(r"0|[1-9][0-9]{0,18}")


def decode_encoded_list(encoded_list: object) -> bytes:
    """The bitstring bytes of an ``encodedList``; raise ``StatusError`` if malformed."""
    if not isinstance(encoded_list, str) or not encoded_list.startswith("u"):
        raise StatusError(
            "encodedList is not multibase base64url", code=CredentialErrorCode.MALFORMED_STATUS_LIST
        )
    if len(encoded_list) > MAX_ENCODED_LIST_CHARS:
        raise StatusError(
            "encodedList is too large", code=CredentialErrorCode.MALFORMED_STATUS_LIST
        )
    try:
        compressed = b64url_decode(encoded_list[1:])
    except MalformedError:
        raise StatusError(
            "encodedList is not base64url", code=CredentialErrorCode.MALFORMED_STATUS_LIST
        ) from None
    inflater = zlib.decompressobj(wbits=16 + zlib.MAX_WBITS)  # GZIP container only
    try:
        bitstring = inflater.decompress(compressed, MAX_BITSTRING_BYTES)
    except zlib.error:
        raise StatusError(
            "encodedList is not GZIP", code=CredentialErrorCode.MALFORMED_STATUS_LIST
        ) from None
    if inflater.unconsumed_tail:
        raise StatusError(
            "status list inflates beyond the size limit",
            code=CredentialErrorCode.MALFORMED_STATUS_LIST,
        )
    if not inflater.eof or inflater.unused_data:
        raise StatusError(
            "encodedList is not one complete GZIP member",
            code=CredentialErrorCode.MALFORMED_STATUS_LIST,
        )
    return bitstring


def parse_status_index(value: object) -> int:
    """``statusListIndex``: a base-10 string of a non-negative integer (BSL §2.1)."""
    if not isinstance(value, str) or not _INDEX.fullmatch(value):
        raise StatusError(
            "statusListIndex is not a decimal string",
            code=CredentialErrorCode.MALFORMED_STATUS_ENTRY,
        )
    return int(value)


def parse_status_size(value: object) -> int:
    """``statusSize``: absent means 1; otherwise a positive integer (BSL §2.1)."""
    if value is None:
        return 1
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 8:
        raise StatusError(
            "statusSize is not a supported positive integer",
            code=CredentialErrorCode.MALFORMED_STATUS_ENTRY,
        )
    return value


def read_status(
    bitstring: bytes,
    index: int,
    *,
    status_size: int = 1,
    minimum_entries: int = MIN_STATUS_LIST_ENTRIES,
) -> int:
    """The status value at ``index`` (BSL §3.2 steps 5-6), most significant bit first."""
    bit_length = len(bitstring) * 8
    if bit_length // status_size < minimum_entries:
        raise StatusListLengthError("status list is shorter than the minimum")
    start = index * status_size
    if start + status_size > bit_length:
        raise StatusRangeError("status index is outside the list")
    value = 0
    for position in range(start, start + status_size):
        bit = (bitstring[position // 8] >> (7 - position % 8)) & 1
        value = (value << 1) | bit
    return value
