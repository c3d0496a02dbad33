"""The approvals page: a registrar's large batch waits in another admin's inbox, is decided
there with a note, and its fate shows under the registrar's own requests."""

from __future__ import annotations

import datetime as dt
import re

from fastapi.testclient import TestClient
from sqlalchemy import select

from issuer.access.form_tokens import issue_form_token
from issuer.config import Settings
from issuer.services import Services
from issuer.store.engine import session_scope
from issuer.store.models import Approval, Credential
from tests.console.approval_helpers import as_user, file_batch, strict_client
from tests.console.helpers import csrf_of, make_user, signed_in
from tests.issuer.helpers import load_catalog

SESSION = "2026-Q4-D3-R05"
_FORM_TOKEN = re.compile(r'name="form_token" value="([^"]+)"')


def states(services: Services) -> list[str]:
    with services.sessions() as session:
        return sorted(session.scalars(select(Credential.state)))


def form_token_in(html: str, approval_id: str) -> str:
    """The one-time form token of the decision form of request ``approval_id``."""
    start = html.index(f'action="/console/approvals/{approval_id}/decide"')
    match = _FORM_TOKEN.search(html, start)
    assert match is not None
    return match.group(1)


def test_a_registrars_batch_is_approved_in_another_admins_inbox(
    settings: Settings, timed_services: Services
) -> None:
    services = timed_services
    load_catalog(services)
    registrar = make_user(services, "li@example.com", "registrar", ["U01"], name="李娜")
    make_user(services, "wang@example.com", "admin", name="王强")
    client = strict_client(settings, services)
    approval_id = file_batch(client, services, registrar, 3, SESSION)

    as_user(client, "li@example.com")
    own = client.get("/console/approvals").text
    assert f"/console/approvals/{approval_id}/decide" not in own  # no button for one's own
    mine = own[own.index('id="mine"') :]
    assert "撤销整个考试场次的证书" in mine
    assert SESSION in mine
    assert "待审批" in mine
    assert "考试违纪" in mine  # the reason in words, not its code
    refused = client.post(
        f"/console/approvals/{approval_id}/decide",
        data={"csrf_token": csrf_of(own), "decision": "approve", "form_token": "x"},
    )
    assert refused.status_code == 403  # a registrar decides nothing

    csrf = as_user(client, "wang@example.com")
    inbox = client.get("/console/approvals").text
    inbox_part = inbox[inbox.index('id="inbox"') : inbox.index('id="mine"')]
    assert f"/console/approvals/{approval_id}/decide" in inbox_part
    assert SESSION in inbox_part
    assert ">3<" in inbox_part
    assert "李娜 (#" in inbox_part
    assert states(services) == ["active"] * 3
    form = {
        "csrf_token": csrf,
        "form_token": form_token_in(inbox, approval_id),
        "decision": "approve",
        "note": "核实无误 checked with the exam office",
    }
    done = client.post(
        f"/console/approvals/{approval_id}/decide", data=form, follow_redirects=False
    )
    assert done.status_code == 303
    assert done.headers["location"] == "/console/approvals?done=approved"
    assert states(services) == ["revoked"] * 3
    twice = client.post(f"/console/approvals/{approval_id}/decide", data=form)
    assert twice.status_code == 409  # the same form again: refused, nothing done twice
    assert "form_already_submitted" in twice.text
    assert f"/console/approvals/{approval_id}/decide" not in client.get("/console/approvals").text

    as_user(client, "li@example.com")
    fate = client.get("/console/approvals").text
    mine = fate[fate.index('id="mine"') :]
    assert "已批准" in mine
    assert "王强 (#" in mine
    assert "核实无误 checked with the exam office" in mine


def test_a_refused_request_changes_nothing_and_says_why(
    settings: Settings, timed_services: Services
) -> None:
    services = timed_services
    load_catalog(services)
    registrar = make_user(services, "li@example.com", "registrar", ["U01"])
    make_user(services, "wang@example.com", "admin")
    client = strict_client(settings, services)
    approval_id = file_batch(client, services, registrar, 3, SESSION)
    csrf = as_user(client, "wang@example.com")
    inbox = client.get("/console/approvals").text
    form = {
        "csrf_token": csrf,
        "form_token": form_token_in(inbox, approval_id),
        "decision": "reject",
        "note": "wrong session",
    }
    bad = client.post(
        f"/console/approvals/{approval_id}/decide", data={**form, "note": "bad\u200bnote"}
    )
    assert bad.status_code == 422  # the form again, the note kept, the message beside it
    assert "bad\u200bnote" in bad.text
    assert "不可见" in bad.text
    done = client.post(f"/console/approvals/{approval_id}/decide", data=form)
    assert done.status_code == 200
    assert "已拒绝，未做任何更改。" in done.text
    assert states(services) == ["active"] * 3
    with services.sessions() as session:
        assert session.get(Approval, approval_id).state == "rejected"  # type: ignore[union-attr]
    as_user(client, "li@example.com")
    assert "wrong session" in client.get("/console/approvals").text


def test_an_admins_own_request_is_not_in_their_inbox_and_cannot_be_decided(
    console: TestClient, services: Services
) -> None:
    admin_a = make_user(services, "a@example.com", "admin")
    make_user(services, "b@example.com", "admin")
    csrf = signed_in(console, "a@example.com")
    console.post(
        "/console/keys/rotate",
        data={"csrf_token": csrf, "form_token": form_token_for_rotate(console)},
    )
    with services.sessions() as session:
        approval_id = session.scalars(select(Approval.id)).one()
    page = console.get("/console/approvals").text
    assert f"/console/approvals/{approval_id}/decide" not in page
    assert "轮换签名密钥" in page  # listed under "my requests"
    with session_scope(services.sessions) as session:  # as if the form had been drawn
        token = issue_form_token(
            session,
            principal_id=admin_a,
            purpose=f"approval:{approval_id}",
            now=services.clock(),
            ttl=dt.timedelta(hours=1),
        )
    own = console.post(
        f"/console/approvals/{approval_id}/decide",
        data={"csrf_token": csrf, "form_token": token, "decision": "approve"},
    )
    assert own.status_code == 403
    assert "own_request" in own.text
    with services.sessions() as session:
        assert session.get(Approval, approval_id).state == "pending"  # type: ignore[union-attr]


def form_token_for_rotate(client: TestClient) -> str:
    match = _FORM_TOKEN.search(client.get("/console/keys/rotate").text)
    assert match is not None
    return match.group(1)


def test_an_auditor_reads_pending_requests_without_controls_and_cannot_post(
    settings: Settings, timed_services: Services
) -> None:
    services = timed_services
    load_catalog(services)
    registrar = make_user(services, "li@example.com", "registrar", ["U01"])
    make_user(services, "audit@example.com", "auditor")
    client = strict_client(settings, services)
    approval_id = file_batch(client, services, registrar, 3, SESSION)
    csrf = as_user(client, "audit@example.com")
    page = client.get("/console/approvals").text
    assert SESSION in page  # reads the request
    assert "/decide" not in page
    assert 'name="decision"' not in page
    refused = client.post(
        f"/console/approvals/{approval_id}/decide",
        data={"csrf_token": csrf, "form_token": "x", "decision": "approve"},
    )
    assert refused.status_code == 403
    assert states(services) == ["active"] * 3


def test_deciding_without_the_csrf_token_is_refused(
    settings: Settings, timed_services: Services
) -> None:
    services = timed_services
    load_catalog(services)
    registrar = make_user(services, "li@example.com", "registrar", ["U01"])
    make_user(services, "wang@example.com", "admin")
    client = strict_client(settings, services)
    approval_id = file_batch(client, services, registrar, 3, SESSION)
    as_user(client, "wang@example.com")
    inbox = client.get("/console/approvals").text
    refused = client.post(
        f"/console/approvals/{approval_id}/decide",
        data={"form_token": form_token_in(inbox, approval_id), "decision": "approve"},
    )
    assert refused.status_code == 403
    assert "csrf_failed" in refused.text
    assert states(services) == ["active"] * 3
