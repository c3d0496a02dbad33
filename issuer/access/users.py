"""Console users: person principals who sign in with an e-mail and a password.

A user is a ``principals`` row of kind ``person`` with an e-mail (unique, lower case) and an
Argon2id password hash. Its role and units are the principal's; everything that already
checks principals (the access policy, approvals, limits, the audit log) applies unchanged.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from issuer.access.passwords import hash_password
from issuer.access.principals import create_principal
from issuer.credentials.holder_email import clean_email
from issuer.errors import ConflictError, InvalidInputError, IssuerErrorCode, NotFoundError
from issuer.store.audit import Actor, record_event
from issuer.store.models import PrincipalRecord
from issuer.vocabulary import AuditAction, PrincipalKind


def normal_email(value: str) -> str:
    """An e-mail address as users are found by it: valid, then in lower case."""
    return clean_email(value.strip()).lower()


def find_user(session: Session, email: str) -> PrincipalRecord | None:
    """The person with this e-mail, or ``None`` (also for a malformed address)."""
    try:
        email = normal_email(email)
    except InvalidInputError:
        return None
    return session.scalars(
        select(PrincipalRecord)
        .where(func.lower(PrincipalRecord.email) == email)
        .where(PrincipalRecord.kind == PrincipalKind.PERSON)
    ).one_or_none()


def create_user(
    session: Session,
    *,
    email: str,
    role: str,
    units: list[str],
    name: str | None,
    password: str | None,
    actor: Actor,
    now: dt.datetime,
    created_by: int | None = None,
    password_hash: str | None = None,
) -> PrincipalRecord:
    """A person who can sign in (with ``password``, or only through single sign-on when it
    is ``None``); audited as ``principal.create`` then ``user.create``.

    ``password_hash`` stands in for ``password`` when the password was hashed earlier: an
    admin user waits for approval with only the hash of its password kept."""
    email = check_new_email(session, email)
    if password is not None:
        password_hash = hash_password(password)
    record = create_principal(
        session,
        name=name or email,
        kind=PrincipalKind.PERSON,
        role=role,
        units=units,
        actor=actor,
        now=now,
        created_by=created_by,
    )
    record.email = email
    record.password_hash = password_hash
    session.flush()
    record_event(
        session,
        actor,
        AuditAction.USER_CREATE,
        f"principal:{record.id}",
        now=now,
        details={"email": email, "password": password_hash is not None},
    )
    return record


def check_new_email(session: Session, email: str) -> str:
    """``email`` as it will be stored, once no user has it (409 ``email_taken``)."""
    email = normal_email(email)
    if session.scalar(select(PrincipalRecord.id).where(func.lower(PrincipalRecord.email) == email)):
        raise ConflictError("a user with this e-mail exists", code=IssuerErrorCode.EMAIL_TAKEN)
    return email


def get_user(session: Session, principal_id: int) -> PrincipalRecord:
    record = session.get(PrincipalRecord, principal_id)
    if record is None or record.email is None:
        raise NotFoundError("no such user")
    return record


def list_users(session: Session) -> list[PrincipalRecord]:
    return list(
        session.scalars(
            select(PrincipalRecord)
            .where(PrincipalRecord.email.is_not(None))
            .order_by(PrincipalRecord.email)
        )
    )


def set_password(
    session: Session, record: PrincipalRecord, password: str, *, actor: Actor, now: dt.datetime
) -> None:
    """A new password; the lock-out is lifted. Sessions stay: to end them, sign out everywhere."""
    record.password_hash = hash_password(password)
    record.failed_sign_ins = 0
    record.locked_until = None
    record_event(session, actor, AuditAction.USER_PASSWORD_SET, f"principal:{record.id}", now=now)
    session.flush()


def unlock_user(
    session: Session, record: PrincipalRecord, *, actor: Actor, now: dt.datetime
) -> bool:
    """Lift a lock-out and forget the failures in a row; whether there was one (audited then
    as ``user.unlock``)."""
    locked = record.locked_until is not None and record.locked_until > now
    if not locked and not record.failed_sign_ins:
        return False
    record.failed_sign_ins = 0
    record.locked_until = None
    record_event(session, actor, AuditAction.USER_UNLOCK, f"principal:{record.id}", now=now)
    session.flush()
    return True
