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
from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from issuer.models import AuditEvent, core_table

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


def _tail_hash(session: Session) -> str:
    last = session.scalars(select(AuditEvent.hash).order_by(AuditEvent.id.desc()).limit(1)).first()
    return last or GENESIS_HASH


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
    prev = _tail_hash(session)
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
        session.connection().execute(insert(core_table(AuditEvent)), rows)


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
