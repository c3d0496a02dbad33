"""The append-only, hash-chained audit log.

Each event's ``hash`` is SHA-256 over its canonical JSON, which includes the previous event's
hash; ``prev_hash`` is unique, so two writers can never both extend the same tail.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections import Counter
from collections.abc import Generator, Iterator
from contextlib import closing
from dataclasses import dataclass
from typing import Any

import orjson
from sqlalchemy import Select, func, insert, or_, select, update
from sqlalchemy.orm import Session

from issuer.store.models import AuditEvent, AuditHead, core_table
from issuer.vocabulary import AuditAction

GENESIS_HASH = "0" * 64
# session.info key: how many events of each action this transaction recorded, which the
# metrics (issuer/web/metrics.py) count when it commits.
PENDING_ACTIONS_KEY = "tessera_pending_actions"


@dataclass(frozen=True)
class Actor:
    """Who acts, and under which request id (for the audit log).

    Through the API ``name`` is ``principal:<id>:<name>``; ``principal_id`` and ``token_id``
    say which principal and which of its tokens, and the token id is recorded in each event's
    details (``token_id``; ``console_session`` for the console). An action carried out
    because a request was approved names the request (``approval``) in its details. The CLI
    operator is ``cli:<user>`` with neither.
    """

    name: str
    request_id: str | None = None
    principal_id: int | None = None
    token_id: int | None = None
    approval_id: str | None = None
    session_id: int | None = None  # a console session's id (``console_session`` in details)

    def stamped(self, details: dict[str, Any]) -> dict[str, Any]:
        """``details`` with the token and approval this actor acts under, if any."""
        extra: dict[str, Any] = {}
        if self.token_id is not None:
            extra["token_id"] = self.token_id
        if self.session_id is not None:
            extra["console_session"] = self.session_id
        if self.approval_id is not None:
            extra["approval"] = self.approval_id
        return {**details, **extra} if extra else details


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
    action: AuditAction,
    targets: list[tuple[str | None, dict[str, Any]]],
    *,
    now: dt.datetime,
    reason: str | None = None,
) -> None:
    """Append one event per ``(target, details)``, chained in order, in one statement."""
    prev = lock_writes(session)
    rows = []
    common = hashed_fields(now, actor, action, None, reason, {})  # the same for every event
    for target, given in targets:
        details = actor.stamped(given)
        digest = event_hash(prev, {**common, "target": target, "details": details})
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
        pending: Counter[str] = session.info.setdefault(PENDING_ACTIONS_KEY, Counter())
        pending[action] += len(rows)
        connection = session.connection()
        connection.execute(insert(core_table(AuditEvent)), rows)
        head = core_table(AuditHead)
        connection.execute(update(head).where(head.c.id == 1).values(hash=prev))


def record_event(
    session: Session,
    actor: Actor,
    action: AuditAction,
    target: str | None = None,
    *,
    now: dt.datetime,
    reason: str | None = None,
    details: dict[str, Any] | None = None,
) -> None:
    """Append one event."""
    record_events(session, actor, action, [(target, details or {})], now=now, reason=reason)


@dataclass(frozen=True)
class AuditQuery:
    """Filters of ``GET /api/v1/audit``; ``None`` means any."""

    action: str | None = None
    target: str | None = None
    actor: str | None = None
    since: dt.datetime | None = None
    until: dt.datetime | None = None


def _filtered(query: Select[Any], filters: AuditQuery) -> Select[Any]:
    if filters.action is not None:
        query = query.where(AuditEvent.action == filters.action)
    if filters.target is not None:
        query = query.where(AuditEvent.target == filters.target)
    if filters.actor is not None:
        query = query.where(AuditEvent.actor == filters.actor)
    if filters.since is not None:
        query = query.where(AuditEvent.occurred_at >= filters.since)
    if filters.until is not None:
        query = query.where(AuditEvent.occurred_at < filters.until)
    return query


def list_events(
    session: Session,
    filters: AuditQuery,
    *,
    limit: int,
    offset: int,
    newest_first: bool = False,
) -> tuple[list[AuditEvent], int]:
    """A page of events in chain order (oldest first, or newest first for people reading
    what just happened) and the total matching the filters."""
    order = AuditEvent.id.desc() if newest_first else AuditEvent.id
    rows = session.scalars(
        _filtered(select(AuditEvent), filters).order_by(order).limit(limit).offset(offset)
    ).all()
    total = session.scalar(_filtered(select(func.count()).select_from(AuditEvent), filters))
    return list(rows), total or 0


def iter_events(
    session: Session, filters: AuditQuery | None = None
) -> Generator[AuditEvent, None, None]:
    """Every event (matching ``filters``) in chain order, streamed."""
    query = _filtered(select(AuditEvent), filters or AuditQuery()).order_by(AuditEvent.id)
    result = session.scalars(query.execution_options(yield_per=500))
    try:
        yield from result
    finally:
        result.close()  # a server-side cursor on PostgreSQL: closed even on early exit


def event_record(event: AuditEvent) -> dict[str, Any]:
    """An event as exported (JSON lines) and served: every hashed field plus the links."""
    return {
        "id": event.id,
        **_stored_fields(event),
        "prev_hash": event.prev_hash,
        "hash": event.hash,
    }


def _stored_fields(event: AuditEvent) -> dict[str, Any]:
    """The hashed fields of a stored event, as ``record_events`` hashed them."""
    return hashed_fields(
        event.occurred_at,
        Actor(event.actor, event.request_id),
        event.action,
        event.target,
        event.reason,
        event.details,
    )


@dataclass(frozen=True)
class ChainReport:
    """The outcome of ``verify_chain``: how many events, and the first bad one if any."""

    events: int
    first_bad_id: int | None = None
    problem: str | None = None

    @property
    def ok(self) -> bool:
        return self.problem is None


def verify_chain(session: Session) -> ChainReport:
    """Recompute the chain: an edited, deleted, inserted or reordered event breaks it.

    Each event must name the previous event's hash and hash to its own ``hash``; the last
    one must be the recorded head (a deleted tail shows there).
    """
    with closing(iter_events(session)) as events:
        return _check_events(session, events)


def verify_chain_since(session: Session, event_id: int, known_hash: str) -> ChainReport:
    """``verify_chain`` for the events after ``event_id``, whose hash is known to be
    ``known_hash`` (a checkpoint's): the work grows with the new events, not the whole log.
    Event ``event_id`` itself must still be there with that hash."""
    current = session.scalar(select(AuditEvent.hash).where(AuditEvent.id == event_id))
    if current != known_hash:
        return ChainReport(0, event_id, f"event {event_id} is gone or was altered")
    query = select(AuditEvent).where(AuditEvent.id > event_id).order_by(AuditEvent.id)
    result = session.scalars(query.execution_options(yield_per=500))
    try:
        return _check_events(session, iter(result), previous=known_hash, last_id=event_id)
    finally:
        result.close()


def _check_events(
    session: Session,
    events: Iterator[AuditEvent],
    *,
    previous: str = GENESIS_HASH,
    last_id: int | None = None,
) -> ChainReport:
    count = 0
    for event in events:
        count += 1
        if event.prev_hash != previous:
            return ChainReport(
                count,
                event.id,
                f"event {event.id} does not follow the event before it "
                "(an event was deleted, inserted or reordered)",
            )
        if event_hash(previous, _stored_fields(event)) != event.hash:
            return ChainReport(
                count, event.id, f"event {event.id} was altered after it was written"
            )
        previous, last_id = event.hash, event.id
    head = session.scalar(select(AuditHead.hash).where(AuditHead.id == 1))
    if head != previous:
        return ChainReport(
            count,
            last_id,
            f"the chain ends at event {last_id} but the head names another "
            "event (events at the end were deleted)",
        )
    return ChainReport(count)


def count_recent(
    session: Session,
    actor_prefixes: list[str],
    actions: tuple[AuditAction, ...],
    *,
    since: dt.datetime,
) -> int:
    """How many ``actions`` actors whose names start with one of ``actor_prefixes`` recorded
    since ``since``, not counting those carried out because a request was approved (they
    were checked then)."""
    query = (
        select(func.count())
        .select_from(AuditEvent)
        .where(
            or_(*(AuditEvent.actor.startswith(p, autoescape=True) for p in actor_prefixes)),
            AuditEvent.occurred_at >= since,
            AuditEvent.action.in_([str(action) for action in actions]),
            AuditEvent.details["approval"].as_string().is_(None),
        )
    )
    return session.scalar(query) or 0
