"""The register of issued credentials: look-ups and lifecycle changes."""

from __future__ import annotations

import datetime as dt
import logging
import re

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from issuer.audit import Actor, record_event
from issuer.errors import ConflictError, InvalidInputError, NotFoundError
from issuer.models import Credential, Unit
from issuer.status_list import set_status_bit

log = logging.getLogger(__name__)

_UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")


def get_credential(session: Session, credential_id: str) -> Credential:
    if not _UUID.match(credential_id):
        raise NotFoundError("no such credential")
    row = session.get(Credential, credential_id)
    if row is None:
        raise NotFoundError("no such credential")
    return row


def list_credentials(
    session: Session, *, limit: int, offset: int, units: tuple[str, ...] | None = None
) -> tuple[list[Credential], int]:
    """A page of credentials, newest first, optionally only those of ``units``."""
    query = select(Credential)
    count = select(func.count()).select_from(Credential)
    if units is not None:
        unit_ids = select(Unit.id).where(Unit.code.in_(units))
        query = query.where(Credential.unit_id.in_(unit_ids))
        count = count.where(Credential.unit_id.in_(unit_ids))
    rows = session.scalars(
        query.order_by(Credential.issued_at.desc(), Credential.id).limit(limit).offset(offset)
    ).all()
    return list(rows), session.scalar(count) or 0


REASON_CODES = (
    "issued_in_error",
    "exam_misconduct",
    "data_correction",
    "superseded",
    "withdrawn_by_authority",
    "holder_request",
)


def find_credential(session: Session, reference: str) -> Credential:
    """A credential by id or by certificate number (what is printed on the certificate)."""
    if _UUID.match(reference):
        return get_credential(session, reference)
    row = session.scalars(select(Credential).where(Credential.number == reference)).first()
    if row is None:
        raise NotFoundError("no such credential")
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
    if reason not in REASON_CODES:
        raise InvalidInputError("unknown reason code", code="unknown_reason")
    row = _locked(session, credential_id)
    if row.state == "revoked":
        raise ConflictError("the credential is already revoked", code="already_revoked")
    row.state = "revoked"
    row.state_changed_at = now
    row.state_reason = reason
    set_status_bit(session, row.id, now=now)
    record_event(
        session,
        actor,
        "credential.revoke",
        row.id,
        now=now,
        reason=reason,
        details={"note": note} if note else {},
    )
    session.flush()
    log.info("credential revoked", extra={"credential_id": row.id, "reason": reason})
    return row
