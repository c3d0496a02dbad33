"""The audit page: filters, newest first, CSV export, and verifying the chain."""

from __future__ import annotations

import csv
import io
import re

from fastapi.testclient import TestClient
from sqlalchemy import select, update

from issuer.services import Services
from issuer.store.audit import Actor, record_events
from issuer.store.engine import session_scope
from issuer.store.models import AuditEvent, AuditHead, core_table
from issuer.vocabulary import AuditAction
from tests.console.helpers import make_user, signed_in
from tests.issuer.helpers import load_catalog

ROW = re.compile(r"<span class=\"muted\">#(\d+)</span>")


def shown_ids(html: str) -> list[int]:
    """The ids of the events a page lists, in its order."""
    return [int(n) for n in ROW.findall(html)]


def add_events(services: Services, count: int, *, actor: str = "cli:ops") -> None:
    with session_scope(services.sessions) as session:
        record_events(
            session,
            Actor(actor),
            AuditAction.SHARE_LINK_REVOKE,
            [(f"link-{n}", {"n": n}) for n in range(count)],
            now=services.clock(),
        )


def test_the_log_newest_first_filtered_and_paged(console: TestClient, services: Services) -> None:
    make_user(services, "audit@example.com", "auditor")
    add_events(services, 60)
    add_events(services, 1, actor="cli:night-shift")
    signed_in(console, "audit@example.com")
    first = console.get("/console/audit")
    assert first.status_code == 200
    ids = shown_ids(first.text)
    assert len(ids) == 50
    assert ids == sorted(ids, reverse=True)
    assert "登录" in first.text  # the sign-in, in words
    older = shown_ids(console.get("/console/audit?page=2").text)
    assert older
    assert max(older) < min(ids)

    by_action = console.get("/console/audit", params={"action": "user.sign_in"}).text
    assert len(shown_ids(by_action)) == 1
    assert "撤销分享链接" not in by_action.split("<tbody>")[1]
    by_actor = console.get("/console/audit", params={"actor": "cli:night-shift"}).text
    assert len(shown_ids(by_actor)) == 1
    by_subject = console.get("/console/audit", params={"target": "link-7"}).text
    assert len(shown_ids(by_subject)) == 1
    assert "link-7" in by_subject

    today = services.clock().date()
    later = today.replace(year=today.year + 1).isoformat()
    earlier = today.replace(year=today.year - 1).isoformat()
    assert shown_ids(console.get("/console/audit", params={"since": later}).text) == []
    assert shown_ids(console.get("/console/audit", params={"until": earlier}).text) == []
    span = console.get("/console/audit", params={"since": earlier, "until": later}).text
    assert len(shown_ids(span)) == 50
    bad = console.get("/console/audit", params={"since": "31/12/2026"})
    assert bad.status_code == 422
    assert "YYYY-MM-DD" in bad.text
    assert 'value="31/12/2026"' in bad.text


def test_export_as_csv_with_the_pages_filters(console: TestClient, services: Services) -> None:
    make_user(services, "admin@example.com", "admin")
    add_events(services, 3)
    add_events(services, 1, actor="=HYPERLINK(1)")
    signed_in(console, "admin@example.com")
    answer = console.get("/console/audit/export.csv", params={"action": "share_link.revoke"})
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("text/csv")
    assert answer.headers["content-disposition"].startswith("attachment;")
    rows = list(csv.DictReader(io.StringIO(answer.content.decode("utf-8-sig"))))
    assert len(rows) == 4
    assert {r["action"] for r in rows} == {"share_link.revoke"}
    with services.sessions() as session:
        stored = session.scalars(
            select(AuditEvent)
            .where(AuditEvent.action == AuditAction.SHARE_LINK_REVOKE)
            .order_by(AuditEvent.id.desc())
        ).first()
        assert stored is not None
        assert rows[-1]["hash"] == stored.hash
        assert rows[-1]["prev_hash"] == stored.prev_hash
    assert rows[-1]["actor"] == "'=HYPERLINK(1)"  # a spreadsheet does not run it
    assert rows[0]["details"] == '{"n":0}'


def test_verify_the_chain_reports_intact_then_where_it_breaks(
    console: TestClient, services: Services
) -> None:
    make_user(services, "audit@example.com", "auditor")
    add_events(services, 5)
    csrf = signed_in(console, "audit@example.com")
    intact = console.post("/console/audit/verify", data={"csrf_token": csrf})
    assert intact.status_code == 200
    assert "审计链完整" in intact.text
    with services.sessions() as session:
        count = len(session.scalars(select(AuditEvent.id)).all())
        head = session.scalar(select(AuditHead.hash))
        victim = session.scalars(select(AuditEvent.id).where(AuditEvent.target == "link-2")).one()
    assert re.search(rf"Events checked</span></dt><dd>{count}</dd>", intact.text)
    assert f"<code>{head}</code>" in intact.text

    with services.engine.begin() as connection:  # someone edits an event in the database
        table = core_table(AuditEvent)
        connection.execute(update(table).where(table.c.id == victim).values(target="link-9"))
    broken = console.post("/console/audit/verify", data={"csrf_token": csrf})
    assert broken.status_code == 200
    assert "审计链已被破坏" in broken.text
    assert f"event {victim} was altered after it was written" in broken.text
    assert f"Breaks at event</span></dt><dd>{victim}</dd>" in broken.text

    assert console.post("/console/audit/verify").status_code == 403  # no CSRF token


def test_who_may_open_the_log(console: TestClient, services: Services) -> None:
    load_catalog(services)
    make_user(services, "li@example.com", "registrar", ["U01"])
    csrf = signed_in(console, "li@example.com")
    assert console.get("/console/audit").status_code == 403
    assert console.get("/console/audit/export.csv").status_code == 403
    assert console.post("/console/audit/verify", data={"csrf_token": csrf}).status_code == 403
    console.cookies.clear()  # nobody signed in: the page asks to sign in first
    answer = console.get("/console/audit", follow_redirects=False)
    assert answer.status_code == 303
    assert answer.headers["location"].startswith("/console/login?next=/console/audit")
