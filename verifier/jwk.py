"""Public JWKs: RFC 7638 thumbprints and conversion to ``cryptography`` keys."""

from __future__ import annotations

import hashlib
import json
from typing import Any

from cryptography.hazmat.primitives.asymmetric import ec, ed25519

from verifier.encoding import b64url_decode, b64url_encode
from verifier.errors import MalformedError
from verifier.format import ALGORITHM_FOR_KEY_TYPE

PublicKey = ec.EllipticCurvePublicKey | ed25519.Ed25519PublicKey

# RFC 7638 §3.2: the required members, per key type, that the thumbprint covers.
_REQUIRED_MEMBERS = {
    "EC": ("crv", "kty", "x", "y"),
    "RSA": ("e", "kty", "n"),
    "OKP": ("crv", "kty", "x"),
}
_PRIVATE_MEMBERS = frozenset({"d", "p", "q", "dp", "dq", "qi", "oth", "k"})


def jwk_thumbprint(jwk: dict[str, Any]) -> str:
    """Return the RFC 7638 SHA-256 thumbprint of ``jwk``, base64url-encoded."""
    members = _REQUIRED_MEMBERS.get(jwk.get("kty", ""))
    if members is None or any(not isinstance(jwk.get(m), str) for m in members):
        raise MalformedError("JWK lacks the members its key type requires")
    canonical = json.dumps({m: jwk[m] for m in members}, separators=(",", ":"), sort_keys=True)
    return b64url_encode(hashlib.sha256(canonical.encode("utf-8")).digest())


def algorithm_for_jwk(jwk: dict[str, Any]) -> str:
    """The one algorithm a key of this type may be used with (RFC 8725 §3.1)."""
    alg = ALGORITHM_FOR_KEY_TYPE.get((jwk.get("kty", ""), jwk.get("crv", "")))
    if alg is None:
        raise MalformedError("unsupported key type")
    if "alg" in jwk and jwk["alg"] != alg:
        raise MalformedError("JWK alg does not match its key type")
    return alg


def public_key_from_jwk(jwk: dict[str, Any]) -> PublicKey:
    """Build a public key from a JWK; private members are refused, not ignored."""
    if _PRIVATE_MEMBERS & jwk.keys():
        raise MalformedError("JWK carries private key material")
    alg = algorithm_for_jwk(jwk)
    try:
        if alg == "ES256":
            x, y = b64url_decode(jwk["x"]), b64url_decode(jwk["y"])
            if len(x) != 32 or len(y) != 32:
                raise MalformedError("P-256 coordinates must be 32 bytes")
            numbers = ec.EllipticCurvePublicNumbers(
                int.from_bytes(x, "big"), int.from_bytes(y, "big"), ec.SECP256R1()
            )
            return numbers.public_key()
        raw = b64url_decode(jwk["x"])
        return ed25519.Ed25519PublicKey.from_public_bytes(raw)
    except (KeyError, TypeError, ValueError) as exc:
        raise MalformedError("JWK is not a valid public key") from exc


def jwk_from_public_key(key: PublicKey) -> dict[str, str]:
    """The public JWK of ``key`` with ``kid`` (its thumbprint) and ``alg``."""
    if isinstance(key, ec.EllipticCurvePublicKey):
        if not isinstance(key.curve, ec.SECP256R1):
            raise MalformedError("only P-256 EC keys are supported")
        numbers = key.public_numbers()
        jwk = {
            "kty": "EC",
            "crv": "P-256",
            "x": b64url_encode(numbers.x.to_bytes(32, "big")),
            "y": b64url_encode(numbers.y.to_bytes(32, "big")),
        }
    else:
        from cryptography.hazmat.primitives import serialization

        raw = key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
        jwk = {"kty": "OKP", "crv": "Ed25519", "x": b64url_encode(raw)}
    return {**jwk, "kid": jwk_thumbprint(jwk), "alg": algorithm_for_jwk(jwk), "use": "sig"}
