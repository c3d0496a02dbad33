"""The outbox of notices to holders: queued with the change they tell of, claimed by a sender.

A lifecycle change (revoke, suspend, reinstate, reissue) adds its notice in the same
transaction, so a change and its notice are committed together or not at all; the expiry scan
adds one notice per credential. Nothing here sends mail: the sender (a thread of the server,
or ``tessera notices send``) claims due rows, sends them outside any transaction, and records
the outcome (``issuer/documents/notice_delivery.py``, decision 0030).

Notices are queued only by sessions whose ``info`` carries ``NOTICES_ON`` (``Services`` sets
it when ``TESSERA_SMTP_URL`` is set) and only for credentials with a holder e-mail address.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import exists, func, select
from sqlalchemy.orm import Session

from issuer.store.audit import lock_writes
from issuer.store.models import Credential, Notice
from issuer.vocabulary import CredentialState, NoticeKind, NoticeState

NOTICES_ON = "tessera_notices_on"
"""``Session.info`` key: this process sends notices, so its changes queue them."""

LINK_NOTICE_EVERY = dt.timedelta(hours=1)
"""At most one notice per share link in this time, however often it is opened."""


def notices_on(session: Session) -> bool:
    return bool(session.info.get(NOTICES_ON))


def queue_notice(
    session: Session,
    credential_id: str,
    kind: NoticeKind,
    *,
    address: str | None,
    now: dt.datetime,
    reason: str | None = None,
    share_link_id: int | None = None,
) -> bool:
    """Add a notice about the credential to the outbox, due now; False when notices are off
    or there is no ``address`` to send it to (the caller's transaction commits it)."""
    if not notices_on(session) or address is None:
        return False
    notice = _pending(credential_id, kind, due=now, now=now, share_link_id=share_link_id)
    notice.reason = reason
    session.add(notice)
    return True


def _pending(
    credential_id: str,
    kind: NoticeKind,
    *,
    due: dt.datetime,
    now: dt.datetime,
    share_link_id: int | None = None,
    once_key: str | None = None,
) -> Notice:
    return Notice(
        kind=kind,
        credential_id=credential_id,
        share_link_id=share_link_id,
        once_key=once_key,
        state=NoticeState.PENDING,
        created_at=now,
        due_at=due,
        attempts=0,
        next_attempt_at=due,
    )


def queue_expiry_notices(
    session: Session, *, now: dt.datetime, ahead: dt.timedelta, limit: int = 1000
) -> int:
    """Queue an ``expiring`` notice for each active credential with an address whose end of
    validity is within ``ahead``, once per credential (``once_key``); returns how many."""
    if not notices_on(session):
        return 0
    lock_writes(session)  # two scanners cannot both queue the same credential
    already = exists().where(
        Notice.credential_id == Credential.id, Notice.kind == NoticeKind.EXPIRING
    )
    rows = session.execute(
        select(Credential.id, Credential.valid_until)
        .where(
            Credential.state == CredentialState.ACTIVE,
            Credential.holder_email.is_not(None),
            Credential.valid_until > now,
            Credential.valid_until <= now + ahead,
            ~already,
        )
        .order_by(Credential.valid_until, Credential.id)
        .limit(limit)
    ).all()
    session.add_all(
        _pending(cid, NoticeKind.EXPIRING, due=now, now=now, once_key=f"expiring:{cid}")
        for cid, _until in rows
    )
    session.flush()
    return len(rows)


def retry_delay(attempts: int, *, base: dt.timedelta, cap: dt.timedelta) -> dt.timedelta:
    """Exponential back-off: ``base`` after the first attempt, doubling, never above ``cap``."""
    return min(base * (1 << min(max(attempts - 1, 0), 40)), cap)


def claim_due(
    session: Session,
    *,
    now: dt.datetime,
    limit: int,
    base: dt.timedelta,
    cap: dt.timedelta,
    lease: dt.timedelta,
) -> list[Notice]:
    """Claim up to ``limit`` pending notices due by ``now``, oldest first.

    Claiming counts the attempt and moves ``next_attempt_at`` past the back-off (at least
    ``lease``): a sender that dies before it records the outcome leaves the notice to be
    tried again then, and no other sender takes it meanwhile. On PostgreSQL the rows are
    selected ``FOR UPDATE SKIP LOCKED``, so two senders claim different rows; SQLite's write
    transactions run one at a time. The caller commits at once and sends afterwards.
    """
    rows = list(
        session.scalars(
            select(Notice)
            .where(Notice.state == NoticeState.PENDING, Notice.next_attempt_at <= now)
            .order_by(Notice.next_attempt_at, Notice.id)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
    )
    for row in rows:
        row.attempts += 1
        row.next_attempt_at = now + max(retry_delay(row.attempts, base=base, cap=cap), lease)
    session.flush()
    return rows


def record_sent(session: Session, notice_id: int, *, now: dt.datetime) -> None:
    row = session.get(Notice, notice_id)
    if row is not None:
        row.state, row.sent_at, row.last_error = NoticeState.SENT, now, None
        session.flush()


def record_failure(
    session: Session, notice_id: int, error: str, *, permanent: bool, max_attempts: int
) -> bool:
    """Note why the attempt failed; give up (``failed``) on a permanent refusal or after
    ``max_attempts``. True when the notice will be tried again."""
    row = session.get(Notice, notice_id)
    if row is None:
        return False
    row.last_error = error[:32]
    if permanent or row.attempts >= max_attempts:
        row.state = NoticeState.FAILED
    session.flush()
    return row.state == NoticeState.PENDING


def outbox_counts(session: Session) -> dict[str, int]:
    """How many notices are in each state (``tessera notices status``, metrics)."""
    counts = dict.fromkeys((state.value for state in NoticeState), 0)
    for state, count in session.execute(select(Notice.state, func.count()).group_by(Notice.state)):
        counts[str(state)] = int(count)
    return counts
