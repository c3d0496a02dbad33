"""Registrar API models of maker-checker approval requests."""

from __future__ import annotations

import datetime as dt
from typing import Any

from pydantic import BaseModel

from issuer.store.models import Approval


class ApprovalResponse(BaseModel):
    id: str
    action: str
    params: dict[str, Any]
    state: str
    requested_by: str
    requested_at: dt.datetime
    decided_by: str | None
    decided_at: dt.datetime | None
    result: dict[str, Any] | None

    @classmethod
    def of(cls, row: Approval) -> ApprovalResponse:
        return cls.model_validate(row, from_attributes=True)


class ApprovalPage(BaseModel):
    items: list[ApprovalResponse]
    total: int
