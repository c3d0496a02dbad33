"""Small secrets sealed for the database with a key derived from the key passphrase.

The signing keys are files encrypted with the key passphrase (``keystore``); a secret that
lives in a database column (a person's TOTP secret) is sealed with AES-256-GCM under a key
derived from the same passphrase by HKDF-SHA-256 with a purpose label, so one passphrase
protects both and a key derived for one purpose opens nothing else. The associated data
binds a sealed value to its row (``principal:<id>``): copied to another row, it does not
open. Format: ``v1:`` + URL-safe base64 of the 12-byte random nonce and the ciphertext with
its tag (docs/decisions/0040-second-factor-and-console-tokens.md). Larger values kept in a
binary column (a holder's photo, decision 0052) are sealed as bytes, without the base64:
``v1:`` + nonce + ciphertext with its tag.
"""

from __future__ import annotations

import base64
import binascii
import os

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from issuer.errors import ConfigurationError

VERSION = "v1"
NONCE_BYTES = 12
_SALT = b"tessera sealed secrets"


def _key(passphrase: bytes, purpose: str) -> bytes:
    """A 256-bit key for ``purpose`` only (HKDF's ``info`` is the purpose label)."""
    return HKDF(
        algorithm=hashes.SHA256(), length=32, salt=_SALT, info=purpose.encode("utf-8")
    ).derive(passphrase)


def derived_key(passphrase: bytes, purpose: str) -> bytes:
    """A 256-bit key for ``purpose`` only, for keyed hashes (HMAC) of stored secrets."""
    return _key(passphrase, purpose)


def seal(passphrase: bytes, purpose: str, plain: str, *, bound_to: str) -> str:
    """``plain`` encrypted and authenticated for ``purpose``, bound to ``bound_to``."""
    nonce = os.urandom(NONCE_BYTES)
    sealed = AESGCM(_key(passphrase, purpose)).encrypt(
        nonce, plain.encode("utf-8"), bound_to.encode("utf-8")
    )
    return f"{VERSION}:{base64.urlsafe_b64encode(nonce + sealed).decode('ascii')}"


def seal_bytes(passphrase: bytes, purpose: str, plain: bytes, *, bound_to: str) -> bytes:
    """``plain`` encrypted and authenticated for ``purpose``, bound to ``bound_to``: bytes."""
    nonce = os.urandom(NONCE_BYTES)
    sealed = AESGCM(_key(passphrase, purpose)).encrypt(nonce, plain, bound_to.encode("utf-8"))
    return f"{VERSION}:".encode("ascii") + nonce + sealed


def unseal_bytes(passphrase: bytes, purpose: str, value: bytes, *, bound_to: str) -> bytes:
    """The plain bytes of ``seal_bytes``; ``ConfigurationError`` as ``unseal``."""
    prefix = f"{VERSION}:".encode("ascii")
    if not value.startswith(prefix):
        raise ConfigurationError("a sealed value has an unknown format")
    raw = value[len(prefix) :]
    try:
        return AESGCM(_key(passphrase, purpose)).decrypt(
            raw[:NONCE_BYTES], raw[NONCE_BYTES:], bound_to.encode("utf-8")
        )
    except (InvalidTag, ValueError):
        raise ConfigurationError(
            "a sealed value does not open: another key passphrase, or the value was changed"
        ) from None


def unseal(passphrase: bytes, purpose: str, value: str, *, bound_to: str) -> str:
    """The plain text of a sealed value; ``ConfigurationError`` when it does not open (another
    passphrase, another row, a changed value or an unknown format)."""
    version, _, body = value.partition(":")
    if version != VERSION:
        raise ConfigurationError("a sealed secret has an unknown format")
    try:
        raw = base64.urlsafe_b64decode(body.encode("ascii"))
        plain = AESGCM(_key(passphrase, purpose)).decrypt(
            raw[:NONCE_BYTES], raw[NONCE_BYTES:], bound_to.encode("utf-8")
        )
    except (InvalidTag, ValueError, binascii.Error):
        raise ConfigurationError(
            "a sealed secret does not open: another key passphrase, or the value was changed"
        ) from None
    return plain.decode("utf-8")
