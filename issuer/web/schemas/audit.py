"""Registrar API models of the audit log."""

from __future__ import annotations

import datetime as dt
from typing import Any

from pydantic import BaseModel

from issuer.store.models import AuditEvent


class AuditEventResponse(BaseModel):
    id: int
    occurred_at: dt.datetime
    actor: str
    action: str
    target: str | None
    reason: str | None
    request_id: str | None
    details: dict[str, Any]
    prev_hash: str
    hash: str

    @classmethod
    def of(cls, row: AuditEvent) -> AuditEventResponse:
        return cls.model_validate(row, from_attributes=True)


class AuditPage(BaseModel):
    items: list[AuditEventResponse]
    total: int
