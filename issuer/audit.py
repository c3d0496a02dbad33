"""The append-only, hash-chained audit log.

Each event's ``hash`` is SHA-256 over its canonical JSON, which includes the previous event's
hash; ``prev_hash`` is unique, so two writers can never both extend the same tail.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass
from typing import Any

import orjson
from sqlalchemy import insert, select, update
from sqlalchemy.orm import Session

from issuer.models import AuditEvent, AuditHead, core_table

GENESIS_HASH = "0" * 64


@dataclass(frozen=True)
class Actor:
    """Who acts, and under which request id (for the audit log)."""

    name: str
    request_id: str | None = None


def event_hash(prev_hash: str, fields: dict[str, Any]) -> str:
    """SHA-256 (hex) of the event's canonical JSON, chained to ``prev_hash``."""
    body = {**fields, "prev_hash": prev_hash}
    # Canonical form: UTF-8, no whitespace, keys sorted (orjson.OPT_SORT_KEYS).
    return hashlib.sha256(orjson.dumps(body, option=orjson.OPT_SORT_KEYS)).hexdigest()


def hashed_fields(
    occurred_at: dt.datetime,
    actor: Actor,
    action: str,
    target: str | None,
    reason: str | None,
    details: dict[str, Any],
) -> dict[str, Any]:
    return {
        "occurred_at": occurred_at.astimezone(dt.UTC).isoformat(),
        "actor": actor.name,
        "action": action,
        "target": target,
        "reason": reason,
        "request_id": actor.request_id,
        "details": details,
    }


def lock_writes(session: Session) -> str:
    """Take the write lock of the whole register and return the audit chain's head hash.

    Every state change appends to the audit chain, so every writer passes here: updating the
    single ``audit_head`` row locks it (a row lock on PostgreSQL, the write lock on SQLite)
    until commit. Writers are serialised; status slots, numbers and the chain cannot race.
    Calling it again in the same transaction is cheap.
    """
    head = core_table(AuditHead)
    connection = session.connection()
    connection.execute(update(head).where(head.c.id == 1).values(hash=head.c.hash))
    current = connection.execute(select(head.c.hash).where(head.c.id == 1)).scalar_one()
    return str(current)


def record_events(
    session: Session,
    actor: Actor,
    action: str,
    targets: list[tuple[str | None, dict[str, Any]]],
    *,
    now: dt.datetime,
    reason: str | None = None,
) -> None:
    """Append one event per ``(target, details)``, chained in order, in one statement."""
    prev = lock_writes(session)
    rows = []
    for target, details in targets:
        fields = hashed_fields(now, actor, action, target, reason, details)
        digest = event_hash(prev, fields)
        rows.append(
            {
                "occurred_at": now,
                "actor": actor.name,
                "action": action,
                "target": target,
                "reason": reason,
                "request_id": actor.request_id,
                "details": details,
                "prev_hash": prev,
                "hash": digest,
            }
        )
        prev = digest
    if rows:
        connection = session.connection()
        connection.execute(insert(core_table(AuditEvent)), rows)
        head = core_table(AuditHead)
        connection.execute(update(head).where(head.c.id == 1).values(hash=prev))


def record_event(
    session: Session,
    actor: Actor,
    action: str,
    target: str | None = None,
    *,
    now: dt.datetime,
    reason: str | None = None,
    details: dict[str, Any] | None = None,
) -> None:
    """Append one event."""
    record_events(session, actor, action, [(target, details or {})], now=now, reason=reason)
