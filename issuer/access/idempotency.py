"""``Idempotency-Key`` on creating requests (IETF draft "The Idempotency-Key HTTP Header
Field"; docs/decisions/0035-repeat-safe-issuance.md).

A key is claimed in a transaction of its own before the work starts, so a second request
with it waits on the unique ``key_hash`` (PostgreSQL) or the write lock (SQLite) and then
finds it: still in flight (409), sent with another body (422) or answered (the first
answer again). The answer is stored in the work's own transaction; a failed attempt gives
the key back. Only hashes are stored, never the key.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import orjson
from sqlalchemy import delete, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from issuer.errors import ConflictError, InvalidInputError, IssuerError, IssuerErrorCode
from issuer.store.models import IdempotencyRecord

MAX_KEY_LENGTH = 255
# A first request that has not answered in this long died with its process: the key is
# claimed again rather than answering 409 until it expires.
ABANDONED_AFTER = dt.timedelta(minutes=10)


@dataclass(frozen=True)
class StoredAnswer:
    """The first request's answer, replayed to every repeat."""

    status_code: int
    media_type: str
    body: str
    location: str | None


@dataclass(frozen=True)
class Claim:
    """A key this request holds while it does the work."""

    key_hash: str


def clean_key(raw: str) -> str:
    """The key of an ``Idempotency-Key`` header: an sf-string (quoted) or, leniently, the
    bare value; 1-255 printable ASCII characters. Anything else is a 400."""
    value = raw.strip()
    if len(value) >= 2 and value[0] == value[-1] == '"':
        value = value[1:-1]
    if not 1 <= len(value) <= MAX_KEY_LENGTH or not all(" " <= c <= "~" for c in value):
        raise IssuerError(
            f"Idempotency-Key must be 1-{MAX_KEY_LENGTH} printable ASCII characters",
            code=IssuerErrorCode.INVALID_IDEMPOTENCY_KEY,
        )
    return value


def request_hash(body: Any) -> str:
    """SHA-256 of the request's JSON in one canonical form (sorted members, compact)."""
    return hashlib.sha256(orjson.dumps(body, option=orjson.OPT_SORT_KEYS)).hexdigest()


def key_hash(principal_id: int, scope: str, key: str) -> str:
    """Keys are the principal's and the endpoint's own: another caller's equal key is
    another key."""
    return hashlib.sha256(f"{principal_id}\n{scope}\n{key}".encode()).hexdigest()


def claim_key(
    sessions: Callable[[], Session],
    *,
    principal_id: int,
    scope: str,
    key: str,
    body_hash: str,
    now: dt.datetime,
    retention: dt.timedelta,
) -> Claim | StoredAnswer:
    """Claim ``key`` for this request (committed at once), or return the stored answer of
    the first request that sent it. Raises 409 while that one is in flight, 422 if it had
    another body."""
    hashed = key_hash(principal_id, scope, key)
    with sessions() as session:
        session.execute(delete(IdempotencyRecord).where(IdempotencyRecord.expires_at <= now))
        session.commit()
        try:
            session.add(
                IdempotencyRecord(
                    key_hash=hashed,
                    principal_id=principal_id,
                    request_hash=body_hash,
                    created_at=now,
                    expires_at=now + retention,
                )
            )
            session.commit()
            return Claim(hashed)
        except IntegrityError:
            session.rollback()
        found = session.scalars(
            select(IdempotencyRecord).where(IdempotencyRecord.key_hash == hashed)
        ).one_or_none()
        if found is None:  # expired and purged between the two statements
            raise ConflictError(
                "the first request with this Idempotency-Key is still in flight; retry",
                code=IssuerErrorCode.IDEMPOTENCY_KEY_IN_FLIGHT,
            )
        if found.request_hash != body_hash:
            raise InvalidInputError(
                "this Idempotency-Key was sent with another request body",
                code=IssuerErrorCode.IDEMPOTENCY_KEY_REUSED,
            )
        if found.status_code is not None:
            return StoredAnswer(
                found.status_code, found.media_type or "", found.body or "", found.location
            )
        if found.created_at <= now - ABANDONED_AFTER and _take_over(session, found, now):
            return Claim(hashed)
        raise ConflictError(
            "the first request with this Idempotency-Key is still in flight; retry",
            code=IssuerErrorCode.IDEMPOTENCY_KEY_IN_FLIGHT,
        )


def _take_over(session: Session, found: IdempotencyRecord, now: dt.datetime) -> bool:
    taken = session.execute(
        update(IdempotencyRecord)
        .where(IdempotencyRecord.id == found.id)
        .where(IdempotencyRecord.status_code.is_(None))
        .where(IdempotencyRecord.created_at == found.created_at)
        .values(created_at=now)
        .execution_options(synchronize_session=False)
    )
    session.commit()
    return getattr(taken, "rowcount", 0) == 1


def store_answer(session: Session, claim: Claim, answer: StoredAnswer) -> None:
    """Keep ``answer`` for the repeats, in the transaction of the work it answers."""
    session.execute(
        update(IdempotencyRecord)
        .where(IdempotencyRecord.key_hash == claim.key_hash)
        .values(
            status_code=answer.status_code,
            media_type=answer.media_type,
            body=answer.body,
            location=answer.location,
        )
        .execution_options(synchronize_session=False)
    )


def release_key(sessions: Callable[[], Session], claim: Claim) -> None:
    """Give the key back after the work failed: a repeat carries it out afresh."""
    with sessions() as session:
        session.execute(
            delete(IdempotencyRecord)
            .where(IdempotencyRecord.key_hash == claim.key_hash)
            .where(IdempotencyRecord.status_code.is_(None))
        )
        session.commit()
