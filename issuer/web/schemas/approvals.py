"""Registrar API models of maker-checker approval requests."""

from __future__ import annotations

import datetime as dt
from typing import Any

from pydantic import BaseModel, Field

from issuer.access.approvals import public_params
from issuer.store.models import Approval
from issuer.vocabulary import ApprovalAction, ApprovalState


class ApprovalResponse(BaseModel):
    id: str
    action: ApprovalAction
    params: dict[str, Any]
    state: ApprovalState
    requested_by: str
    requested_by_principal_id: int | None
    requested_at: dt.datetime
    decided_by: str | None
    decided_by_principal_id: int | None
    decided_at: dt.datetime | None
    result: dict[str, Any] | None
    token: str | None = Field(
        default=None,
        description="an approved token or admin principal's API token: shown once, never again",
    )

    @classmethod
    def of(cls, row: Approval, token: str | None = None) -> ApprovalResponse:
        response = cls.model_validate(row, from_attributes=True)
        response.params = public_params(response.params)
        response.token = token
        return response


class ApprovalPage(BaseModel):
    items: list[ApprovalResponse]
    total: int
