"""View links a holder makes from their own share link: lifetimes, counts, revoking one.

The services in ``issuer/documents/view_link.py`` on the real database, with the clock given:
a link works until its lifetime ends and answers "expired" after; a view link cannot make or
revoke links; revoking one leaves its siblings working; revoking or expiring the holder's link
ends every view link made from it; each opening is a count and nothing else.
"""

from __future__ import annotations

import datetime as dt

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import inspect, select

from issuer.documents.share_link import (
    ExpiredShareLinkError,
    RevokedShareLinkError,
    create_share_link,
    hash_token,
    open_share_link,
    revoke_share_links,
)
from issuer.documents.view_link import (
    MAX_VIEW_LINKS,
    Lifetime,
    LinkState,
    count_view_open,
    create_view_link,
    link_state,
    list_view_links,
    revoke_view_link,
    view_token,
)
from issuer.errors import ConflictError, NotFoundError, PermissionDeniedError
from issuer.services import Services
from issuer.store.audit import Actor
from issuer.store.models import AuditEvent, ShareLink
from tests.issuer.helpers import load_catalog
from tests.issuer.lifecycle_helpers import issue

NOW = dt.datetime(2026, 12, 4, 9, 0, tzinfo=dt.UTC)
REGISTRAR = Actor("cli:registrar")


@pytest.fixture
def holder_token(client: TestClient, services: Services, admin_headers: dict[str, str]) -> str:
    """A registrar-made link for a new credential: the holder's own."""
    load_catalog(services)
    issued = issue(client, admin_headers)
    with services.sessions() as session:
        _link, token = create_share_link(session, issued["id"], actor=REGISTRAR, now=NOW)
        session.commit()
    return token


def _make(services: Services, holder: str, lifetime: Lifetime, now: dt.datetime = NOW) -> str:
    with services.sessions() as session:
        _link, token = create_view_link(session, holder, lifetime, now=now)
        session.commit()
    return token


def test_a_view_link_works_for_its_lifetime_and_then_is_expired(
    services: Services, holder_token: str
) -> None:
    day, week, month, never = (_make(services, holder_token, lifetime) for lifetime in Lifetime)
    with services.sessions() as session:
        for token, days in ((day, 1), (week, 7), (month, 30)):
            end = NOW + dt.timedelta(days=days)
            assert open_share_link(session, token, now=end - dt.timedelta(seconds=1))
            with pytest.raises(ExpiredShareLinkError):
                open_share_link(session, token, now=end)
        assert open_share_link(session, never, now=NOW + dt.timedelta(days=3650))
        states = [
            link_state(link, now=NOW + dt.timedelta(days=2))
            for link in list_view_links(session, holder_token, now=NOW)
        ]
    assert states == [LinkState.LIVE, LinkState.LIVE, LinkState.LIVE, LinkState.EXPIRED]


def test_a_view_link_cannot_make_or_revoke_links(services: Services, holder_token: str) -> None:
    first = _make(services, holder_token, Lifetime.WEEK)
    second = _make(services, holder_token, Lifetime.WEEK)
    with services.sessions() as session:
        [second_row, first_row] = list_view_links(session, holder_token, now=NOW)
        with pytest.raises(PermissionDeniedError):
            create_view_link(session, first, Lifetime.DAY, now=NOW)
        with pytest.raises(PermissionDeniedError):
            revoke_view_link(session, first, second_row.id, now=NOW)
        with pytest.raises(PermissionDeniedError):
            list_view_links(session, first, now=NOW)
    with services.sessions() as session:
        assert open_share_link(session, second, now=NOW).revoked_at is None
        assert len(list_view_links(session, holder_token, now=NOW)) == 2
        assert first_row.parent_id == second_row.parent_id


def test_revoking_one_view_link_leaves_the_others_working(
    services: Services, holder_token: str, client: TestClient, admin_headers: dict[str, str]
) -> None:
    first = _make(services, holder_token, Lifetime.NEVER)
    second = _make(services, holder_token, Lifetime.NEVER)
    with services.sessions() as session:
        first_id = open_share_link(session, first, now=NOW).id
        revoked = revoke_view_link(session, holder_token, first_id, now=NOW)
        session.commit()
        assert revoked.revoked_at == NOW
    with services.sessions() as session:
        with pytest.raises(RevokedShareLinkError):
            open_share_link(session, first, now=NOW)
        assert open_share_link(session, second, now=NOW)
        assert open_share_link(session, holder_token, now=NOW)
        with pytest.raises(NotFoundError):  # already revoked
            revoke_view_link(session, holder_token, first_id, now=NOW)
    # Another holder's link cannot revoke this holder's view link.
    other = issue(client, admin_headers, holder={"name": "李四", "employee_number": "E-9"})
    with services.sessions() as session:
        _link, other_token = create_share_link(session, other["id"], actor=REGISTRAR, now=NOW)
        second_id = open_share_link(session, second, now=NOW).id
        with pytest.raises(NotFoundError):
            revoke_view_link(session, other_token, second_id, now=NOW)
        session.rollback()
    with services.sessions() as session:
        assert open_share_link(session, second, now=NOW)
        events = session.execute(
            select(AuditEvent.actor, AuditEvent.details).where(
                AuditEvent.action == "share_link.revoke"
            )
        ).all()
        parent = open_share_link(session, holder_token, now=NOW).id
    assert [(actor, details["link"]) for actor, details in events] == [
        (f"holder:share_link:{parent}", first_id)
    ]


def test_view_links_end_with_the_holders_link(
    services: Services, client: TestClient, admin_headers: dict[str, str]
) -> None:
    load_catalog(services)
    issued = issue(client, admin_headers)
    end = NOW + dt.timedelta(days=10)
    with services.sessions() as session:
        revoked_parent, revoked_token = create_share_link(
            session, issued["id"], actor=REGISTRAR, now=NOW
        )
        _expiring, expiring_token = create_share_link(
            session, issued["id"], actor=REGISTRAR, now=NOW, expires_at=end
        )
        session.commit()
    of_revoked = _make(services, revoked_token, Lifetime.NEVER)
    of_expiring = _make(services, expiring_token, Lifetime.NEVER)
    with services.sessions() as session:
        revoke_share_links(
            session, issued["id"], actor=REGISTRAR, now=NOW, link_id=revoked_parent.id
        )
        session.commit()
    with services.sessions() as session:
        with pytest.raises(RevokedShareLinkError):
            open_share_link(session, of_revoked, now=NOW)
        assert open_share_link(session, of_expiring, now=end - dt.timedelta(minutes=1))
        with pytest.raises(ExpiredShareLinkError):
            open_share_link(session, of_expiring, now=end)
        with pytest.raises(ExpiredShareLinkError):  # nor can it make more
            create_view_link(session, expiring_token, Lifetime.DAY, now=end)


def test_each_opening_is_counted_and_nothing_about_who_opened(
    services: Services, holder_token: str
) -> None:
    token = _make(services, holder_token, Lifetime.WEEK)
    for _ in range(3):
        with services.sessions() as session:
            assert count_view_open(session, token, now=NOW)
            session.commit()
    with services.sessions() as session:
        assert not count_view_open(session, holder_token, now=NOW)  # the holder's own views
        session.commit()
    with services.sessions() as session:
        assert open_share_link(session, token, now=NOW).open_count == 3
        assert open_share_link(session, holder_token, now=NOW).open_count == 0
        columns = {column.key for column in inspect(ShareLink).columns}
        details = session.scalars(
            select(AuditEvent.details).where(AuditEvent.action.like("share_link.%"))
        ).all()
    # A count and the link's own dates: no address, browser or moment of an opening.
    assert columns == {
        "id",
        "credential_id",
        "token_hash",
        "created_at",
        "revoked_at",
        "notify_on_open",
        "open_count",
        "notified_at",
        "expires_at",
        "parent_id",
    }
    assert all(set(d) <= {"link", "parent", "expires_at", "revoked"} for d in details)


def test_a_view_links_token_is_derived_from_the_holders_and_only_its_hash_is_stored(
    services: Services, holder_token: str
) -> None:
    token = _make(services, holder_token, Lifetime.DAY)
    with services.sessions() as session:
        [link] = list_view_links(session, holder_token, now=NOW)
        assert link.expires_at == NOW + dt.timedelta(days=1)
        assert view_token(holder_token, link.id) == token
        assert link.token_hash == hash_token(token)
        stored = session.scalars(select(ShareLink.token_hash)).all()
    assert token not in stored
    assert holder_token not in stored
    assert view_token(holder_token, link.id + 1) != token
    assert view_token(holder_token[:-1] + "x", link.id) != token
    assert len(token) == 43  # 256 bits, base64url


def test_a_holders_link_makes_a_bounded_number_of_view_links(
    services: Services, holder_token: str
) -> None:
    with services.sessions() as session:
        for _ in range(MAX_VIEW_LINKS):
            create_view_link(session, holder_token, Lifetime.DAY, now=NOW)
        with pytest.raises(ConflictError):
            create_view_link(session, holder_token, Lifetime.DAY, now=NOW)
