"""Signing in to the console with an e-mail and a password, with lock-out.

Every failure reads the same ("wrong e-mail or password") and costs the same Argon2id check,
whether the e-mail is unknown, the password wrong, the person disabled or locked out: the
answer does not tell an attacker which accounts exist. After ``Lockout.failures`` wrong
passwords in a row the account is locked for ``Lockout.duration`` (audited once, as
``user.sign_in_locked``); a correct password during the lock-out is refused too. The web
layer adds a growing delay before answering a failure.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy.orm import Session

from issuer.access.passwords import hash_password, needs_rehash, verify_password
from issuer.access.users import find_user
from issuer.errors import AuthenticationError, IssuerErrorCode
from issuer.store.audit import Actor, record_event
from issuer.store.models import PrincipalRecord
from issuer.vocabulary import AuditAction

FAILED = "wrong e-mail or password, or the account is locked for a while"


@dataclass(frozen=True)
class Lockout:
    failures: int
    duration: dt.timedelta


def person_actor(person: PrincipalRecord, request_id: str | None = None) -> Actor:
    return Actor(
        name=f"principal:{person.id}:{person.name}", request_id=request_id, principal_id=person.id
    )


def check_password(
    session: Session,
    email: str,
    password: str,
    *,
    now: dt.datetime,
    lockout: Lockout,
    request_id: str | None = None,
) -> PrincipalRecord:
    """The person whose e-mail and password these are; ``AuthenticationError`` otherwise.

    Failures are counted in ``session`` (the caller commits them even when it raises).
    """
    person = find_user(session, email)
    matched = verify_password(person.password_hash if person else None, password)
    if person is None:
        raise AuthenticationError(FAILED, code=IssuerErrorCode.SIGN_IN_FAILED)
    locked = person.locked_until is not None and person.locked_until > now
    if matched and not locked and person.disabled_at is None:
        person.failed_sign_ins = 0
        person.locked_until = None
        if person.password_hash is not None and needs_rehash(person.password_hash):
            person.password_hash = hash_password(password)
        return person
    if not locked and not matched:
        count_failure(session, person, now=now, lockout=lockout, request_id=request_id)
    raise AuthenticationError(FAILED, code=IssuerErrorCode.SIGN_IN_FAILED)


def count_failure(
    session: Session,
    person: PrincipalRecord,
    *,
    now: dt.datetime,
    lockout: Lockout,
    request_id: str | None = None,
) -> None:
    """One more wrong password or code in a row; at the limit the account locks."""
    person.failed_sign_ins += 1
    if person.failed_sign_ins >= lockout.failures:
        person.failed_sign_ins = 0
        person.locked_until = now + lockout.duration
        record_event(
            session,
            person_actor(person, request_id),
            AuditAction.USER_SIGN_IN_LOCKED,
            f"principal:{person.id}",
            now=now,
            details={"until": person.locked_until.isoformat()},
        )
    session.flush()


def record_sign_in(
    session: Session,
    person: PrincipalRecord,
    *,
    method: str,
    now: dt.datetime,
    request_id: str | None = None,
) -> None:
    record_event(
        session,
        person_actor(person, request_id),
        AuditAction.USER_SIGN_IN,
        f"principal:{person.id}",
        now=now,
        details={"method": method},
    )
