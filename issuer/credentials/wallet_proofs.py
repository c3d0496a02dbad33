"""Proofs of possession a wallet sends with a credential request (OpenID4VCI 1.0 §8.2.1.1,
Appendix F.1): a JWT ``typ`` ``openid4vci-proof+jwt`` signed by the key the credential will
be bound to, carried in its own ``jwk`` header.

What is proved is possession of that key, so the key comes from the proof itself; nothing
else in the header may name one: ``kid``, ``x5c``, ``x5u``, ``jku`` and ``trust_chain`` are
refused (RFC 8725 §3.10: never fetch or trust a key a token points at). The algorithm is one
of the allowlist and bound to the key's type (RFC 8725 §3.1), private key members are refused,
``aud`` is this credential issuer, ``iat`` is recent and ``nonce`` is present (the caller
checks that it is an unused ``c_nonce``).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any, Final

from verifier.errors import CredentialError
from verifier.jwk import algorithm_for_jwk, jwk_thumbprint, public_key_from_jwk
from verifier.jws import decode_unverified_jws, verify_jws_signature

PROOF_TYP: Final = "openid4vci-proof+jwt"
PROOF_ALGORITHMS: Final = ("ES256", "EdDSA")
# How old a proof may be, and how far ahead a wallet's clock may run.
PROOF_MAX_AGE: Final = dt.timedelta(minutes=5)
CLOCK_SKEW: Final = dt.timedelta(seconds=60)
_KEY_POINTERS: Final = frozenset({"kid", "x5c", "x5u", "jku", "trust_chain", "x5t", "x5t#S256"})
# The members of a public key as the credential carries it (RFC 7638 §3.2's required ones).
_PUBLIC_MEMBERS: Final = {"EC": ("kty", "crv", "x", "y"), "OKP": ("kty", "crv", "x")}


class InvalidProofError(ValueError):
    """A proof JWT that does not prove possession of a key for this issuer."""


@dataclass(frozen=True)
class HolderKey:
    """The holder's public key a verified proof vouched for, and the proof's ``nonce``."""

    jwk: dict[str, str]
    thumbprint: str
    nonce: str


def verify_proof(unverified_proof: object, *, audience: str, now: dt.datetime) -> HolderKey:
    """Check one proof JWT; raises ``InvalidProofError`` saying what is wrong (never echoing
    the token)."""
    if not isinstance(unverified_proof, str):
        raise InvalidProofError("a proof must be a compact JWT string")
    try:
        jws = decode_unverified_jws(unverified_proof)
    except CredentialError:
        raise InvalidProofError("the proof is not a compact JWS") from None
    header = jws.header
    if header.get("typ") != PROOF_TYP:
        raise InvalidProofError(f"the proof's typ must be {PROOF_TYP}")
    alg = header.get("alg")
    if alg not in PROOF_ALGORITHMS:
        raise InvalidProofError(f"the proof's alg must be one of {', '.join(PROOF_ALGORITHMS)}")
    if "crit" in header:
        raise InvalidProofError("no critical header extensions are understood")
    if _KEY_POINTERS & header.keys():
        raise InvalidProofError("the proof's key must be given as jwk, not named or fetched")
    jwk = header.get("jwk")
    if not isinstance(jwk, dict):
        raise InvalidProofError("the proof must carry the holder's public key as jwk")
    public_jwk = _public_jwk(jwk)
    try:
        key = public_key_from_jwk(jwk)
        if algorithm_for_jwk(jwk) != alg:
            raise InvalidProofError("the proof's alg does not match its key")
        verify_jws_signature(jws, key, alg)
    except CredentialError as exc:
        raise InvalidProofError(f"the proof does not verify: {exc}") from None
    return HolderKey(
        jwk=public_jwk,
        thumbprint=jwk_thumbprint(public_jwk),
        nonce=_check_claims(jws.payload, audience=audience, now=now),
    )


def _public_jwk(jwk: dict[str, Any]) -> dict[str, str]:
    members = _PUBLIC_MEMBERS.get(jwk.get("kty", ""))
    if members is None or any(not isinstance(jwk.get(name), str) for name in members):
        raise InvalidProofError("the proof's jwk is not an EC P-256 or Ed25519 public key")
    return {name: jwk[name] for name in members}


def _check_claims(payload: dict[str, Any], *, audience: str, now: dt.datetime) -> str:
    aud = payload.get("aud")
    audiences = aud if isinstance(aud, list) else [aud]
    if audience not in audiences:
        raise InvalidProofError("the proof's aud must be this credential issuer's identifier")
    iat = payload.get("iat")
    if not isinstance(iat, int | float) or isinstance(iat, bool):
        raise InvalidProofError("the proof must carry iat")
    try:
        issued = dt.datetime.fromtimestamp(iat, dt.UTC)
    except (ValueError, OverflowError, OSError):
        raise InvalidProofError("the proof's iat is not a time") from None
    if issued > now + CLOCK_SKEW:
        raise InvalidProofError("the proof's iat is in the future")
    if issued < now - PROOF_MAX_AGE:
        raise InvalidProofError("the proof is too old; make a new one")
    nonce = payload.get("nonce")
    if not isinstance(nonce, str) or not nonce:
        raise InvalidProofError("the proof must carry a c_nonce from the nonce endpoint")
    return nonce
