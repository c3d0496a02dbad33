"""Compact JWS: strict decoding of untrusted tokens and signature checking.

Only the compact serialization is read (VC-JOSE-COSE §3.1.2): three base64url parts of
``[A-Za-z0-9_-]``, nothing else. JWE (five parts, RFC 8725bis §3.3), the JSON serialization
and SD-JWT are refused with their own codes. Signatures are checked with a single algorithm
chosen from the resolved key, never from the token (RFC 8725 §3.1): ES256 with
``cryptography`` directly, EdDSA by PyJWT; their exceptions are translated here and nowhere
else.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Final

import jwt
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature

from verifier.encoding import b64url_decode_checked
from verifier.errors import CredentialErrorCode, MalformedError, ParseError, SignatureError
from verifier.format import ALLOWED_ALGORITHMS
from verifier.jwk import PublicKey
from verifier.strict_json import loads_strict_object

MAX_TOKEN_CHARS: Final = 64 * 1024
"""Largest compact JWS accepted, in characters (our credentials are about 2.5 KiB)."""

# What a compact JWS is made of: base64url characters and the two dots between its parts.
_COMPACT_CHARACTERS = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_."


@dataclass(frozen=True)
class UnverifiedJws:
    """A compact JWS split and parsed, with nothing about it checked yet."""

    token: str
    header: dict[str, Any]
    payload: dict[str, Any]
    signature: bytes


def decode_unverified_jws(unverified_token: str) -> UnverifiedJws:
    """Split and parse a compact JWS strictly; raises ``ParseError`` with a precise code."""
    token = unverified_token.strip()
    if len(token) > MAX_TOKEN_CHARS:
        raise ParseError("token exceeds the size limit", code=CredentialErrorCode.TOKEN_TOO_LARGE)
    if not token:
        raise ParseError("no token given", code=CredentialErrorCode.MALFORMED_TOKEN)
    if token.startswith("{"):
        raise ParseError(
            "JWS JSON serialization is not accepted",
            code=CredentialErrorCode.JSON_SERIALIZATION_UNSUPPORTED,
        )
    if "~" in token:
        raise ParseError("SD-JWT is not supported", code=CredentialErrorCode.SD_JWT_UNSUPPORTED)
    parts = _compact_parts(token)
    if parts is None:
        if token.count(".") == 4:
            raise ParseError(
                "encrypted tokens (JWE) are not accepted",
                code=CredentialErrorCode.ENCRYPTED_TOKEN_UNSUPPORTED,
            )
        raise ParseError("not a compact JWS", code=CredentialErrorCode.MALFORMED_TOKEN)
    header_part, payload_part, signature_part = parts
    try:
        header_bytes = b64url_decode_checked(header_part)
        payload_bytes = b64url_decode_checked(payload_part)
        signature = b64url_decode_checked(signature_part)
    except MalformedError:
        raise ParseError(
            "a token part is not base64url", code=CredentialErrorCode.INVALID_BASE64URL
        ) from None
    header = loads_strict_object(header_bytes)
    payload = loads_strict_object(payload_bytes)
    return UnverifiedJws(token=token, header=header, payload=payload, signature=signature)


def _compact_parts(token: str) -> tuple[bytes, bytes, bytes] | None:
    """The three parts of a compact JWS, as ASCII bytes, or ``None`` when ``token`` is not
    what ``[A-Za-z0-9_-]+\\.[A-Za-z0-9_-]+\\.[A-Za-z0-9_-]*`` matches: two non-empty base64url
    parts and a third, possibly empty, between exactly two dots. One C pass checks every
    character and ``find`` locates the dots, so the parts need no second check of their
    alphabet (decision 0063)."""
    if not token.isascii():
        return None
    raw = token.encode("ascii")
    if raw.translate(None, _COMPACT_CHARACTERS):
        return None
    first = raw.find(b".")
    second = raw.find(b".", first + 1) if first > 0 else -1
    if second <= first + 1 or raw.find(b".", second + 1) != -1:
        return None
    return raw[:first], raw[first + 1 : second], raw[second + 1 :]


def verify_jws_signature(jws: UnverifiedJws, public_key: PublicKey, algorithm: str) -> None:
    """Verify the signature with ``public_key`` and exactly ``algorithm``; raise on failure.

    ``verifier.header`` has already checked the header (allowlisted ``alg`` bound to the
    key, ``typ``, ``crit``); PyJWT's algorithm object checks the signature over the exact
    signing input (RFC 7515 §5.2), converting ES256's raw r||s to DER (RFC 7518 §3.4).
    Parsing the token once, here, avoids PyJWT re-decoding it character by character.
    """
    if jws.header.get("alg") != algorithm or algorithm not in _ALGORITHMS:
        raise SignatureError(
            "algorithm not bound to this key", code=CredentialErrorCode.BAD_SIGNATURE
        )
    if len(jws.signature) != _SIGNATURE_BYTES.get(algorithm, len(jws.signature)):
        # Not a signature of this algorithm at all: most often a truncated copy or scan.
        raise SignatureError(
            "the signature is not as long as this algorithm's signatures (a damaged copy?)",
            code=CredentialErrorCode.MALFORMED_SIGNATURE,
        )
    signing_input = jws.token.rsplit(".", 1)[0].encode("ascii")
    try:
        if algorithm == "ES256":
            valid = _verify_es256(signing_input, public_key, jws.signature)
        else:
            valid = _ALGORITHMS[algorithm].verify(signing_input, public_key, jws.signature)
    except (ValueError, TypeError):  # a key/curve mismatch inside cryptography
        raise SignatureError(
            "signature could not be checked", code=CredentialErrorCode.BAD_SIGNATURE
        ) from None
    if not valid:
        raise SignatureError("signature does not verify", code=CredentialErrorCode.BAD_SIGNATURE)


_ECDSA_SHA256: Final = ec.ECDSA(hashes.SHA256())


def _verify_es256(signing_input: bytes, public_key: PublicKey, signature: bytes) -> bool:
    """ES256 as PyJWT checks it (raw r || s to DER, then ``cryptography``), with the
    signature scheme built once: the busiest check of first-sight verification (decision
    0063). The key is a P-256 key: ``check_key_binding`` saw to that; anything else fails."""
    if not isinstance(public_key, ec.EllipticCurvePublicKey) or not isinstance(
        public_key.curve, ec.SECP256R1
    ):
        return False
    der = encode_dss_signature(
        int.from_bytes(signature[:32], "big"), int.from_bytes(signature[32:], "big")
    )
    try:
        public_key.verify(der, signing_input, _ECDSA_SHA256)
    except InvalidSignature:
        return False
    return True


# PyJWT's algorithm objects, one per allowlisted algorithm (RFC 8725 §3.1).
_ALGORITHMS = {name: jwt.get_algorithm_by_name(name) for name in ALLOWED_ALGORITHMS}
# ES256: r || s, 32 bytes each (RFC 7518 §3.4); EdDSA over Ed25519: 64 bytes (RFC 8037 §3.1).
_SIGNATURE_BYTES = {"ES256": 64, "EdDSA": 64}
