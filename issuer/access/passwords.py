"""Console passwords: Argon2id (argon2-cffi's RFC 9106 low-memory profile), never stored plain.

``verify_password`` takes the same time whether or not the person exists: an unknown e-mail
is checked against a fixed dummy hash, so the answer's timing does not tell who has an
account (docs/decisions/0038-console-sign-in.md).
"""

from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from issuer.errors import InvalidInputError, IssuerErrorCode

MIN_LENGTH = 10
MAX_LENGTH = 256  # Argon2 takes any length; a cap keeps one request's work bounded

_hasher = PasswordHasher()  # Argon2id, t=3, m=64 MiB, p=4 (RFC 9106 second recommendation)
_DUMMY_HASH = _hasher.hash("no one has this password: it only spends the same time")


def check_password_rules(password: str) -> None:
    """Long enough, not absurdly long; NIST SP 800-63B: length matters, not character classes."""
    if not MIN_LENGTH <= len(password) <= MAX_LENGTH:
        raise InvalidInputError(
            f"a password has {MIN_LENGTH} to {MAX_LENGTH} characters",
            code=IssuerErrorCode.WEAK_PASSWORD,
        )
    if len(set(password)) < 4:
        raise InvalidInputError(
            "this password repeats too few characters", code=IssuerErrorCode.WEAK_PASSWORD
        )


def hash_password(password: str) -> str:
    check_password_rules(password)
    return _hasher.hash(password)


def verify_password(stored_hash: str | None, password: str) -> bool:
    """Whether ``password`` matches; with no stored hash the dummy is checked, to spend the
    same time, and the answer is no."""
    candidate = password[:MAX_LENGTH]
    try:
        matched = _hasher.verify(stored_hash or _DUMMY_HASH, candidate)
    except (VerificationError, InvalidHashError):
        return False
    return matched and stored_hash is not None


def needs_rehash(stored_hash: str) -> bool:
    """Whether a hash was made with weaker parameters than today's (rehash at sign-in)."""
    return _hasher.check_needs_rehash(stored_hash)
