"""Helpers for the SD-JWT VC tests: holder keys, a Tessera-issued SD-JWT VC, decoding."""

from __future__ import annotations

import base64
import datetime as dt
import json
from typing import Any

from cryptography.hazmat.primitives.asymmetric import ec, ed25519
from fastapi.testclient import TestClient

from issuer.credentials.sd_jwt_vc import build_sd_jwt_vc
from issuer.services import Services
from issuer.store.engine import session_scope
from issuer.store.models import Credential
from tests.issuer.lifecycle_helpers import issue


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def unb64url(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def holder_key() -> ec.EllipticCurvePrivateKey:
    return ec.generate_private_key(ec.SECP256R1())


def public_jwk(key: ec.EllipticCurvePrivateKey | ed25519.Ed25519PrivateKey) -> dict[str, str]:
    if isinstance(key, ed25519.Ed25519PrivateKey):
        from cryptography.hazmat.primitives import serialization

        raw = key.public_key().public_bytes(
            serialization.Encoding.Raw, serialization.PublicFormat.Raw
        )
        return {"kty": "OKP", "crv": "Ed25519", "x": b64url(raw)}
    numbers = key.public_key().public_numbers()
    return {
        "kty": "EC",
        "crv": "P-256",
        "x": b64url(numbers.x.to_bytes(32, "big")),
        "y": b64url(numbers.y.to_bytes(32, "big")),
    }


def private_jwk(key: ec.EllipticCurvePrivateKey) -> dict[str, str]:
    d = key.private_numbers().private_value.to_bytes(32, "big")
    return {**public_jwk(key), "d": b64url(d)}


def issue_sd_jwt_vc(
    client: TestClient,
    headers: dict[str, str],
    services: Services,
    holder_jwk: dict[str, Any],
    *,
    now: dt.datetime | None = None,
    **changes: Any,
) -> tuple[str, str]:
    """(credential id, SD-JWT VC) for a credential issued through the registrar API."""
    issued = issue(client, headers, **changes)
    with session_scope(services.sessions) as session:
        credential = session.get(Credential, issued["id"])
        assert credential is not None
        token = build_sd_jwt_vc(
            session,
            credential,
            base_url=services.base_url,
            signer=services.signer(session),
            holder_jwk=holder_jwk,
            now=now or services.clock(),
        )
    return issued["id"], token


def jwt_parts(jwt: str) -> tuple[dict[str, Any], dict[str, Any]]:
    header, payload, _ = jwt.split(".")
    return json.loads(unb64url(header)), json.loads(unb64url(payload))


def disclosures_by_name(sd_jwt: str) -> dict[str, str]:
    """Each disclosure string of ``<JWT>~<d>~…~`` by the claim name it discloses."""
    return {json.loads(unb64url(d))[1]: d for d in sd_jwt.split("~")[1:-1]}


def sign_es256(key: ec.EllipticCurvePrivateKey, header: dict[str, Any], claims: Any) -> str:
    """A compact ES256 JWS made with ``cryptography`` alone (r || s, RFC 7518 §3.4)."""
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature

    encoded = (
        b64url(json.dumps(header).encode())
        + "."
        + b64url(json.dumps(claims, ensure_ascii=False).encode())
    )
    r, s = decode_dss_signature(key.sign(encoded.encode("ascii"), ec.ECDSA(hashes.SHA256())))
    return encoded + "." + b64url(r.to_bytes(32, "big") + s.to_bytes(32, "big"))


def present(
    sd_jwt: str,
    keep: set[str],
    key: ec.EllipticCurvePrivateKey,
    *,
    nonce: str,
    aud: str,
    iat: int,
    kb_header: dict[str, Any] | None = None,
) -> str:
    """A presentation of ``sd_jwt`` with the disclosures named in ``keep`` and a KB-JWT."""
    import hashlib

    parts = sd_jwt.split("~")
    chosen = [d for d in parts[1:-1] if json.loads(unb64url(d))[1] in keep]
    prefix = "~".join([parts[0], *chosen, ""])
    sd_hash = b64url(hashlib.sha256(prefix.encode("ascii")).digest())
    header = kb_header or {"alg": "ES256", "typ": "kb+jwt"}
    claims = {"nonce": nonce, "aud": aud, "iat": iat, "sd_hash": sd_hash}
    return prefix + sign_es256(key, header, claims)
