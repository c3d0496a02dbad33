"""API tokens: random, shown once, stored as SHA-256; role, units and expiry."""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from issuer.credentials.text import clean_identifier, clean_name
from issuer.errors import AuthenticationError, InvalidInputError, IssuerErrorCode, NotFoundError
from issuer.store.models import ApiToken, Unit
from issuer.vocabulary import Role, TokenState

TOKEN_PREFIX = "tsr_"  # noqa: S105 - a public prefix, not a secret


@dataclass(frozen=True)
class Principal:
    """The authenticated caller of a registrar endpoint."""

    token_id: int
    name: str
    role: str
    units: tuple[str, ...]

    @property
    def actor_name(self) -> str:
        return f"token:{self.token_id}:{self.name}"


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def create_token(
    session: Session,
    *,
    name: str,
    role: str,
    units: list[str],
    now: dt.datetime,
    expires_at: dt.datetime | None = None,
) -> tuple[ApiToken, str]:
    """Create a token; the plain value is returned once and never stored."""
    name = clean_name(name, "the token's name")  # it names the actor in the audit log
    units = [clean_identifier(unit, "a unit code") for unit in units]
    if role not in set(Role):
        raise InvalidInputError(
            f"role must be one of {', '.join(Role)}", code=IssuerErrorCode.BAD_ROLE
        )
    if expires_at is not None and expires_at <= now:
        raise InvalidInputError("expiry must be in the future", code=IssuerErrorCode.BAD_EXPIRY)
    if role == Role.REGISTRAR and not units:
        raise InvalidInputError(
            "a registrar token needs at least one unit", code=IssuerErrorCode.UNITS_REQUIRED
        )
    plain = TOKEN_PREFIX + secrets.token_urlsafe(32)
    record = ApiToken(
        token_hash=hash_token(plain),
        prefix=plain[: len(TOKEN_PREFIX) + 6],
        name=name,
        role=role,
        units=sorted(set(units)),
        created_at=now,
        expires_at=expires_at,
    )
    session.add(record)
    session.flush()
    return record, plain


def authenticate(session: Session, presented: str, *, now: dt.datetime) -> Principal:
    """The principal for a presented token; unknown, revoked or expired tokens fail alike."""
    if not presented.startswith(TOKEN_PREFIX) or len(presented) > 200:
        raise AuthenticationError("invalid token")
    record = session.scalars(
        select(ApiToken).where(ApiToken.token_hash == hash_token(presented))
    ).one_or_none()
    if (
        record is None
        or record.revoked_at is not None
        or (record.expires_at is not None and record.expires_at <= now)
    ):
        raise AuthenticationError("invalid token")
    return Principal(
        token_id=record.id, name=record.name, role=record.role, units=tuple(record.units)
    )


def list_tokens(session: Session) -> list[ApiToken]:
    return list(session.scalars(select(ApiToken).order_by(ApiToken.id)))


def revoke_token(session: Session, token_id: int, *, now: dt.datetime) -> ApiToken:
    record = session.get(ApiToken, token_id)
    if record is None:
        raise NotFoundError("no such token")
    if record.revoked_at is None:
        record.revoked_at = now
    return record


def token_state(record: ApiToken, now: dt.datetime) -> TokenState:
    """``active``, ``expired`` or ``revoked``: what ``authenticate`` would decide now."""
    if record.revoked_at is not None:
        return TokenState.REVOKED
    if record.expires_at is not None and record.expires_at <= now:
        return TokenState.EXPIRED
    return TokenState.ACTIVE


def check_units_exist(session: Session, units: list[str]) -> None:
    """Refuse a token scoped to a unit the catalog does not know (a typo scopes to nothing)."""
    known = set(session.scalars(select(Unit.code).where(Unit.code.in_(units)))) if units else set()
    if set(units) - known:
        raise InvalidInputError("unknown unit code", code=IssuerErrorCode.UNKNOWN_UNIT)
