"""Holder share links: an unguessable URL per credential, revocable by a registrar.

The token is 256 random bits (``secrets.token_urlsafe(32)``); only its SHA-256 is stored, so
a copy of the database cannot be turned into working links. The page it opens lets the holder
see the credential and download the ``.jwt``, the baked badges and the PDF certificate.

A link may expire (``expires_at``); past it, or once revoked, it answers 410 Gone. The holder
makes view links from their own link (``issuer/documents/view_link.py``, ``parent_id``): a
view link works only while the holder's link does (decision 0050).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from collections.abc import Sequence
from urllib.parse import urlencode

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from issuer.credentials.lifecycle import get_credential
from issuer.credentials.notices import LINK_NOTICE_EVERY, queue_notice
from issuer.errors import InvalidInputError, IssuerErrorCode, NotFoundError
from issuer.store.audit import Actor, record_event, record_events
from issuer.store.models import Credential, ShareLink
from issuer.vocabulary import AuditAction, NoticeKind
from verifier.urls import IssuerUrls

LINKEDIN_ADD = "https://www.linkedin.com/profile/add"


def hash_token(token: str) -> str:
    """SHA-256 of a token, hex: all the database keeps of it."""
    return hashlib.sha256(token.encode("ascii", "replace")).hexdigest()


def share_url(base_url: str, token: str) -> str:
    return IssuerUrls(base_url).share_page(token)


def create_share_link(
    session: Session,
    credential_id: str,
    *,
    actor: Actor,
    now: dt.datetime,
    notify_on_open: bool = False,
    expires_at: dt.datetime | None = None,
) -> tuple[ShareLink, str]:
    """A new link for the credential: (record, token). The token is shown once.

    ``notify_on_open``: the holder is told by e-mail when the link is opened, at most once
    an hour (decision 0030); the credential must have the holder's address
    (``no_holder_email`` otherwise). ``expires_at``: the link opens nothing after it (it must
    be in the future; ``invalid_input`` otherwise)."""
    if expires_at is not None and expires_at <= now:
        raise InvalidInputError("a share link's expiry must be in the future")
    row = get_credential(session, credential_id)
    if notify_on_open and row.holder_email is None:
        raise InvalidInputError(
            "the credential has no holder e-mail address to send notices to",
            code=IssuerErrorCode.NO_HOLDER_EMAIL,
        )
    [(link, token)] = create_share_links(
        session,
        [credential_id],
        actor=actor,
        now=now,
        notify_on_open=notify_on_open,
        expires_at=expires_at,
    )
    return link, token


def create_share_links(
    session: Session,
    credential_ids: Sequence[str],
    *,
    actor: Actor,
    now: dt.datetime,
    notify_on_open: bool = False,
    expires_at: dt.datetime | None = None,
) -> list[tuple[ShareLink, str]]:
    """A new link for each credential, in order: (record, token); the tokens are shown once.

    Every link is an audit event (``share_link.create``), appended in one statement; the
    caller has checked that it may act for the credentials' units (flushes).
    """
    links: list[tuple[ShareLink, str]] = []
    for credential_id in credential_ids:
        token = secrets.token_urlsafe(32)
        link = ShareLink(
            credential_id=credential_id,
            token_hash=hash_token(token),
            created_at=now,
            notify_on_open=notify_on_open,
            open_count=0,
            expires_at=expires_at,
        )
        links.append((link, token))
    session.add_all(link for link, _ in links)
    session.flush()
    record_events(
        session,
        actor,
        AuditAction.SHARE_LINK_CREATE,
        [
            (
                link.credential_id,
                {
                    "link": link.id,
                    **({"notify_on_open": True} if notify_on_open else {}),
                    **({"expires_at": expires_at.isoformat()} if expires_at else {}),
                },
            )
            for link, _ in links
        ],
        now=now,
    )
    session.flush()
    return links


class ShareLinkGoneError(NotFoundError):
    """The link existed and works no more: the share page answers 410 Gone, not 404."""


class RevokedShareLinkError(ShareLinkGoneError):
    """The link (or the holder's link it was made from) was revoked."""


class ExpiredShareLinkError(ShareLinkGoneError):
    """The link (or the holder's link it was made from) is past its expiry."""


def find_share_link(session: Session, token: str) -> ShareLink:
    """The link of ``token``, live or not; ``NotFoundError`` for a token never issued."""
    if not 20 <= len(token) <= 100:
        raise NotFoundError("no such share link")
    query = select(ShareLink).where(ShareLink.token_hash == hash_token(token))
    link = session.scalars(query).first()
    if link is None:
        raise NotFoundError("no such share link")
    return link


def check_open(session: Session, link: ShareLink, *, now: dt.datetime) -> None:
    """Raise ``RevokedShareLinkError`` or ``ExpiredShareLinkError`` unless ``link`` works now:
    itself and, for a view link, the holder's link it was made from."""
    chain = [link]
    if link.parent_id is not None:
        parent = session.get(ShareLink, link.parent_id)
        if parent is not None:
            chain.append(parent)
    for each in chain:
        if each.revoked_at is not None:
            raise RevokedShareLinkError("this share link was revoked")
        if each.expires_at is not None and each.expires_at <= now:
            raise ExpiredShareLinkError("this share link has expired")


def open_share_link(session: Session, token: str, *, now: dt.datetime) -> ShareLink:
    """The link of ``token`` if it works now; ``NotFoundError`` for unknown tokens, a
    ``ShareLinkGoneError`` for revoked or expired ones."""
    link = find_share_link(session, token)
    check_open(session, link, now=now)
    return link


def resolve_share_link(session: Session, token: str, *, now: dt.datetime) -> Credential:
    """The credential behind a working link; ``NotFoundError`` for unknown links, a
    ``ShareLinkGoneError`` for revoked or expired ones."""
    return get_credential(session, open_share_link(session, token, now=now).credential_id)


def live_share_link(session: Session, token: str, *, for_update: bool = False) -> ShareLink:
    """The unrevoked link of ``token``; ``NotFoundError`` for unknown or revoked ones."""
    if not 20 <= len(token) <= 100:
        raise NotFoundError("no such share link")
    query = select(ShareLink).where(
        ShareLink.token_hash == hash_token(token), ShareLink.revoked_at.is_(None)
    )
    link = session.scalars(query.with_for_update() if for_update else query).first()
    if link is None:
        raise NotFoundError("no such share link")
    return link


def count_share_open(session: Session, token: str, *, now: dt.datetime) -> bool:
    """Count an opening of a link whose holder asked to be told, and queue the notice unless
    one was queued for this link within ``LINK_NOTICE_EVERY`` (a crawler cannot flood the
    holder). The notice names no visitor. True when a notice was queued."""
    link = live_share_link(session, token, for_update=True)
    if not link.notify_on_open:
        return False
    link.open_count += 1
    queued = False
    if link.notified_at is None or now - link.notified_at >= LINK_NOTICE_EVERY:
        address = session.scalar(
            select(Credential.holder_email).where(Credential.id == link.credential_id)
        )
        queued = queue_notice(
            session,
            link.credential_id,
            NoticeKind.LINK_OPENED,
            address=address,
            now=now,
            share_link_id=link.id,
        )
        if queued:
            link.notified_at = now
    session.flush()
    return queued


def list_share_links(session: Session, credential_id: str) -> list[ShareLink]:
    return list(
        session.scalars(
            select(ShareLink).where(ShareLink.credential_id == credential_id).order_by(ShareLink.id)
        )
    )


def revoke_share_links(
    session: Session,
    credential_id: str,
    *,
    actor: Actor,
    now: dt.datetime,
    link_id: int | None = None,
) -> int:
    """Revoke one link (``link_id``) or every live link of a credential; returns how many."""
    statement = (
        update(ShareLink)
        .where(ShareLink.credential_id == credential_id, ShareLink.revoked_at.is_(None))
        .values(revoked_at=now)
    )
    if link_id is not None:
        statement = statement.where(ShareLink.id == link_id)
    count = getattr(session.execute(statement), "rowcount", 0)
    if link_id is not None and count == 0:
        raise NotFoundError("no such live share link")
    record_event(
        session,
        actor,
        AuditAction.SHARE_LINK_REVOKE,
        credential_id,
        now=now,
        details={"link": link_id, "revoked": count},
    )
    session.flush()
    return int(count)


def linkedin_url(
    *, name: str, organisation: str, issued_at: dt.datetime, verify_url: str, number: str
) -> str:
    """LinkedIn's add-to-profile link for a certification; ``certUrl`` is the verify page."""
    query = {
        "startTask": "CERTIFICATION_NAME",
        "name": name,
        "organizationName": organisation,
        "issueYear": str(issued_at.year),
        "issueMonth": str(issued_at.month),
        "certUrl": verify_url,
        "certId": number,
    }
    return f"{LINKEDIN_ADD}?{urlencode(query)}"
