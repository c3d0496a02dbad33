"""The outbox counted for admins and auditors: ``GET /api/v1/notices`` and the console's
dashboard; and a bulk re-issue's notices, one per credential with an address (decision
0066)."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import select

from issuer.documents.notice_delivery import deliver_due
from issuer.services import Services
from issuer.store.models import Notice
from issuer.tasks.reissue import run_reissue
from tests.console.helpers import make_user, signed_in
from tests.helpers import make_token
from tests.issuer.helpers import issue_body
from tests.issuer.lifecycle_helpers import bearer
from tests.issuer.reissue_helpers import compromise_active_key, plan
from tests.notices.mail_server import MailServer


def _revoke_one(client: TestClient, headers: dict[str, str]) -> None:
    holder = {"name": "王小明", "employee_number": "E-0001", "email": "w@example.org"}
    issued = client.post("/api/v1/credentials", json=issue_body(holder=holder), headers=headers)
    assert issued.status_code == 201, issued.text
    revoked = client.post(
        f"/api/v1/credentials/{issued.json()['id']}/revoke",
        json={"reason": "exam_misconduct"},
        headers=headers,
    )
    assert revoked.status_code == 200


def test_the_api_counts_the_outbox_and_says_who_sends(
    notice_client: TestClient,
    notice_services: Services,
    admin_headers: dict[str, str],
    mail_server: MailServer,
) -> None:
    _revoke_one(notice_client, admin_headers)
    auditor = bearer(make_token(notice_services, role="auditor"))
    counts = notice_client.get("/api/v1/notices", headers=auditor)
    assert counts.status_code == 200
    # The tests' settings turn the thread off (interval 0): nobody sends but the CLI.
    assert counts.json() == {"pending": 1, "sent": 0, "failed": 0, "sender": "off"}
    deliver_due(notice_services)
    assert len(mail_server.inbox) == 1
    after = notice_client.get("/api/v1/notices", headers=auditor).json()
    assert (after["pending"], after["sent"], after["failed"]) == (0, 1, 0)
    registrar = bearer(make_token(notice_services, role="registrar", units=["U01"]))
    assert notice_client.get("/api/v1/notices", headers=registrar).status_code == 403
    assert notice_client.get("/api/v1/notices").status_code == 401


def test_the_dashboard_shows_the_outbox_to_admins_only_when_notices_are_on(
    notice_client: TestClient,
    notice_services: Services,
    admin_headers: dict[str, str],
    client: TestClient,
) -> None:
    _revoke_one(notice_client, admin_headers)
    make_user(notice_services, "a@example.com", "admin")
    signed_in(notice_client, "a@example.com")
    page = notice_client.get("/console/").text
    assert "持有人通知" in page
    assert '<span class="figure" id="notices-pending">1</span>' in page
    make_user(notice_services, "r@example.com", "registrar", ["U01"])
    notice_client.cookies.clear()
    signed_in(notice_client, "r@example.com")
    assert 'id="notices-pending"' not in notice_client.get("/console/").text
    # Without a mail server there is no outbox to show.
    signed_in(client, "a@example.com")
    assert 'id="notices-pending"' not in client.get("/console/").text


def test_a_reissue_run_queues_one_notice_per_credential_with_an_address(
    notice_client: TestClient,
    notice_services: Services,
    admin_headers: dict[str, str],
    mail_server: MailServer,
) -> None:
    for n, email in enumerate(["a@example.org", "b@example.org", None]):
        holder = {"name": f"考生{n}", "employee_number": f"E-{n}"}
        if email:
            holder["email"] = email
        issued = notice_client.post(
            "/api/v1/credentials", json=issue_body(holder=holder), headers=admin_headers
        )
        assert issued.status_code == 201, issued.text
    old_kid, _new = compromise_active_key(notice_services)
    run_reissue(notice_services, plan(notice_services, old_kid, chunk_size=2))
    with notice_services.read_sessions() as session:
        kinds = [row.kind for row in session.scalars(select(Notice))]
    assert kinds == ["reissued", "reissued"]  # the holder without an address gets none
    report = deliver_due(notice_services)
    assert report.sent == 2
    assert sorted(r for mail in mail_server.inbox for r in mail.recipients) == [
        "a@example.org",
        "b@example.org",
    ]
