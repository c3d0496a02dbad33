"""The register of issued credentials: look-ups and lifecycle changes."""

from __future__ import annotations

import re

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from issuer.errors import NotFoundError
from issuer.models import Credential, Unit

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
