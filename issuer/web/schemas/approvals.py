"""Registrar API models of maker-checker approval requests."""

from __future__ import annotations

import datetime as dt
from typing import Any

from pydantic import BaseModel

from issuer.store.models import Approval
from issuer.vocabulary import ApprovalAction, ApprovalState


class ApprovalResponse(BaseModel):
    id: str
    action: ApprovalAction
    params: dict[str, Any]
    state: ApprovalState
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
