"""The key store: signing keys generated, stored encrypted (PKCS#8, mode 0600), rotated and
marked compromised; their metadata in the database, their private halves in the keys folder.

Private keys never leave this module except inside a ``Signer``; they are never logged or served.
"""

from __future__ import annotations

import datetime as dt
import logging
from pathlib import Path

from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519
from sqlalchemy import select
from sqlalchemy.orm import Session

from issuer.errors import (
    ConfigurationError,
    ConflictError,
    InvalidInputError,
    IssuerErrorCode,
    NotFoundError,
)
from issuer.keys.signer import PrivateKey, Signer
from issuer.store.models import SigningKey
from issuer.store.private_files import create_private_file, private_dir
from issuer.vocabulary import KeyState
from verifier.jwk import jwk_from_public_key

log = logging.getLogger(__name__)


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
    private_dir(path.parent, narrow=True)
    with create_private_file(path) as handle:
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
        current.state = KeyState.RETIRED
        current.retired_at = now
    private_key = generate_private_key(algorithm)
    jwk = jwk_from_public_key(private_key.public_key())
    record = SigningKey(
        kid=jwk["kid"], algorithm=jwk["alg"], public_jwk=jwk, state=KeyState.ACTIVE, created_at=now
    )
    session.add(record)
    session.flush()
    write_private_key(key_path(keys_dir, record.kid), private_key, passphrase)
    log.info("signing key created", extra={"kid": record.kid, "alg": record.algorithm})
    return record


def active_key(session: Session) -> SigningKey | None:
    return session.scalars(
        select(SigningKey).where(SigningKey.state == KeyState.ACTIVE)
    ).one_or_none()


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
    if record.state == KeyState.COMPROMISED:
        raise ConflictError(
            "the key is already marked compromised", code=IssuerErrorCode.KEY_ALREADY_COMPROMISED
        )
    if compromised_at > now:
        raise InvalidInputError(
            "the time of compromise is in the future", code=IssuerErrorCode.BAD_COMPROMISE_TIME
        )
    replacement = None
    if record.state == KeyState.ACTIVE:
        replacement = create_signing_key(session, keys_dir, passphrase, algorithm, now=now)
    record.state = KeyState.COMPROMISED
    record.compromised_at = compromised_at
    session.flush()
    log.warning("signing key marked compromised", extra={"kid": kid})
    return record, replacement
