"""Base64url without padding (RFC 7515 §2) and the multibase ``u`` prefix (BSL §2.2)."""

from __future__ import annotations

import base64
import binascii

import pybase64

from verifier.errors import MalformedError

_ALPHABET = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
# The characters a final group of 2 or 3 characters may end with: those whose unused low bits
# are zero (4 unused bits after 2 characters, 2 after 3).
_CANONICAL_LAST = {
    0: b"",
    2: bytes(_ALPHABET[i] for i in range(0, 64, 16)),
    3: bytes(_ALPHABET[i] for i in range(0, 64, 4)),
}


def b64url_encode(data: bytes) -> str:
    """Encode bytes as base64url with no padding."""
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def b64url_decode(text: str | bytes) -> bytes:
    """Decode strict base64url without padding; anything else raises ``MalformedError``.

    Only the canonical encoding is accepted (RFC 4648 §3.5): unused trailing bits must be
    zero, so no two strings decode to the same bytes and a token cannot be altered while
    its signature still verifies.
    """
    try:
        raw = text.encode("ascii") if isinstance(text, str) else text
    except UnicodeEncodeError as exc:
        raise MalformedError("not base64url") from exc
    if raw.translate(None, _ALPHABET):  # a byte outside the alphabet
        raise MalformedError("not base64url")
    return b64url_decode_checked(raw)


def b64url_decode_checked(raw: bytes) -> bytes:
    """``b64url_decode`` of bytes the caller has already found to be all base64url
    characters (a compact JWS is checked whole, once: ``verifier.jws``)."""
    if len(raw) % 4 == 1:
        raise MalformedError("not base64url")
    try:
        decoded = pybase64.b64decode(raw + b"=" * (-len(raw) % 4), altchars=b"-_", validate=True)
    except (binascii.Error, ValueError) as exc:  # pragma: no cover - guarded above
        raise MalformedError("not base64url") from exc
    if raw and _CANONICAL_LAST[len(raw) % 4] and raw[-1] not in _CANONICAL_LAST[len(raw) % 4]:
        raise MalformedError("not canonical base64url")
    return decoded
