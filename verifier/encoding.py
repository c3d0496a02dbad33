"""Base64url without padding (RFC 7515 §2) and the multibase ``u`` prefix (BSL §2.2)."""

from __future__ import annotations

import base64
import binascii

from verifier.errors import MalformedError

_URLSAFE = frozenset(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")


def b64url_encode(data: bytes) -> str:
    """Encode bytes as base64url with no padding."""
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def b64url_decode(text: str | bytes) -> bytes:
    """Decode strict base64url without padding; anything else raises ``MalformedError``."""
    try:
        raw = text.encode("ascii") if isinstance(text, str) else text
    except UnicodeEncodeError as exc:
        raise MalformedError("not base64url") from exc
    if not set(raw) <= _URLSAFE or len(raw) % 4 == 1:
        raise MalformedError("not base64url")
    try:
        return base64.urlsafe_b64decode(raw + b"=" * (-len(raw) % 4))
    except (binascii.Error, ValueError) as exc:  # pragma: no cover - guarded above
        raise MalformedError("not base64url") from exc
