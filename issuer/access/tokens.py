"""API tokens: random, shown once, stored as SHA-256; a principal's, with role, units, expiry."""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from issuer.credentials.text import clean_identifier, clean_name
from issuer.errors import (
    AuthenticationError,
    ConflictError,
    InvalidInputError,
    IssuerErrorCode,
    NotFoundError,
)
from issuer.store.audit import Actor
from issuer.store.models import ApiToken, PrincipalRecord, Unit
from issuer.vocabulary import Role, TokenState

TOKEN_PREFIX = "tsr_"  # noqa: S105 - a public prefix, not a secret


@dataclass(frozen=True)
class Principal:
    """The authenticated caller of a registrar endpoint: a principal, through one token or
    one console session.

    ``role`` and ``units`` are the token's (at most the principal's); a console session has
    the principal's own.
    """

    token_id: int | None
    name: str
    role: str
    units: tuple[str, ...]
    principal_id: int
    principal_name: str
    session_id: int | None = None

    @property
    def actor_name(self) -> str:
        """The audit log's actor: the principal; the token is in each event's details."""
        return f"principal:{self.principal_id}:{self.principal_name}"

    def actor(self, request_id: str | None = None) -> Actor:
        return Actor(
            name=self.actor_name,
            request_id=request_id,
            principal_id=self.principal_id,
            token_id=self.token_id,
            session_id=self.session_id,
        )


def principal_actor_prefix(principal_id: int) -> str:
    """What every actor name of principal ``principal_id`` starts with."""
    return f"principal:{principal_id}:"


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def check_role_and_units(role: str, units: list[str]) -> None:
    """A known role; registrars need at least one unit."""
    if role not in set(Role):
        raise InvalidInputError(
            f"role must be one of {', '.join(Role)}", code=IssuerErrorCode.BAD_ROLE
        )
    if role == Role.REGISTRAR and not units:
        raise InvalidInputError(
            "a registrar needs at least one unit", code=IssuerErrorCode.UNITS_REQUIRED
        )


def create_token(
    session: Session,
    *,
    principal: PrincipalRecord,
    name: str,
    role: str,
    units: list[str],
    now: dt.datetime,
    expires_at: dt.datetime | None = None,
    created_by: int | None = None,
) -> tuple[ApiToken, str]:
    """Create a token of ``principal``; the plain value is returned once and never stored.

    Whether the role and units are within the principal's is the caller's check
    (``issuer.access.principals.issue_token``).
    """
    name = clean_name(name, "the token's name")  # it names the actor in the audit log
    units = [clean_identifier(unit, "a unit code") for unit in units]
    check_role_and_units(role, units)
    if principal.disabled_at is not None:
        raise ConflictError("the principal is disabled", code=IssuerErrorCode.PRINCIPAL_DISABLED)
    if expires_at is not None and expires_at <= now:
        raise InvalidInputError("expiry must be in the future", code=IssuerErrorCode.BAD_EXPIRY)
    plain = TOKEN_PREFIX + secrets.token_urlsafe(32)
    record = ApiToken(
        principal_id=principal.id,
        token_hash=hash_token(plain),
        prefix=plain[: len(TOKEN_PREFIX) + 6],
        name=name,
        role=role,
        units=sorted(set(units)),
        created_at=now,
        expires_at=expires_at,
        created_by_principal_id=created_by if created_by != principal.id else None,
    )
    session.add(record)
    session.flush()
    return record, plain


def authenticate(session: Session, presented: str, *, now: dt.datetime) -> Principal:
    """The principal for a presented token; unknown, revoked or expired tokens fail alike."""
    if not presented.startswith(TOKEN_PREFIX) or len(presented) > 200:
        raise AuthenticationError("invalid token")
    found = session.execute(
        select(ApiToken, PrincipalRecord)
        .join(PrincipalRecord, PrincipalRecord.id == ApiToken.principal_id)
        .where(ApiToken.token_hash == hash_token(presented))
    ).one_or_none()
    if found is None:
        raise AuthenticationError("invalid token")
    record, owner = found
    if (
        record.revoked_at is not None
        or (record.expires_at is not None and record.expires_at <= now)
        or owner.disabled_at is not None
    ):
        raise AuthenticationError("invalid token")
    return Principal(
        token_id=record.id,
        name=record.name,
        role=record.role,
        units=tuple(record.units),
        principal_id=owner.id,
        principal_name=owner.name,
    )


def list_tokens(session: Session, *, principal_id: int | None = None) -> list[ApiToken]:
    query = select(ApiToken).order_by(ApiToken.id)
    if principal_id is not None:
        query = query.where(ApiToken.principal_id == principal_id)
    return list(session.scalars(query))


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
