"""The batch threshold as a real limit: revocations and suspensions per principal per window.

More than ``TESSERA_BATCH_APPROVAL_THRESHOLD`` revocations or suspensions within
``TESSERA_BATCH_APPROVAL_WINDOW_SECONDS`` need a second admin's approval, however they are
sent: one at a time or as a batch. The count is read from the audit log. A principal shares
its count with the admin who created it and that admin's other principals, so creating
principals does not multiply the limit. Actions carried out on approval do not count
(they were checked by two people). The operator's CLI is not limited (decision 0011).
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from issuer.access.tokens import Principal, principal_actor_prefix
from issuer.store.audit import count_recent, lock_writes
from issuer.store.models import PrincipalRecord
from issuer.vocabulary import AuditAction

LIMITED_ACTIONS = (AuditAction.CREDENTIAL_REVOKE, AuditAction.CREDENTIAL_SUSPEND)


def sharing_principals(session: Session, principal_id: int) -> list[int]:
    """The principals whose revocations count together with ``principal_id``'s: its
    creator (or itself) and every principal that one created."""
    record = session.get(PrincipalRecord, principal_id)
    root = principal_id
    if record is not None and record.created_by_principal_id is not None:
        root = record.created_by_principal_id
    family = session.scalars(
        select(PrincipalRecord.id).where(
            or_(PrincipalRecord.id == root, PrincipalRecord.created_by_principal_id == root)
        )
    )
    return sorted({principal_id, root, *family})


def recent_changes(
    session: Session, principal_id: int, *, window: dt.timedelta, now: dt.datetime
) -> int:
    """Revocations and suspensions counted against ``principal_id`` in the window."""
    prefixes = [principal_actor_prefix(p) for p in sharing_principals(session, principal_id)]
    return count_recent(session, prefixes, LIMITED_ACTIONS, since=now - window)


def needs_approval(
    session: Session,
    caller: Principal,
    adding: int,
    *,
    threshold: int,
    window: dt.timedelta,
    now: dt.datetime,
) -> bool:
    """Whether ``adding`` more revocations or suspensions by ``caller`` would pass the
    threshold. Takes the write lock first, so two requests cannot both fit the last slot."""
    lock_writes(session)
    return recent_changes(session, caller.principal_id, window=window, now=now) + adding > threshold
