"""Registrar API models of holder share links."""

from __future__ import annotations

import datetime as dt

from pydantic import BaseModel, Field

from issuer.store.models import ShareLink
from issuer.web.schemas.common import StrictModel


class ShareLinkRequest(StrictModel):
    """Options of a new share link; the body may be left out."""

    notify_on_open: bool = Field(
        default=False,
        description="e-mail the holder when the link is opened (at most once an hour; "
        "the visitor is never named); needs the holder's e-mail address on file",
    )


class ShareLinkResponse(BaseModel):
    id: int
    credential_id: str
    created_at: dt.datetime
    revoked_at: dt.datetime | None
    notify_on_open: bool = False
    open_count: int = Field(default=0, description="openings counted: only when notified")
    url: str | None = Field(default=None, description="only when created: shown once")

    @classmethod
    def of(cls, link: ShareLink, url: str | None = None) -> ShareLinkResponse:
        return cls(
            id=link.id,
            credential_id=link.credential_id,
            created_at=link.created_at,
            revoked_at=link.revoked_at,
            notify_on_open=link.notify_on_open,
            open_count=link.open_count,
            url=url,
        )
