"""Registrar API models of API tokens."""

from __future__ import annotations

import datetime as dt

from pydantic import BaseModel, Field

from issuer.store.models import ApiToken
from issuer.vocabulary import Role, TokenState
from issuer.web.schemas.common import Code, StrictModel, Text, UtcDatetime

MAX_ID = 2_147_483_647


class TokenCreateRequest(StrictModel):
    name: Text
    principal_id: int | None = Field(
        default=None, ge=1, le=MAX_ID, description="whose token; default the caller's own"
    )
    role: Role | None = Field(default=None, description="default the principal's role")
    units: list[Code] | None = Field(
        default=None, max_length=100, description="default the principal's units"
    )
    expires_at: UtcDatetime | None = None


class TokenResponse(BaseModel):
    id: int
    principal_id: int
    prefix: str
    name: str
    role: Role
    units: list[str]
    created_at: dt.datetime
    expires_at: dt.datetime | None
    revoked_at: dt.datetime | None
    state: TokenState

    @classmethod
    def of(cls, row: ApiToken, state: TokenState) -> TokenResponse:
        return cls(
            id=row.id,
            principal_id=row.principal_id,
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
