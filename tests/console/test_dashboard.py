"""The dashboard: figures equal to the API's totals for the same person, in its units only;
recent changes in words; requests awaiting the person; imports still running."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from fastapi.testclient import TestClient

from issuer.access.approvals import request_approval
from issuer.services import Services
from issuer.store.audit import Actor
from issuer.store.engine import session_scope
from issuer.store.models import ImportJob
from tests.console.find_helpers import api_total, build_register, figures
from tests.console.helpers import Clock, make_user, signed_in
from tests.helpers import make_token
from tests.issuer.helpers import load_catalog
from tests.issuer.lifecycle_helpers import bearer


def _register(console: TestClient, services: Services, clock: Clock) -> list[dict[str, Any]]:
    admin = bearer(make_token(services))

    def set_time(moment: dt.datetime) -> None:
        clock.now = moment

    return build_register(console, services, admin, set_time)


def test_every_figure_is_the_api_total_of_the_search_it_links(
    console: TestClient, services: Services, clock: Clock
) -> None:
    _register(console, services, clock)
    people = {
        "admin": (make_user(services, "admin@example.com"), make_token(services)),
        "registrar": (
            make_user(services, "u01@example.com", "registrar", ["U01"]),
            make_token(services, "registrar", ["U01"]),
        ),
        "auditor": (
            make_user(services, "auditor@example.com", "auditor"),
            make_token(services, "auditor"),
        ),
    }
    seen: dict[str, list[tuple[str, int]]] = {}
    for role, email in (
        ("admin", "admin@example.com"),
        ("registrar", "u01@example.com"),
        ("auditor", "auditor@example.com"),
    ):
        signed_in(console, email)
        page = console.get("/console/")
        assert page.status_code == 200, page.text
        shown = figures(page.text)
        assert shown, "the dashboard links no figure"
        token = bearer(people[role][1])
        for query, count in shown:
            assert count == api_total(console, token, query), (role, query)
        seen[role] = shown
    everything = dict(seen["admin"])
    assert everything[""] == 7
    assert everything["state=revoked"] == 1
    assert everything["state=suspended"] == 1
    assert everything["unit=U02"] == 2
    assert everything["level=senior"] == 3
    assert everything["unit=U01&state=active"] == 3
    mine = dict(seen["registrar"])
    assert mine[""] == 4  # U01's four, nothing of U02 or U03
    assert not any("U02" in query or "U03" in query for query in mine)
    assert dict(seen["auditor"]) == everything


def test_recent_changes_are_in_words_and_in_the_persons_units(
    console: TestClient, services: Services, clock: Clock
) -> None:
    issued = _register(console, services, clock)
    make_user(services, "auditor@example.com", "auditor", name="审计员")
    make_user(services, "u02@example.com", "registrar", ["U02"])
    signed_in(console, "auditor@example.com")
    page = console.get("/console/").text
    recent = page[page.index('id="recent"') :]
    assert f'<a href="/console/credentials/{issued[1]["id"]}">{issued[1]["number"]}</a>' in recent
    assert '撤销证书 <span class="en" lang="en">Credential revoked</span>' in recent
    assert '考试违纪 <span class="en" lang="en">Exam misconduct</span>' in recent
    assert '持证人申请 <span class="en" lang="en">At the holder&#39;s request</span>' in recent
    assert "exam_misconduct" not in recent  # codes are shown in words
    assert "操作人" in recent  # the auditor reads who acted
    assert "test admin" in recent
    assert "principal:" not in recent

    signed_in(console, "u02@example.com")
    page = console.get("/console/").text
    recent = page[page.index('id="recent"') :]
    assert issued[2]["number"] in recent  # U02's suspension
    assert issued[1]["number"] not in recent  # U01's revocation is not U02's business
    assert issued[0]["number"] not in recent
    assert "操作人" not in recent  # registrars do not read the audit log's actors


def test_requests_awaiting_the_admin_and_no_one_else(
    console: TestClient, services: Services, clock: Clock
) -> None:
    _register(console, services, clock)
    mine = make_user(services, "admin@example.com", name="管理员甲")
    make_user(services, "second@example.com", name="管理员乙")
    make_user(services, "u01@example.com", "registrar", ["U01"])
    with session_scope(services.sessions) as session:
        for _ in range(2):
            request_approval(
                session,
                "key.rotate",
                {},
                actor=Actor(name=f"principal:{mine}:管理员甲", principal_id=mine),
                now=clock.now,
            )
    signed_in(console, "second@example.com")
    page = console.get("/console/").text
    assert 'href="/console/approvals">2 项请求等待您审批' in page
    signed_in(console, "admin@example.com")  # the requester: not a second person
    page = console.get("/console/").text
    assert "没有等待您审批的请求" in page
    assert 'href="/console/approvals"' not in page.split("<main", 1)[1]
    signed_in(console, "u01@example.com")  # registrars decide nothing: no such section
    assert "待我审批" not in console.get("/console/").text


def test_running_imports_link_to_their_page_registrars_see_their_own(
    console: TestClient, services: Services, clock: Clock
) -> None:
    load_catalog(services)
    registrar = make_user(services, "u01@example.com", "registrar", ["U01"], name="登记员")
    make_user(services, "admin@example.com")
    jobs = {}
    with session_scope(services.sessions) as session:
        for label, state, created_by in (
            ("own.csv", "running", f"principal:{registrar}:登记员"),
            ("other.csv", "running", "principal:999:someone"),
            ("finished.csv", "done", f"principal:{registrar}:登记员"),
        ):
            job = ImportJob(
                id=str(uuid.uuid4()),
                filename=label,
                file_sha256="0" * 64,
                format="csv",
                dry_run=False,
                state=state,
                total_rows=40,
                processed_rows=10,
                created_by=created_by,
                created_at=clock.now,
            )
            session.add(job)
            jobs[label] = job.id
    signed_in(console, "u01@example.com")
    page = console.get("/console/").text
    assert f'<a href="/console/imports/{jobs["own.csv"]}">own.csv</a>' in page
    assert "other.csv" not in page
    assert "finished.csv" not in page
    assert 'max="40" value="10"' in page
    signed_in(console, "admin@example.com")
    page = console.get("/console/").text
    assert "own.csv" in page
    assert "other.csv" in page
    assert "finished.csv" not in page


def test_an_empty_register_says_so(console: TestClient, services: Services) -> None:
    make_user(services, "auditor@example.com", "auditor")
    signed_in(console, "auditor@example.com")
    page = console.get("/console/")
    assert page.status_code == 200
    assert "暂无证书" in page.text
    assert "暂无变动" in page.text
    assert "没有正在进行的导入" in page.text
    assert figures(page.text) == []


def test_a_batch_revocation_shows_as_one_change_and_as_each_units_own(
    console: TestClient, services: Services, clock: Clock
) -> None:
    issued = _register(console, services, clock)
    batch = console.post(
        "/api/v1/credentials/batch-revoke",
        json={"exam_session": "S-2026-C", "reason": "exam_misconduct"},
        headers=bearer(make_token(services)),
    )
    assert batch.status_code == 200, batch.text
    make_user(services, "admin@example.com")
    make_user(services, "u02@example.com", "registrar", ["U02"])
    signed_in(console, "admin@example.com")
    page = console.get("/console/").text
    recent = page[page.index('id="recent"') :]
    assert "按考试场次批量撤销" in recent
    assert "S-2026-C" in recent
    signed_in(console, "u02@example.com")
    page = console.get("/console/").text
    recent = page[page.index('id="recent"') :]
    assert issued[6]["number"] in recent  # U02's credential of that session
    assert issued[4]["number"] not in recent  # U01's of the same session
    assert "按考试场次批量撤销" not in recent  # the session spans other units
