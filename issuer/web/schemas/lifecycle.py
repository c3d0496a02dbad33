"""Request and response models of the registrar lifecycle API (issue 4)."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, StringConstraints

from issuer.store.models import ApiToken, Approval, AuditEvent
from issuer.web.schemas.credentials import Code, CredentialResponse, Text

ReasonCode = Literal[
    "issued_in_error",
    "exam_misconduct",
    "data_correction",
    "superseded",
    "withdrawn_by_authority",
    "holder_request",
]
Note = Annotated[str, StringConstraints(strip_whitespace=True, max_length=1000)]
Session64 = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=64)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ReinstateRequest(_Strict):
    """Lift a suspension; the note goes to the audit log only."""

    reason: ReasonCode | None = None
    note: Note | None = None


class ReissueRequest(_Strict):
    """Replace a credential: a reason code, a note, and the fields that change."""

    reason: ReasonCode
    note: Note | None = None
    holder_name: Text | None = Field(default=None, description="corrected full name")
    occupation: Code | None = None
    level: Code | None = Field(default=None, description="e.g. an upgrade to senior")
    unit: Code | None = None
    exam_date: dt.date | None = None
    exam_session: Session64 | None = None
    score: float | None = Field(default=None, ge=0, le=1000)
    valid_until: AwareDatetime | None = None


class ReissueResponse(BaseModel):
    superseded: CredentialResponse
    credential: CredentialResponse


class BatchRevokeRequest(_Strict):
    """Revoke every active or suspended credential of one exam session."""

    exam_session: Session64
    reason: ReasonCode
    note: Note | None = None


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


class BatchRevokeResponse(BaseModel):
    """Either done (``revoked``) or waiting for a second admin (``approval``)."""

    revoked: int = 0
    credential_ids: list[str] = Field(default_factory=list)
    approval: ApprovalResponse | None = None


class TokenCreateRequest(_Strict):
    name: Text
    role: Literal["admin", "registrar", "auditor"]
    units: list[Code] = Field(default_factory=list, max_length=100)
    expires_at: AwareDatetime | None = None


class TokenResponse(BaseModel):
    id: int
    prefix: str
    name: str
    role: str
    units: list[str]
    created_at: dt.datetime
    expires_at: dt.datetime | None
    revoked_at: dt.datetime | None
    state: str

    @classmethod
    def of(cls, row: ApiToken, state: str) -> TokenResponse:
        return cls(
            id=row.id,
            prefix=row.prefix,
            name=row.name,
            role=row.role,
            units=list(row.units),
            created_at=row.created_at,
            expires_at=row.expires_at,
            revoked_at=row.revoked_at,
            state=state,
        )


class TokenCreatedResponse(TokenResponse):
    token: str = Field(description="the token itself: shown once, never again")


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


class KeyResponse(BaseModel):
    kid: str
    algorithm: str
    state: str
    created_at: dt.datetime
    retired_at: dt.datetime | None
    compromised_at: dt.datetime | None


class CompromiseKeyRequest(_Strict):
    compromised_at: AwareDatetime = Field(description="when the key is believed to have leaked")
    note: Note | None = None
