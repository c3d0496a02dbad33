"""Server-side console sessions: a random cookie value, only its SHA-256 stored.

A session is created anew at every sign-in (a value the browser brought before signing in is
never promoted: no session fixation), ends at its absolute expiry or after the idle time-out,
and is deleted at sign-out; "sign out everywhere" deletes all of a person's sessions. The CSRF
token of a session is derived from its secret value, so it needs no storage and an attacker
who cannot read the cookie cannot compute it (docs/decisions/0038-console-sign-in.md).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import secrets
from dataclasses import dataclass

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from issuer.access.tokens import Principal
from issuer.store.models import ConsoleSession, PrincipalRecord
from issuer.vocabulary import SessionStage

MAX_COOKIE_LENGTH = 100
# Within this time of the last recorded activity, a request does not write ``last_seen_at``:
# most page views then only read. The idle time-out is counted with this granularity.
TOUCH_EVERY = dt.timedelta(seconds=60)
# A session waiting for the second factor lives this long: the code is typed right away.
SECOND_FACTOR_TIME = dt.timedelta(minutes=5)


@dataclass(frozen=True)
class SessionTimes:
    """How long a session lives: ``idle`` after its last request, ``absolute`` in all."""

    idle: dt.timedelta
    absolute: dt.timedelta


@dataclass(frozen=True)
class ActiveSession:
    """A live session and its person."""

    row: ConsoleSession
    person: PrincipalRecord

    @property
    def signed_in(self) -> bool:
        return self.row.stage == SessionStage.SIGNED_IN

    def principal(self) -> Principal:
        """The caller as every route and service sees it: the person's own role and units."""
        return Principal(
            token_id=None,
            name=self.person.name,
            role=self.person.role,
            units=tuple(self.person.units),
            principal_id=self.person.id,
            principal_name=self.person.name,
            session_id=self.row.id,
        )


def _hash(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


def csrf_token(cookie_value: str) -> str:
    """The CSRF token of the session (or sign-in form) whose cookie holds ``cookie_value``."""
    return hmac.new(b"tessera console csrf", cookie_value.encode(), hashlib.sha256).hexdigest()


def csrf_matches(cookie_value: str, presented: str) -> bool:
    return hmac.compare_digest(csrf_token(cookie_value), presented[:128])


def start_session(
    session: Session,
    person: PrincipalRecord,
    *,
    stage: SessionStage,
    method: str,
    now: dt.datetime,
    times: SessionTimes,
) -> tuple[ConsoleSession, str]:
    """A new session for ``person``; returns the row and the cookie value (shown once)."""
    session.execute(delete(ConsoleSession).where(ConsoleSession.expires_at <= now))
    value = secrets.token_urlsafe(32)
    row = ConsoleSession(
        token_hash=_hash(value),
        principal_id=person.id,
        stage=stage,
        method=method,
        created_at=now,
        last_seen_at=now,
        expires_at=now
        + (SECOND_FACTOR_TIME if stage == SessionStage.SECOND_FACTOR else times.absolute),
    )
    session.add(row)
    session.flush()
    return row, value


def find_session(
    session: Session, cookie_value: str, *, now: dt.datetime, times: SessionTimes
) -> ActiveSession | None:
    """The live session behind ``cookie_value``: ``None`` when unknown, expired, idle too
    long, or its person disabled or locked out."""
    if not cookie_value or len(cookie_value) > MAX_COOKIE_LENGTH:
        return None
    found = session.execute(
        select(ConsoleSession, PrincipalRecord)
        .join(PrincipalRecord, PrincipalRecord.id == ConsoleSession.principal_id)
        .where(ConsoleSession.token_hash == _hash(cookie_value))
    ).one_or_none()
    if found is None:
        return None
    row, person = found
    if (
        row.expires_at <= now
        or row.last_seen_at + times.idle <= now
        or person.disabled_at is not None
        or person.email is None
    ):
        return None
    return ActiveSession(row=row, person=person)


def needs_touch(active: ActiveSession, now: dt.datetime) -> bool:
    return now - active.row.last_seen_at >= TOUCH_EVERY


def touch(session: Session, session_id: int, now: dt.datetime) -> None:
    row = session.get(ConsoleSession, session_id)
    if row is not None:
        row.last_seen_at = now


def complete_second_factor(
    session: Session, session_id: int, *, now: dt.datetime, times: SessionTimes
) -> tuple[ConsoleSession, str]:
    """After the TOTP code: the session is replaced by a signed-in one with a new value, so
    a value seen before the second factor is worth nothing after it; it now lives as long
    as any signed-in session."""
    old = session.get(ConsoleSession, session_id)
    if old is None:
        raise LookupError("the session has ended")
    value = secrets.token_urlsafe(32)
    old.token_hash = _hash(value)
    old.stage = SessionStage.SIGNED_IN
    old.last_seen_at = now
    old.expires_at = now + times.absolute
    session.flush()
    return old, value


def end_session(session: Session, cookie_value: str) -> None:
    session.execute(delete(ConsoleSession).where(ConsoleSession.token_hash == _hash(cookie_value)))


def end_all_sessions(session: Session, principal_id: int) -> int:
    """Every session of the person ends; returns how many there were."""
    result = session.execute(
        delete(ConsoleSession).where(ConsoleSession.principal_id == principal_id)
    )
    return int(getattr(result, "rowcount", 0) or 0)
