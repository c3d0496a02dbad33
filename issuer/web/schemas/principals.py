"""Registrar API models of principals: the people and service accounts holding tokens."""

from __future__ import annotations

import datetime as dt

from pydantic import BaseModel, Field

from issuer.store.models import PrincipalRecord
from issuer.vocabulary import PrincipalKind, Role
from issuer.web.schemas.common import Code, StrictModel, Text


class PrincipalCreateRequest(StrictModel):
    name: Text
    kind: PrincipalKind
    role: Role
    units: list[Code] = Field(default_factory=list, max_length=100)


class PrincipalResponse(BaseModel):
    id: int
    name: str
    kind: PrincipalKind
    role: Role
    units: list[str]
    created_at: dt.datetime
    created_by_principal_id: int | None
    disabled_at: dt.datetime | None

    @classmethod
    def of(cls, row: PrincipalRecord) -> PrincipalResponse:
        return cls(
            id=row.id,
            name=row.name,
            kind=row.kind,
            role=row.role,
            units=list(row.units),
            created_at=row.created_at,
            created_by_principal_id=row.created_by_principal_id,
            disabled_at=row.disabled_at,
        )
