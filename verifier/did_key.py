"""``did:key`` identifiers (W3C CCG did:key v0.7): the public key is the identifier itself.

Only the two key types the verifier's algorithm allowlist covers: Ed25519 (multicodec
``0xed``, EdDSA) and P-256 (``0x1200``, compressed point, ES256). Resolution is local and
never touches the network; nothing else is resolved.
"""

from __future__ import annotations

from typing import Final

from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from verifier.jwk import PublicKey

_ALPHABET: Final = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"
_ED25519_PREFIX: Final = b"\xed\x01"
_P256_PREFIX: Final = b"\x80\x24"
DID_KEY_PREFIX: Final = "did:key:"


class DidKeyError(ValueError):
    """Not a ``did:key`` of a supported key type."""


def base58btc_decode(text: str) -> bytes:
    """Bitcoin base58 (the multibase ``z`` alphabet) to bytes."""
    number = 0
    for char in text:
        digit = _ALPHABET.find(char)
        if digit < 0:
            raise DidKeyError("not base58btc")
        number = number * 58 + digit
    body = number.to_bytes((number.bit_length() + 7) // 8, "big") if number else b""
    zeros = len(text) - len(text.lstrip("1"))
    return b"\x00" * zeros + body


def resolve_did_key(did: str) -> tuple[PublicKey, str]:
    """The public key and its JOSE algorithm named by ``did`` (a DID URL's fragment is
    ignored); raise ``DidKeyError`` for anything else."""
    if not did.startswith(DID_KEY_PREFIX):
        raise DidKeyError("not a did:key")
    identifier = did[len(DID_KEY_PREFIX) :].split("#", 1)[0]
    if not identifier.startswith("z") or len(identifier) > 100:
        raise DidKeyError("not a base58btc multibase key")
    raw = base58btc_decode(identifier[1:])
    if raw.startswith(_ED25519_PREFIX) and len(raw) == 34:
        return Ed25519PublicKey.from_public_bytes(raw[2:]), "EdDSA"
    if raw.startswith(_P256_PREFIX) and len(raw) == 35:
        try:
            point = ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), raw[2:])
        except ValueError:
            raise DidKeyError("not a P-256 point") from None
        return point, "ES256"
    raise DidKeyError("unsupported key type")
