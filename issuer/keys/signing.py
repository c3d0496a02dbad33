"""Signing keys: generation, encrypted storage (PKCS#8, mode 0600), rotation and the JWKS.

Private keys never leave this module except as a ``Signer``; they are never logged or served.
"""

from __future__ import annotations

import datetime as dt
import functools
import json
import logging
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NamedTuple

import orjson
from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature
from sqlalchemy import select
from sqlalchemy.orm import Session

from issuer.errors import ConfigurationError, ConflictError, InvalidInputError, NotFoundError
from issuer.store.models import SigningKey
from verifier.encoding import b64url_encode
from verifier.format import VC_JWT_TYP
from verifier.jwk import jwk_from_public_key

log = logging.getLogger(__name__)

PrivateKey = ec.EllipticCurvePrivateKey | ed25519.Ed25519PrivateKey


class SignedJws(NamedTuple):
    """A compact JWS and the exact bytes its three parts encode."""

    token: str
    header: bytes
    payload: bytes
    signature: bytes


@dataclass(frozen=True)
class Signer:
    """Signs compact JWS with one key. ``repr`` shows the ``kid`` only."""

    kid: str
    algorithm: str
    private_key: PrivateKey

    def __repr__(self) -> str:
        return f"Signer(kid={self.kid!r}, algorithm={self.algorithm!r})"

    def sign(self, payload: dict[str, Any], *, typ: str = VC_JWT_TYP) -> str:
        """A compact JWS (RFC 7515 §7.1) over ``payload``, header ``alg``, ``kid``, ``typ``.

        The payload is UTF-8 JSON without ASCII escapes: Chinese text costs 3 bytes a
        character instead of 6, which keeps tokens (and QR codes) small.
        """
        return self.sign_parts(payload, typ=typ).token

    def sign_parts(self, payload: dict[str, Any], *, typ: str = VC_JWT_TYP) -> SignedJws:
        """``sign``, also giving the exact header, payload and signature bytes it encodes."""
        header, encoded_header = _header(self.algorithm, self.kid, typ)
        body = orjson.dumps(payload)
        signing_input = f"{encoded_header}.{b64url_encode(body)}"
        signature = self._signature(signing_input.encode("ascii"))
        return SignedJws(f"{signing_input}.{b64url_encode(signature)}", header, body, signature)

    def _signature(self, data: bytes) -> bytes:
        """ES256: ECDSA P-256/SHA-256 as raw ``r || s``, 32 bytes each (RFC 7518 §3.4), not
        DER; EdDSA: the 64-byte Ed25519 signature (RFC 8037 §3.1)."""
        if isinstance(self.private_key, ec.EllipticCurvePrivateKey):
            r, s = decode_dss_signature(self.private_key.sign(data, _ECDSA_SHA256))
            return r.to_bytes(32, "big") + s.to_bytes(32, "big")
        return self.private_key.sign(data)


_ECDSA_SHA256 = ec.ECDSA(hashes.SHA256())


@functools.lru_cache(maxsize=16)
def _header(algorithm: str, kid: str, typ: str) -> tuple[bytes, str]:
    """The protected header's JSON bytes and their base64url."""
    header = json.dumps({"alg": algorithm, "kid": kid, "typ": typ}, separators=(",", ":"))
    return header.encode("ascii"), b64url_encode(header.encode("ascii"))


def generate_private_key(algorithm: str) -> PrivateKey:
    if algorithm == "ES256":
        return ec.generate_private_key(ec.SECP256R1())
    if algorithm == "EdDSA":
        return ed25519.Ed25519PrivateKey.generate()
    raise ConfigurationError(f"unsupported key algorithm {algorithm}")


def key_path(keys_dir: Path, kid: str) -> Path:
    return keys_dir / f"{kid}.pem"


def write_private_key(path: Path, key: PrivateKey, passphrase: bytes) -> None:
    """Write ``key`` as encrypted PKCS#8 PEM, created with mode 0600 and never overwritten."""
    pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.BestAvailableEncryption(passphrase),
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(pem)


def read_private_key(path: Path, passphrase: bytes) -> PrivateKey:
    """Load an encrypted PEM key; any failure is one ``ConfigurationError`` line."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise ConfigurationError(f"signing key {path} cannot be read ({exc.strerror})") from None
    try:
        key = serialization.load_pem_private_key(data, password=passphrase)
    except (ValueError, TypeError, UnsupportedAlgorithm):
        raise ConfigurationError(
            f"signing key {path} cannot be decrypted: wrong passphrase or not a PKCS#8 key"
        ) from None
    if not isinstance(key, ec.EllipticCurvePrivateKey | ed25519.Ed25519PrivateKey):
        raise ConfigurationError(f"signing key {path} is not an EC P-256 or Ed25519 key")
    return key


def create_signing_key(
    session: Session, keys_dir: Path, passphrase: bytes, algorithm: str, *, now: dt.datetime
) -> SigningKey:
    """Generate a key, record its metadata, make it the active one and store it encrypted.

    The passphrase must open the current active key: a rotation under a mistyped passphrase
    would leave an active key no server can read. The file is written last; a caller whose
    transaction then fails removes it (``key_path``).
    """
    current = active_key(session)
    if current is not None:
        read_private_key(key_path(keys_dir, current.kid), passphrase)
        current.state = "retired"
        current.retired_at = now
    private_key = generate_private_key(algorithm)
    jwk = jwk_from_public_key(private_key.public_key())
    record = SigningKey(
        kid=jwk["kid"], algorithm=jwk["alg"], public_jwk=jwk, state="active", created_at=now
    )
    session.add(record)
    session.flush()
    write_private_key(key_path(keys_dir, record.kid), private_key, passphrase)
    log.info("signing key created", extra={"kid": record.kid, "alg": record.algorithm})
    return record


def active_key(session: Session) -> SigningKey | None:
    return session.scalars(select(SigningKey).where(SigningKey.state == "active")).one_or_none()


def load_signer(session: Session, keys_dir: Path, passphrase: bytes) -> Signer:
    """The signer for the active key; a missing or unreadable key is one clear error."""
    record = active_key(session)
    if record is None:
        raise ConfigurationError("no active signing key: run `tessera keys generate`")
    private_key = read_private_key(key_path(keys_dir, record.kid), passphrase)
    if jwk_from_public_key(private_key.public_key())["kid"] != record.kid:
        raise ConfigurationError(f"signing key file for {record.kid} holds a different key")
    return Signer(kid=record.kid, algorithm=record.algorithm, private_key=private_key)


def list_keys(session: Session) -> list[SigningKey]:
    return list(session.scalars(select(SigningKey).order_by(SigningKey.created_at)))


def get_key(session: Session, kid: str) -> SigningKey:
    record = session.get(SigningKey, kid)
    if record is None:
        raise NotFoundError("no such key")
    return record


def published_jwks(session: Session) -> dict[str, list[dict[str, Any]]]:
    """Active and retired public keys: certificates outlive the key that signed them."""
    rows = session.scalars(
        select(SigningKey).where(SigningKey.state != "compromised").order_by(SigningKey.created_at)
    )
    return {"keys": [dict(row.public_jwk) for row in rows]}


def compromise_key(
    session: Session,
    kid: str,
    *,
    compromised_at: dt.datetime,
    keys_dir: Path,
    passphrase: bytes,
    algorithm: str,
    now: dt.datetime,
) -> tuple[SigningKey, SigningKey | None]:
    """Mark ``kid`` compromised as of ``compromised_at``; returns it and the new active key
    when the compromised key was the active one (a new key is made active first).

    The key leaves the JWKS and ``/keys/{kid}`` and is listed in the compromised-keys
    document; every credential it signed fails verification
    (docs/decisions/0009-superseded-and-compromised-keys.md).
    """
    record = get_key(session, kid)
    if record.state == "compromised":
        raise ConflictError("the key is already marked compromised", code="key_already_compromised")
    if compromised_at > now:
        raise InvalidInputError(
            "the time of compromise is in the future", code="bad_compromise_time"
        )
    replacement = None
    if record.state == "active":
        replacement = create_signing_key(session, keys_dir, passphrase, algorithm, now=now)
    record.state = "compromised"
    record.compromised_at = compromised_at
    session.flush()
    log.warning("signing key marked compromised", extra={"kid": kid})
    return record, replacement


def compromised_keys_document(session: Session, issuer_id: str) -> dict[str, Any]:
    """The public list of compromised keys (``/compromised-keys.json``): which ``kid`` s no
    longer vouch for anything, and since when the issuer believes they leaked."""
    rows = session.scalars(
        select(SigningKey)
        .where(SigningKey.state == "compromised")
        .order_by(SigningKey.compromised_at, SigningKey.kid)
    )
    return {
        "issuer": issuer_id,
        "keys": [
            {
                "kid": row.kid,
                "compromised_at": (row.compromised_at or row.created_at)
                .astimezone(dt.UTC)
                .strftime("%Y-%m-%dT%H:%M:%SZ"),
            }
            for row in rows
        ],
    }
