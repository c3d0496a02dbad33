"""Principals: the people and service accounts that hold API tokens.

Rights pass down, never up (``issuer.access.policy.covers``): a token carries at most its
principal's role and units, and a principal creates principals and tokens with at most its
own. Creating an admin principal, or a token for an admin principal other than oneself, is a
maker-checker request (``issuer.access.approvals``); docs/decisions/0020-principals.md.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.orm import Session

from issuer.access.policy import covers
from issuer.access.tokens import check_role_and_units, check_units_exist, create_token
from issuer.credentials.text import clean_identifier, clean_name
from issuer.errors import InvalidInputError, IssuerErrorCode, NotFoundError, PermissionDeniedError
from issuer.store.audit import Actor, record_event
from issuer.store.models import ApiToken, PrincipalRecord
from issuer.vocabulary import AuditAction, PrincipalKind


def create_principal(
    session: Session,
    *,
    name: str,
    kind: str,
    role: str,
    units: list[str],
    actor: Actor,
    now: dt.datetime,
    created_by: int | None = None,
) -> PrincipalRecord:
    """Record a principal and audit it; who may is the caller's check
    (``issuer.access.policy.require_grant``)."""
    name = clean_name(name, "the principal's name")  # it names the actor in the audit log
    units = [clean_identifier(unit, "a unit code") for unit in units]
    if kind not in set(PrincipalKind):
        raise InvalidInputError(
            f"kind must be one of {', '.join(PrincipalKind)}", code=IssuerErrorCode.BAD_KIND
        )
    check_role_and_units(role, units)
    check_units_exist(session, units)
    record = PrincipalRecord(
        name=name,
        kind=kind,
        role=role,
        units=sorted(set(units)),
        created_at=now,
        created_by_principal_id=created_by,
    )
    session.add(record)
    session.flush()
    record_event(
        session,
        actor,
        AuditAction.PRINCIPAL_CREATE,
        f"principal:{record.id}",
        now=now,
        details={"name": name, "kind": kind, "role": role, "units": record.units},
    )
    return record


def issue_token(
    session: Session,
    owner: PrincipalRecord,
    *,
    name: str,
    role: str | None,
    units: list[str] | None,
    actor: Actor,
    now: dt.datetime,
    expires_at: dt.datetime | None = None,
) -> tuple[ApiToken, str]:
    """A token of ``owner`` with at most its rights (by default exactly them), audited."""
    role = role or owner.role
    units = list(owner.units) if units is None else units
    check_units_exist(session, units)
    if not covers(owner.role, tuple(owner.units), role, units):
        raise PermissionDeniedError(
            "a token cannot carry more rights than its principal",
            code=IssuerErrorCode.RIGHTS_EXCEEDED,
        )
    record, plain = create_token(
        session,
        principal=owner,
        name=name,
        role=role,
        units=units,
        now=now,
        expires_at=expires_at,
        created_by=actor.principal_id,
    )
    record_event(
        session,
        actor,
        AuditAction.TOKEN_CREATE,
        f"token:{record.id}",
        now=now,
        details={"principal_id": owner.id, "role": record.role, "units": record.units},
    )
    return record, plain


def get_principal(session: Session, principal_id: int) -> PrincipalRecord:
    record = session.get(PrincipalRecord, principal_id)
    if record is None:
        raise NotFoundError("no such principal")
    return record


def list_principals(session: Session) -> list[PrincipalRecord]:
    return list(session.scalars(select(PrincipalRecord).order_by(PrincipalRecord.id)))


def disable_principal(
    session: Session, principal_id: int, *, actor: Actor, now: dt.datetime
) -> PrincipalRecord:
    """Disable a principal: every token of it stops working at its next request."""
    record = get_principal(session, principal_id)
    if record.disabled_at is None:
        record.disabled_at = now
        record_event(
            session, actor, AuditAction.PRINCIPAL_DISABLE, f"principal:{record.id}", now=now
        )
        session.flush()
    return record


def create_principal_with_token(
    session: Session,
    *,
    name: str,
    kind: str,
    role: str,
    units: list[str],
    actor: Actor,
    now: dt.datetime,
    expires_at: dt.datetime | None = None,
) -> tuple[PrincipalRecord, ApiToken, str]:
    """A new principal and its first token, both audited: the operator's CLI (``tessera
    init``, ``tessera tokens create`` without ``--principal``)."""
    record = create_principal(
        session, name=name, kind=kind, role=role, units=units, actor=actor, now=now
    )
    token, plain = issue_token(
        session,
        record,
        name=name,
        role=None,
        units=None,
        actor=actor,
        now=now,
        expires_at=expires_at,
    )
    return record, token, plain
