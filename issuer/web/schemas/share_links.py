"""Registrar API models of holder share links."""

from __future__ import annotations

import datetime as dt

from pydantic import BaseModel, Field

from issuer.store.models import ShareLink


class ShareLinkResponse(BaseModel):
    id: int
    credential_id: str
    created_at: dt.datetime
    revoked_at: dt.datetime | None
    url: str | None = Field(default=None, description="only when created: shown once")

    @classmethod
    def of(cls, link: ShareLink, url: str | None = None) -> ShareLinkResponse:
        return cls(
            id=link.id,
            credential_id=link.credential_id,
            created_at=link.created_at,
            revoked_at=link.revoked_at,
            url=url,
        )
