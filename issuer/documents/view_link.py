"""View links: links a holder makes from their own share link, to hand to one employer each.

The link a holder receives (from the registrar, the console or a notice e-mail) is theirs: its
page lets them make a view link with an optional lifetime, see how often each was opened,
and revoke one. A view link opens the same page without any of that (``parent_id`` is set);
it works only while the holder's link works, so revoking or expiring the holder's link ends
every view link made from it.

A view link's token is derived from the holder's token: HMAC-SHA-256 keyed by the holder's
token over the view link's id. Only SHA-256 of each token is stored, as for every link, so
a copy of the database still yields no working link; but the holder's page, which carries
the holder's token in its URL, can show every view link's address and QR again, whenever
the holder is at an interview. A view link's token tells nothing of the holder's token or of
its siblings (HMAC is a pseudo-random function).

Opening a view link's page counts one opening (``open_count``): a count, never who opened
it (no address, no browser, no time of each opening is stored). A chat app that fetches the
page to draw a preview counts as one opening (decision 0050).
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import secrets
from enum import StrEnum

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from issuer.documents.share_link import hash_token, open_share_link
from issuer.errors import ConflictError, NotFoundError, PermissionDeniedError
from issuer.store.audit import Actor, record_event
from issuer.store.models import ShareLink
from issuer.vocabulary import AuditAction

MAX_VIEW_LINKS = 100  # per holder link, revoked ones included: a bound, not a quota to reach


class Lifetime(StrEnum):
    """How long a new view link works, as the holder chooses it."""

    DAY = "1d"
    WEEK = "7d"
    MONTH = "30d"
    NEVER = "never"

    def expiry(self, now: dt.datetime) -> dt.datetime | None:
        days = {Lifetime.DAY: 1, Lifetime.WEEK: 7, Lifetime.MONTH: 30}.get(self)
        return None if days is None else now + dt.timedelta(days=days)


class LinkState(StrEnum):
    """Whether a link works now, as the holder's list shows it."""

    LIVE = "live"
    EXPIRED = "expired"
    REVOKED = "revoked"


def link_state(link: ShareLink, *, now: dt.datetime) -> LinkState:
    if link.revoked_at is not None:
        return LinkState.REVOKED
    if link.expires_at is not None and link.expires_at <= now:
        return LinkState.EXPIRED
    return LinkState.LIVE


def view_token(holder_token: str, link_id: int) -> str:
    """The view link's token: HMAC-SHA-256 keyed by the holder's token, over its id."""
    digest = hmac.new(
        holder_token.encode("ascii", "replace"), f"view-link:{link_id}".encode(), hashlib.sha256
    ).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def holder_actor(link: ShareLink, request_id: str | None = None) -> Actor:
    """The audit log's actor for what a holder does from their link (named by the link's id:
    the holder has no account)."""
    return Actor(name=f"holder:share_link:{link.id}", request_id=request_id)


def holder_link(session: Session, token: str, *, now: dt.datetime) -> ShareLink:
    """The holder's own link of ``token`` if it works now; ``PermissionDeniedError`` for a
    view link (it cannot manage links), ``NotFoundError``/``ShareLinkGoneError`` otherwise."""
    link = open_share_link(session, token, now=now)
    if link.parent_id is not None:
        raise PermissionDeniedError("a view link cannot make or revoke links")
    return link


def create_view_link(
    session: Session,
    holder_token: str,
    lifetime: Lifetime,
    *,
    now: dt.datetime,
    request_id: str | None = None,
) -> tuple[ShareLink, str]:
    """A new view link made from the holder's link: (record, token). One ``share_link.create``
    audit event names it and its parent (flushes)."""
    parent = holder_link(session, holder_token, now=now)
    made = session.scalar(select(func.count()).where(ShareLink.parent_id == parent.id))
    if (made or 0) >= MAX_VIEW_LINKS:
        raise ConflictError(f"a holder's link can make at most {MAX_VIEW_LINKS} view links")
    expires_at = lifetime.expiry(now)
    # The token needs the id; until it is known, the row holds the hash of a random token.
    link = ShareLink(
        credential_id=parent.credential_id,
        token_hash=hash_token(secrets.token_urlsafe(32)),
        created_at=now,
        notify_on_open=False,
        open_count=0,
        expires_at=expires_at,
        parent_id=parent.id,
    )
    session.add(link)
    session.flush()
    token = view_token(holder_token, link.id)
    link.token_hash = hash_token(token)
    record_event(
        session,
        holder_actor(parent, request_id),
        AuditAction.SHARE_LINK_CREATE,
        parent.credential_id,
        now=now,
        details={
            "link": link.id,
            "parent": parent.id,
            "expires_at": expires_at.isoformat() if expires_at else None,
        },
    )
    session.flush()
    return link, token


def list_view_links(session: Session, holder_token: str, *, now: dt.datetime) -> list[ShareLink]:
    """The view links made from the holder's link, newest first."""
    parent = holder_link(session, holder_token, now=now)
    return list(
        session.scalars(
            select(ShareLink).where(ShareLink.parent_id == parent.id).order_by(ShareLink.id.desc())
        )
    )


def revoke_view_link(
    session: Session,
    holder_token: str,
    link_id: int,
    *,
    now: dt.datetime,
    request_id: str | None = None,
) -> ShareLink:
    """Revoke one view link of the holder's link; the others keep working. ``NotFoundError``
    for a link that is not a live view link of this holder's link (flushes)."""
    parent = holder_link(session, holder_token, now=now)
    changed = session.execute(
        update(ShareLink)
        .where(
            ShareLink.id == link_id,
            ShareLink.parent_id == parent.id,
            ShareLink.revoked_at.is_(None),
        )
        .values(revoked_at=now)
    )
    if getattr(changed, "rowcount", 0) != 1:
        raise NotFoundError("no such live view link")
    record_event(
        session,
        holder_actor(parent, request_id),
        AuditAction.SHARE_LINK_REVOKE,
        parent.credential_id,
        now=now,
        details={"link": link_id, "parent": parent.id, "revoked": 1},
    )
    session.flush()
    link = session.get(ShareLink, link_id, populate_existing=True)
    if link is None:  # pragma: no cover - updated a moment ago in this transaction
        raise NotFoundError("no such live view link")
    return link


def count_view_open(session: Session, token: str, *, now: dt.datetime) -> bool:
    """Count one opening of a working view link (one UPDATE, so concurrent openings all
    count); True when it counted. The holder's own link is not counted here."""
    link = open_share_link(session, token, now=now)
    if link.parent_id is None:
        return False
    session.execute(
        update(ShareLink).where(ShareLink.id == link.id).values(open_count=ShareLink.open_count + 1)
    )
    session.flush()
    return True
