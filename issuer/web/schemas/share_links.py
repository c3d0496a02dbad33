"""Registrar API models of holder share links."""

from __future__ import annotations

import datetime as dt

from pydantic import AwareDatetime, BaseModel, Field

from issuer.store.models import ShareLink
from issuer.web.schemas.common import StrictModel


class ShareLinkRequest(StrictModel):
    """Options of a new share link; the body may be left out."""

    notify_on_open: bool = Field(
        default=False,
        description="e-mail the holder when the link is opened (at most once an hour; "
        "the visitor is never named); needs the holder's e-mail address on file",
    )
    expires_at: AwareDatetime | None = Field(
        default=None,
        description="the link opens nothing after this moment (with its time zone; in the "
        "future); null: until revoked. View links the holder makes from it end with it",
    )


class ShareLinkResponse(BaseModel):
    id: int
    credential_id: str
    created_at: dt.datetime
    revoked_at: dt.datetime | None
    notify_on_open: bool = False
    open_count: int = Field(
        default=0, description="openings counted: of a view link, and of a link that notifies"
    )
    expires_at: dt.datetime | None = None
    parent_id: int | None = Field(
        default=None, description="a view link: the holder's link it was made from"
    )
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
            expires_at=link.expires_at,
            parent_id=link.parent_id,
            url=url,
        )
