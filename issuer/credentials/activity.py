"""What happened to credentials lately: the newest ``credential.*`` audit events, in a scope.

The audit log names a credential by its id (``target``); the events of a batch revocation
name the exam session instead and come with one ``credential.revoke`` event per credential.
A registrar is confined to its units (decision 0019), so its list holds only events whose
credential is in them, batch events left out; ``None`` (admins, auditors) lists every one.
One query, newest first, with a ``LIMIT``: the log is never read whole.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final

from sqlalchemy import select
from sqlalchemy.orm import Session

from issuer.store.models import AuditEvent, Credential, Unit
from issuer.vocabulary import AuditAction

LIFECYCLE_ACTIONS: Final = tuple(a for a in AuditAction if a.startswith("credential."))


@dataclass(frozen=True)
class LifecycleEvent:
    """One event, with the credential it names when it names one."""

    occurred_at: dt.datetime
    action: str
    actor: str
    reason: str | None
    target: str | None
    credential_id: str | None
    number: str | None
    holder_name: str | None


def recent_lifecycle(
    session: Session, *, scope: Sequence[str] | None, limit: int = 10
) -> list[LifecycleEvent]:
    """The newest ``limit`` lifecycle events the caller's ``scope`` may see."""
    query = (
        select(
            AuditEvent.occurred_at,
            AuditEvent.action,
            AuditEvent.actor,
            AuditEvent.reason,
            AuditEvent.target,
            Credential.id,
            Credential.number,
            Credential.holder_name,
        )
        .select_from(AuditEvent)
        .outerjoin(Credential, Credential.id == AuditEvent.target)
        .where(AuditEvent.action.in_([str(a) for a in LIFECYCLE_ACTIONS]))
    )
    if scope is not None:
        in_scope = select(Unit.id).where(Unit.code.in_(tuple(scope)))
        query = query.where(Credential.unit_id.in_(in_scope))
    rows = session.execute(query.order_by(AuditEvent.id.desc()).limit(limit))
    return [LifecycleEvent(*row) for row in rows]
