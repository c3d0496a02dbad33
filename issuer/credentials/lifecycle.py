"""The register of issued credentials: look-ups and lifecycle changes."""

from __future__ import annotations

import datetime as dt
import logging
import re
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from issuer.credentials.lookup import certificate_number_key
from issuer.credentials.notices import queue_notice
from issuer.credentials.status_list import set_status_bit, set_suspension_bit
from issuer.credentials.text import clean_identifier, clean_optional_note
from issuer.errors import ConflictError, InvalidInputError, IssuerErrorCode, NotFoundError
from issuer.store.audit import Actor, lock_writes, record_event, record_events
from issuer.store.models import Credential, Unit
from issuer.vocabulary import AuditAction, CredentialState, NoticeKind, ReasonCode

log = logging.getLogger(__name__)

_NOTICES = {
    CredentialState.REVOKED: NoticeKind.REVOKED,
    CredentialState.SUSPENDED: NoticeKind.SUSPENDED,
    CredentialState.ACTIVE: NoticeKind.REINSTATED,
}

_UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")


def get_credential(session: Session, credential_id: str) -> Credential:
    if not _UUID.match(credential_id):
        raise NotFoundError("no such credential")
    row = session.get(Credential, credential_id)
    if row is None:
        raise NotFoundError("no such credential")
    return row


def find_credential(session: Session, reference: str) -> Credential:
    """A credential by id or by certificate number (what is printed on the certificate),
    the number as typed: full-width, lower case, spaces and hyphens are folded
    (``certificate_number_key``). For callers who already know who asks: the public pages
    take ids only (decision 0034)."""
    if _UUID.match(reference):
        return get_credential(session, reference)
    number = certificate_number_key(reference)
    if not number:
        raise NotFoundError("no such credential")
    row = session.scalars(select(Credential).where(Credential.number == number)).first()
    if row is None:
        raise NotFoundError("no such credential")
    return row


def check_reason(reason: str) -> ReasonCode:
    """``reason`` as a ``ReasonCode``; anything else is refused."""
    try:
        return ReasonCode(reason)
    except ValueError:
        raise InvalidInputError(
            "unknown reason code", code=IssuerErrorCode.UNKNOWN_REASON
        ) from None


def _require_changeable(row: Credential) -> None:
    """Revoked and superseded credentials are final (BSL §2.1: revocation is not reversible)."""
    if row.state == CredentialState.REVOKED:
        raise ConflictError(
            "the credential is already revoked", code=IssuerErrorCode.ALREADY_REVOKED
        )
    if row.state == CredentialState.SUPERSEDED:
        raise ConflictError(
            "the credential was superseded", code=IssuerErrorCode.ALREADY_SUPERSEDED
        )


def locked_credential(session: Session, credential_id: str) -> Credential:
    """The credential, re-read after taking the register's write lock (``lock_writes``):
    a concurrent writer's committed change is seen, never overwritten."""
    lock_writes(session)
    row = _locked(session, credential_id)
    _require_changeable(row)
    return row


def _locked(session: Session, credential_id: str) -> Credential:
    """The credential row, locked for update where the database supports it."""
    row = session.scalars(
        select(Credential)
        .where(Credential.id == credential_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).first()
    if row is None:
        raise NotFoundError("no such credential")
    return row


def _record_transition(
    session: Session,
    row: Credential,
    *,
    state: CredentialState,
    reason: str | None,
    action: AuditAction,
    note: str | None,
    actor: Actor,
    now: dt.datetime,
) -> Credential:
    """Set ``row``'s lifecycle state, append the audit event (the note only there) and
    queue the holder's notice (decision 0030)."""
    row.state = state
    row.state_changed_at = now
    row.state_reason = reason
    queue_notice(session, row.id, _NOTICES[state], address=row.holder_email, now=now, reason=reason)
    record_event(
        session,
        actor,
        action,
        row.id,
        now=now,
        reason=reason,
        details={"note": note} if note else {},
    )
    session.flush()
    log.info("credential %s", state, extra={"credential_id": row.id, "reason": reason})
    return row


def revoke_credential(
    session: Session,
    credential_id: str,
    *,
    reason: str,
    note: str | None,
    actor: Actor,
    now: dt.datetime,
) -> Credential:
    """Revoke for good: set the credential's status-list bit and record why (BSL §2.1)."""
    note = clean_optional_note(note)  # the CLI's too: the API's models clean theirs
    check_reason(reason)
    row = locked_credential(session, credential_id)
    set_status_bit(session, row.id, now=now)
    return _record_transition(
        session,
        row,
        state=CredentialState.REVOKED,
        reason=reason,
        action=AuditAction.CREDENTIAL_REVOKE,
        note=note,
        actor=actor,
        now=now,
    )


def suspend_credential(
    session: Session,
    credential_id: str,
    *,
    reason: str,
    note: str | None,
    actor: Actor,
    now: dt.datetime,
) -> Credential:
    """Suspend (reversible): set the bit in the suspension twin list (decision 0008)."""
    note = clean_optional_note(note)  # the CLI's too: the API's models clean theirs
    check_reason(reason)
    row = locked_credential(session, credential_id)
    if row.state == CredentialState.SUSPENDED:
        raise ConflictError(
            "the credential is already suspended", code=IssuerErrorCode.ALREADY_SUSPENDED
        )
    set_suspension_bit(session, row.id, now=now)
    return _record_transition(
        session,
        row,
        state=CredentialState.SUSPENDED,
        reason=reason,
        action=AuditAction.CREDENTIAL_SUSPEND,
        note=note,
        actor=actor,
        now=now,
    )


def reinstate_credential(
    session: Session, credential_id: str, *, note: str | None, actor: Actor, now: dt.datetime
) -> Credential:
    """Lift a suspension: clear the suspension bit; the credential is valid again."""
    note = clean_optional_note(note)  # the CLI's too: the API's models clean theirs
    row = locked_credential(session, credential_id)
    if row.state != CredentialState.SUSPENDED:
        raise ConflictError("the credential is not suspended", code=IssuerErrorCode.NOT_SUSPENDED)
    set_suspension_bit(session, row.id, now=None)
    return _record_transition(
        session,
        row,
        state=CredentialState.ACTIVE,
        reason=None,
        action=AuditAction.CREDENTIAL_REINSTATE,
        note=note,
        actor=actor,
        now=now,
    )


@dataclass(frozen=True)
class SessionBatch:
    """The credentials a batch revocation of one exam session would change."""

    exam_session: str
    credential_ids: list[str]
    unit_codes: set[str]


def session_batch(session: Session, exam_session: str) -> SessionBatch:
    """Every revocable (active or suspended) credential of ``exam_session``."""
    exam_session = clean_identifier(exam_session, "the exam session")
    rows = session.execute(
        select(Credential.id, Unit.code)
        .join(Unit, Credential.unit_id == Unit.id)
        .where(
            Credential.exam_session == exam_session,
            Credential.state.in_((CredentialState.ACTIVE, CredentialState.SUSPENDED)),
        )
        .order_by(Credential.id)
    ).all()
    if not rows:
        raise NotFoundError(
            "no revocable credential in that exam session", code=IssuerErrorCode.EMPTY_BATCH
        )
    return SessionBatch(exam_session, [r.id for r in rows], {r.code for r in rows})


def revoke_session(
    session: Session,
    exam_session: str,
    *,
    reason: str,
    note: str | None,
    actor: Actor,
    now: dt.datetime,
) -> list[str]:
    """Revoke every active or suspended credential of one exam session, in one transaction."""
    note = clean_optional_note(note)  # the CLI's too: the API's models clean theirs
    check_reason(reason)
    lock_writes(session)
    batch = session_batch(session, exam_session)
    exam_session = batch.exam_session
    events: list[tuple[str | None, dict[str, object]]] = []
    for credential_id in batch.credential_ids:
        row = _locked(session, credential_id)
        row.state = CredentialState.REVOKED
        row.state_changed_at = now
        row.state_reason = reason
        set_status_bit(session, row.id, now=now)
        queue_notice(
            session, row.id, NoticeKind.REVOKED, address=row.holder_email, now=now, reason=reason
        )
        events.append((row.id, {"batch": exam_session}))
    record_events(session, actor, AuditAction.CREDENTIAL_REVOKE, events, now=now, reason=reason)
    record_event(
        session,
        actor,
        AuditAction.CREDENTIAL_BATCH_REVOKE,
        exam_session,
        now=now,
        reason=reason,
        details={"count": len(events), **({"note": note} if note else {})},
    )
    session.flush()
    log.info("exam session revoked", extra={"count": len(events), "reason": reason})
    return batch.credential_ids
