"""Notices sent over TLS to a real SMTP server (aiosmtpd) with a self-signed certificate.

``smtp+starttls://`` against a server that requires STARTTLS, ``smtps://`` against one that
speaks TLS from the start; the sender trusts the relay through ``TESSERA_SMTP_CA_FILE``.
Without it the certificate is refused (error ``tls_certificate``) and the notice waits for
its next attempt; a server that does not offer STARTTLS gets nothing in plain text.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from issuer.config import load_settings
from issuer.documents.notice_delivery import deliver_due
from issuer.errors import ConfigurationError
from issuer.services import Services
from issuer.store.models import Notice
from tests.issuer.helpers import issue_body
from tests.notices.certificates import ServerCertificate
from tests.notices.mail_server import Clock, MailServer

ADDRESS = "li.hua@example.org"


def _revoke(client: TestClient, headers: dict[str, str]) -> dict[str, Any]:
    holder = {"name": "李华", "employee_number": "E-0002", "email": ADDRESS}
    response = client.post("/api/v1/credentials", json=issue_body(holder=holder), headers=headers)
    assert response.status_code == 201, response.text
    credential: dict[str, Any] = response.json()
    revoked = client.post(
        f"/api/v1/credentials/{credential['id']}/revoke",
        json={"reason": "issued_in_error"},
        headers=headers,
    )
    assert revoked.status_code == 200, revoked.text
    return credential


def _notice(services: Services) -> Notice:
    with services.read_sessions() as session:
        [notice] = session.scalars(select(Notice))
        return notice


@pytest.mark.parametrize("mail_server", ["starttls", "implicit"], indirect=True)
def test_a_notice_goes_over_tls_to_a_relay_trusted_by_its_ca_file(
    notice_client: TestClient,
    notice_services: Services,
    admin_headers: dict[str, str],
    mail_server: MailServer,
) -> None:
    assert notice_services.settings.smtp_ca_file == mail_server.ca_file is not None
    credential = _revoke(notice_client, admin_headers)
    report = deliver_due(notice_services)
    assert (report.sent, report.retrying, report.failed) == (1, 0, 0)
    [mail] = mail_server.inbox
    assert mail.tls in {"TLSv1.2", "TLSv1.3"}  # the message itself came over TLS
    assert mail.recipients == [ADDRESS]
    assert credential["number"] in mail.message["Subject"]
    notice = _notice(notice_services)
    assert (notice.state, notice.attempts, notice.last_error) == ("sent", 1, None)


@pytest.mark.parametrize("mail_server", ["starttls-untrusted", "implicit-untrusted"], indirect=True)
def test_without_the_ca_file_the_certificate_is_refused_and_the_notice_retried(
    notice_client: TestClient,
    notice_services: Services,
    admin_headers: dict[str, str],
    mail_server: MailServer,
    relay_certificate: ServerCertificate,
    clock: Clock,
) -> None:
    assert notice_services.settings.smtp_ca_file is None  # the system's authorities only
    _revoke(notice_client, admin_headers)
    report = deliver_due(notice_services)
    assert (report.sent, report.retrying, report.failed) == (0, 1, 0)
    assert mail_server.inbox == []
    notice = _notice(notice_services)
    assert (notice.state, notice.attempts, notice.last_error) == ("pending", 1, "tls_certificate")

    assert deliver_due(notice_services).retrying == 0  # not due yet: the back-off holds
    clock.advance(seconds=notice_services.settings.notice_retry_seconds)
    assert deliver_due(notice_services).retrying == 1  # tried again, refused again
    notice = _notice(notice_services)
    assert (notice.state, notice.attempts, notice.last_error) == ("pending", 2, "tls_certificate")

    # The operator gives the relay's CA; the next attempt delivers.
    notice_services.settings = notice_services.settings.model_copy(
        update={"smtp_ca_file": relay_certificate.cert_file}
    )
    clock.advance(seconds=2 * notice_services.settings.notice_retry_seconds)
    assert deliver_due(notice_services).sent == 1
    [mail] = mail_server.inbox
    assert mail.tls is not None
    notice = _notice(notice_services)
    assert (notice.state, notice.attempts, notice.last_error) == ("sent", 3, None)


@pytest.mark.parametrize("mail_server", ["no-starttls"], indirect=True)
def test_starttls_is_never_downgraded_to_plain_text(
    notice_client: TestClient,
    notice_services: Services,
    admin_headers: dict[str, str],
    mail_server: MailServer,
) -> None:
    assert mail_server.url.startswith("smtp+starttls://")
    _revoke(notice_client, admin_headers)
    report = deliver_due(notice_services)
    assert (report.sent, report.retrying) == (0, 1)
    assert mail_server.inbox == []  # the server would have taken it in plain text
    notice = _notice(notice_services)
    assert (notice.state, notice.last_error) == ("pending", "tls")


def test_the_ca_file_is_checked_when_the_settings_are_read(
    relay_certificate: ServerCertificate, tmp_path: Path
) -> None:
    tls_url = "smtps://user:pa55word@relay.example.org"
    mail = {"mail_from": "notices@example.org"}
    good = load_settings(smtp_url=tls_url, smtp_ca_file=str(relay_certificate.cert_file), **mail)
    assert good.smtp_ca_file == relay_certificate.cert_file
    not_pem = tmp_path / "not-a-certificate.pem"
    not_pem.write_text("hello\n")
    for bad in (tmp_path / "missing.pem", not_pem, relay_certificate.key_file, tmp_path):
        with pytest.raises(ConfigurationError, match="TESSERA_SMTP_CA_FILE must be a readable"):
            load_settings(smtp_url=tls_url, smtp_ca_file=str(bad), **mail)
    for url in ("smtp://127.0.0.1:25", None):
        with pytest.raises(ConfigurationError, match="needs a TESSERA_SMTP_URL") as caught:
            load_settings(smtp_url=url, smtp_ca_file=str(relay_certificate.cert_file), **mail)
        assert "pa55word" not in str(caught.value)
