"""Notices to holders by e-mail, sent to a real SMTP server (aiosmtpd) started by the test.

A lifecycle change queues its notice in its own transaction; the sender (``deliver_due``, as
the server's thread and ``tessera notices send`` run it) sends it, retries with back-off while
the server is down, and never sends one twice.
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from typer.testing import CliRunner

from issuer.app import create_app
from issuer.cli.main import app as tessera
from issuer.config import Settings
from issuer.credentials.notices import claim_due
from issuer.documents.notice_delivery import deliver_due, scan_expiring
from issuer.services import Services
from issuer.store.engine import session_scope
from issuer.store.models import AuditEvent, Credential, Notice
from tests.issuer.campaign_files import HEADER_ZH, csv_bytes
from tests.issuer.helpers import cli_env, issue_body, load_catalog, run_cli
from tests.notices.mail_server import Clock, MailServer

ADDRESS = "wang.xiaoming@example.org"


def _issue(client: TestClient, headers: dict[str, str], **changes: Any) -> dict[str, Any]:
    holder = {"name": "王小明", "employee_number": "E-0001", "email": ADDRESS}
    holder.update(changes.pop("holder", {}))
    response = client.post(
        "/api/v1/credentials", json=issue_body(holder=holder, **changes), headers=headers
    )
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


def _notices(services: Services) -> list[Notice]:
    with services.read_sessions() as session:
        return list(session.scalars(select(Notice).order_by(Notice.id)))


def test_a_revocation_sends_one_bilingual_mail_with_the_reason(
    notice_client: TestClient,
    notice_services: Services,
    admin_headers: dict[str, str],
    mail_server: MailServer,
    clock: Clock,
) -> None:
    credential = _issue(notice_client, admin_headers)
    assert credential["holder"]["notices"] is True
    assert ADDRESS not in str(credential)  # the API never shows the address
    revoked = notice_client.post(
        f"/api/v1/credentials/{credential['id']}/revoke",
        json={"reason": "exam_misconduct"},
        headers=admin_headers,
    )
    assert revoked.status_code == 200
    assert mail_server.inbox == []  # the request only queued it

    report = deliver_due(notice_services)
    assert (report.sent, report.retrying, report.failed) == (1, 0, 0)
    [mail] = mail_server.inbox
    assert mail.recipients == [ADDRESS]
    message = mail.message
    assert message["To"] == ADDRESS
    assert message["From"] == "notices@tessera.test"
    assert message["Subject"] == f"证书已撤销 / Credential revoked: {credential['number']}"
    assert b"=?utf-8?" in mail.raw.split(b"\n\n", 1)[0].lower()  # RFC 2047 encoded subject
    assert message["Message-ID"].endswith("@tessera.test>")
    assert message["Date"] is not None
    assert message["Auto-Submitted"] == "auto-generated"
    body = mail.body
    for text in ("您的证书已被撤销", "考试违纪", "has been revoked", "Exam misconduct"):
        assert text in body
    assert credential["links"]["verify"] in body
    assert f"Date: {clock.now:%Y-%m-%d %H:%M} UTC" in body  # the date of the change

    assert deliver_due(notice_services).sent == 0  # sent once, never again
    assert len(mail_server.inbox) == 1
    [notice] = _notices(notice_services)
    assert (notice.state, notice.attempts, notice.kind) == ("sent", 1, "revoked")


def test_suspend_and_reinstate_each_send_a_notice(
    notice_client: TestClient,
    notice_services: Services,
    admin_headers: dict[str, str],
    mail_server: MailServer,
) -> None:
    credential = _issue(notice_client, admin_headers)
    url = f"/api/v1/credentials/{credential['id']}"
    assert (
        notice_client.post(
            f"{url}/suspend", json={"reason": "holder_request"}, headers=admin_headers
        ).status_code
        == 200
    )
    assert notice_client.post(f"{url}/reinstate", json={}, headers=admin_headers).status_code == 200
    assert deliver_due(notice_services).sent == 2
    subjects = [mail.message["Subject"] for mail in mail_server.inbox]
    assert [s.split(":")[0] for s in subjects] == [
        "证书已暂停 / Credential suspended",
        "证书已恢复有效 / Credential reinstated",
    ]
    assert "At the holder's request" in mail_server.inbox[0].body


def test_a_reissue_mail_has_the_new_credentials_link_and_goes_to_the_new_address(
    notice_client: TestClient,
    notice_services: Services,
    admin_headers: dict[str, str],
    mail_server: MailServer,
) -> None:
    credential = _issue(notice_client, admin_headers)
    response = notice_client.post(
        f"/api/v1/credentials/{credential['id']}/reissue",
        json={
            "reason": "data_correction",
            "level": "intermediate",
            "holder_email": "Wang@New.Example.org",
        },
        headers=admin_headers,
    )
    assert response.status_code == 201, response.text
    new = response.json()["credential"]
    assert deliver_due(notice_services).sent == 1
    [mail] = mail_server.inbox
    assert mail.recipients == ["Wang@new.example.org"]
    assert "证书已换发 / Credential reissued" in mail.message["Subject"]
    assert f"New credential: {new['links']['verify']}" in mail.body
    assert f"新证书：{new['links']['verify']}" in mail.body
    assert "Data correction" in mail.body
    with notice_services.read_sessions() as session:
        stored = session.get(Credential, new["id"])
        assert stored is not None
        assert stored.holder_email == "Wang@new.example.org"
        assert "example.org" not in stored.jws  # never signed into the credential


def test_with_the_smtp_server_down_the_request_succeeds_and_the_notice_waits_with_back_off(
    notice_client: TestClient,
    notice_services: Services,
    admin_headers: dict[str, str],
    mail_server: MailServer,
    clock: Clock,
) -> None:
    credential = _issue(notice_client, admin_headers)
    mail_server.stop()
    revoked = notice_client.post(
        f"/api/v1/credentials/{credential['id']}/revoke",
        json={"reason": "issued_in_error"},
        headers=admin_headers,
    )
    assert revoked.status_code == 200  # the registrar's request never waits for SMTP

    first = deliver_due(notice_services)
    assert (first.sent, first.retrying) == (0, 1)
    [notice] = _notices(notice_services)
    assert (notice.state, notice.attempts, notice.last_error) == ("pending", 1, "connect")
    assert notice.next_attempt_at == clock.now + dt.timedelta(seconds=60)
    assert deliver_due(notice_services).retrying == 0  # not due again before the back-off

    clock.advance(seconds=61)
    assert deliver_due(notice_services).retrying == 1
    [notice] = _notices(notice_services)
    assert notice.attempts == 2
    assert notice.next_attempt_at == clock.now + dt.timedelta(seconds=120)  # doubled

    mail_server.start()
    assert deliver_due(notice_services).sent == 0  # still backing off
    clock.advance(seconds=121)
    assert deliver_due(notice_services).sent == 1
    assert len(mail_server.inbox) == 1
    [notice] = _notices(notice_services)
    assert (notice.state, notice.attempts, notice.last_error) == ("sent", 3, None)


def test_the_back_off_is_capped_and_the_sender_gives_up_after_the_last_attempt(
    notice_client: TestClient,
    notice_services: Services,
    admin_headers: dict[str, str],
    mail_server: MailServer,
    clock: Clock,
) -> None:
    sender = Services.from_settings(
        notice_services.settings.model_copy(
            update={"notice_retry_max_seconds": 100, "notice_max_attempts": 4}
        ),
        clock=clock,
    )
    try:
        credential = _issue(notice_client, admin_headers)
        mail_server.stop()
        notice_client.post(
            f"/api/v1/credentials/{credential['id']}/revoke",
            json={"reason": "issued_in_error"},
            headers=admin_headers,
        )
        delays = []
        for _ in range(4):
            deliver_due(sender)
            [notice] = _notices(sender)
            delays.append((notice.next_attempt_at - clock.now).total_seconds())
            clock.advance(seconds=101)
        assert delays == [60, 100, 100, 100]
        assert (notice.state, notice.attempts) == ("failed", 4)
    finally:
        sender.engine.dispose()


def test_a_mailbox_refused_for_good_is_given_up_at_once(
    notice_client: TestClient,
    notice_services: Services,
    admin_headers: dict[str, str],
    mail_server: MailServer,
) -> None:
    credential = _issue(notice_client, admin_headers, holder={"email": "nobody@example.org"})
    notice_client.post(
        f"/api/v1/credentials/{credential['id']}/revoke",
        json={"reason": "issued_in_error"},
        headers=admin_headers,
    )
    report = deliver_due(notice_services)
    assert (report.sent, report.retrying, report.failed) == (0, 0, 1)
    [notice] = _notices(notice_services)
    assert (notice.state, notice.last_error, notice.attempts) == ("failed", "smtp_550", 1)
    assert mail_server.inbox == []


def test_a_restart_sends_nothing_twice_and_finishes_what_a_dead_sender_claimed(
    notice_client: TestClient,
    notice_services: Services,
    admin_headers: dict[str, str],
    mail_server: MailServer,
    clock: Clock,
) -> None:
    first = _issue(notice_client, admin_headers)
    second = _issue(notice_client, admin_headers, exam={"date": "2026-10-15", "session": "S-2"})
    for credential in (first, second):
        notice_client.post(
            f"/api/v1/credentials/{credential['id']}/revoke",
            json={"reason": "issued_in_error"},
            headers=admin_headers,
        )
    with session_scope(notice_services.sessions) as session:  # a sender that dies after claiming
        [claimed] = claim_due(
            session,
            now=clock.now,
            limit=1,
            base=dt.timedelta(seconds=60),
            cap=dt.timedelta(hours=1),
            lease=dt.timedelta(seconds=6),
        )
    assert deliver_due(notice_services).sent == 1  # the other one; the claimed one waits
    restarted = Services.from_settings(notice_services.settings, clock=clock)
    try:
        assert deliver_due(restarted).sent == 0
        clock.advance(seconds=61)
        assert deliver_due(restarted).sent == 1
        assert deliver_due(restarted).sent == 0
    finally:
        restarted.engine.dispose()
    assert len(mail_server.inbox) == 2
    assert len({mail.message["Message-ID"] for mail in mail_server.inbox}) == 2
    assert {n.state for n in _notices(notice_services)} == {"sent"}
    assert claimed.id in {n.id for n in _notices(notice_services)}


def test_two_senders_claim_different_notices(
    notice_client: TestClient,
    notice_services: Services,
    admin_headers: dict[str, str],
    clock: Clock,
) -> None:
    for number in range(3):
        credential = _issue(
            notice_client, admin_headers, exam={"date": "2026-10-15", "session": f"S-{number}"}
        )
        notice_client.post(
            f"/api/v1/credentials/{credential['id']}/revoke",
            json={"reason": "issued_in_error"},
            headers=admin_headers,
        )
    terms: dict[str, Any] = {
        "now": clock.now,
        "base": dt.timedelta(seconds=60),
        "cap": dt.timedelta(hours=1),
        "lease": dt.timedelta(seconds=6),
    }
    first = notice_services.sessions()
    try:
        mine = {n.id for n in claim_due(first, limit=2, **terms)}
        if notice_services.settings.is_sqlite:  # one writer at a time: the other claims after
            first.commit()
        with session_scope(notice_services.sessions) as second:  # PostgreSQL: SKIP LOCKED
            theirs = {n.id for n in claim_due(second, limit=3, **terms)}
        first.commit()
    finally:
        first.close()
    assert len(mine) == 2
    assert len(theirs) == 1
    assert mine.isdisjoint(theirs)


def test_the_expiry_scan_queues_one_notice_per_credential_30_days_ahead(
    notice_client: TestClient,
    notice_services: Services,
    admin_headers: dict[str, str],
    mail_server: MailServer,
    clock: Clock,
) -> None:
    soon = _issue(
        notice_client, admin_headers, valid_until=(clock.now + dt.timedelta(days=20)).isoformat()
    )
    later = _issue(
        notice_client,
        admin_headers,
        exam={"date": "2026-10-15", "session": "S-2"},
        valid_until=(clock.now + dt.timedelta(days=40)).isoformat(),
    )
    _issue(  # no address: no notice
        notice_client,
        admin_headers,
        holder={"name": "李四", "employee_number": "E-0002", "email": None},
        valid_until=(clock.now + dt.timedelta(days=10)).isoformat(),
    )
    assert scan_expiring(notice_services) == 1
    assert scan_expiring(notice_services) == 0  # once per credential
    assert deliver_due(notice_services).sent == 1
    [mail] = mail_server.inbox
    assert "证书即将到期 / Credential expiring" in mail.message["Subject"]
    assert soon["number"] in mail.message["Subject"]
    assert f"Valid until: {(clock.now + dt.timedelta(days=20)).strftime('%Y-%m-%d')}" in mail.body

    clock.advance(days=11)
    assert scan_expiring(notice_services) == 1
    assert [n.credential_id for n in _notices(notice_services)][-1] == later["id"]
    assert scan_expiring(notice_services) == 0


def test_a_share_link_with_opt_in_tells_the_holder_at_most_once_an_hour(
    notice_client: TestClient,
    notice_services: Services,
    admin_headers: dict[str, str],
    mail_server: MailServer,
    clock: Clock,
) -> None:
    credential = _issue(notice_client, admin_headers)
    links = f"/api/v1/credentials/{credential['id']}/share-links"
    plain = notice_client.post(links, headers=admin_headers).json()
    opted = notice_client.post(links, json={"notify_on_open": True}, headers=admin_headers)
    assert opted.status_code == 201
    assert opted.json()["notify_on_open"] is True
    path = opted.json()["url"].removeprefix("https://tessera.test")
    for _ in range(3):
        assert notice_client.get(path, headers={"User-Agent": "EmployerBot/1.0"}).status_code == 200
    assert notice_client.get(plain["url"].removeprefix("https://tessera.test")).status_code == 200
    assert deliver_due(notice_services).sent == 1
    [mail] = mail_server.inbox
    assert "分享链接已被打开 / Share link opened" in mail.message["Subject"]
    assert "opened 3 times" in mail.body
    assert "EmployerBot" not in mail.raw.decode()
    assert "testclient" not in mail.raw.decode()

    clock.advance(minutes=61)
    notice_client.get(path)
    assert deliver_due(notice_services).sent == 1
    assert "opened 4 times" in mail_server.inbox[1].body
    listed = notice_client.get(links, headers=admin_headers).json()
    assert [link["open_count"] for link in listed] == [0, 4]


def test_opting_in_needs_an_address(
    notice_client: TestClient, admin_headers: dict[str, str]
) -> None:
    credential = _issue(notice_client, admin_headers, holder={"email": None})
    response = notice_client.post(
        f"/api/v1/credentials/{credential['id']}/share-links",
        json={"notify_on_open": True},
        headers=admin_headers,
    )
    assert response.status_code == 422
    assert response.json()["code"] == "no_holder_email"


MALFORMED = [
    "not-an-address",
    "a@b",
    "wang@example.org\r\nBcc: x@example.org",
    "a@example.org, b@example.org",
    "王@例子.中国",
    "x" * 65 + "@example.org",
]


def test_a_malformed_address_is_refused_with_422_and_changes_nothing(
    notice_client: TestClient, notice_services: Services, admin_headers: dict[str, str]
) -> None:
    for address in MALFORMED:
        body = issue_body(holder={"name": "王小明", "employee_number": "E-0001", "email": address})
        response = notice_client.post("/api/v1/credentials", json=body, headers=admin_headers)
        assert response.status_code == 422, address
        problem = response.json()
        assert problem["code"] == "invalid_request"
        assert problem["errors"][0]["field"] == "holder.email"
        assert "example.org" not in response.text.replace("name@example.org", "")  # not echoed
    credential = _issue(notice_client, admin_headers)
    reissue = notice_client.post(
        f"/api/v1/credentials/{credential['id']}/reissue",
        json={"reason": "data_correction", "level": "junior", "holder_email": MALFORMED[1]},
        headers=admin_headers,
    )
    assert reissue.status_code == 422
    assert reissue.json()["errors"][0]["field"] == "holder_email"
    with notice_services.read_sessions() as session:
        assert list(session.scalars(select(Credential.state))) == ["active"]


def test_the_servers_own_thread_delivers_without_being_asked(
    notice_settings: Settings,
    notice_services: Services,
    admin_headers: dict[str, str],
    mail_server: MailServer,
) -> None:
    threaded = notice_settings.model_copy(update={"notice_interval_seconds": 1})
    with TestClient(create_app(threaded, services=notice_services)) as client:
        credential = _issue(client, admin_headers)
        revoked = client.post(
            f"/api/v1/credentials/{credential['id']}/revoke",
            json={"reason": "issued_in_error"},
            headers=admin_headers,
        )
        assert revoked.status_code == 200
        deadline = time.monotonic() + 20
        while not mail_server.inbox and time.monotonic() < deadline:
            time.sleep(0.05)
    [mail] = mail_server.inbox
    assert "Credential revoked" in mail.message["Subject"]


def test_without_an_smtp_server_configured_no_notice_is_queued(
    client: TestClient, services: Services, admin_headers: dict[str, str]
) -> None:
    load_catalog(services)
    credential = _issue(client, admin_headers)
    client.post(
        f"/api/v1/credentials/{credential['id']}/revoke",
        json={"reason": "issued_in_error"},
        headers=admin_headers,
    )
    assert _notices(services) == []
    code, output = run_cli(services.settings, "notices", "send")
    assert code == 1
    assert "TESSERA_SMTP_URL is not set" in output


def test_the_address_is_never_logged_audited_or_signed(
    notice_client: TestClient,
    notice_services: Services,
    admin_headers: dict[str, str],
    mail_server: MailServer,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    credential = _issue(notice_client, admin_headers)
    notice_client.post(
        f"/api/v1/credentials/{credential['id']}/suspend",
        json={"reason": "holder_request"},
        headers=admin_headers,
    )
    notice_client.post(
        f"/api/v1/credentials/{credential['id']}/reissue",
        json={"reason": "data_correction", "level": "junior"},
        headers=admin_headers,
    )
    mail_server.stop()
    notice_client.post(
        f"/api/v1/credentials/{credential['id']}/share-links",
        json={"notify_on_open": True},
        headers=admin_headers,
    )
    deliver_due(notice_services)
    mail_server.start()
    assert any(record.getMessage() == "notice not sent: connect" for record in caplog.records)
    logged = " ".join(f"{record.getMessage()} {record.__dict__}" for record in caplog.records)
    assert "example.org" not in logged
    with notice_services.read_sessions() as session:
        details = str(
            [(e.details, e.target, e.reason) for e in session.scalars(select(AuditEvent))]
        )
        tokens = list(session.scalars(select(Credential.jws)))
    assert "example.org" not in details
    assert tokens
    assert all("example.org" not in token for token in tokens)


def test_tessera_notices_send_and_status(
    notice_client: TestClient,
    notice_services: Services,
    admin_headers: dict[str, str],
    mail_server: MailServer,
) -> None:
    credential = _issue(notice_client, admin_headers)
    notice_client.post(
        f"/api/v1/credentials/{credential['id']}/revoke",
        json={"reason": "issued_in_error"},
        headers=admin_headers,
    )
    settings = notice_services.settings
    env = {
        **cli_env(settings),
        "TESSERA_SMTP_URL": mail_server.url,
        "TESSERA_MAIL_FROM": "notices@tessera.test",
    }
    status = CliRunner().invoke(tessera, ["notices", "status"], env=env)
    assert status.exit_code == 0
    assert "pending 1, sent 0, failed 0" in status.output
    sent = CliRunner().invoke(tessera, ["notices", "send"], env=env)
    assert sent.exit_code == 0, sent.output
    assert "sent 1, to retry 0, given up 0" in sent.output
    assert len(mail_server.inbox) == 1
    again = CliRunner().invoke(tessera, ["notices", "send"], env=env)
    assert "sent 0," in again.output
    assert len(mail_server.inbox) == 1


def test_an_import_takes_the_email_column_and_refuses_a_malformed_address(
    notice_client: TestClient, notice_services: Services, admin_headers: dict[str, str]
) -> None:
    row = ["王小明", "E-0001", "6-17-05-01", "高级", "U01", "2026-10-14", "S-1", "91", "合格"]
    other = ["李四", "E-0002", "6-17-05-01", "中级", "U01", "2026-10-14", "S-1", "80", "合格"]
    body = csv_bytes(
        [[*row, ADDRESS], [*other, "li@@example.org"]], header=[*HEADER_ZH, "电子邮箱"]
    )
    files = {"file": ("campaign.csv", body.encode("utf-8"), "text/csv")}
    started = notice_client.post("/api/v1/imports", files=files, headers=admin_headers)
    assert started.status_code == 202, started.text
    report = notice_client.get(started.headers["location"], headers=admin_headers).json()
    assert report["counts"] == {
        "issued": 1,
        "would_issue": 0,
        "already_issued": 0,
        "not_passed": 0,
        "invalid": 1,
    }
    [bad] = [r for r in report["rows"] if r["status"] != "issued"]
    assert (bad["row"], bad["column"], bad["reason"]) == (3, "email", "invalid_email")
    assert "example.org" not in str(report)
    with notice_services.read_sessions() as session:
        assert list(session.scalars(select(Credential.holder_email))) == [ADDRESS]
