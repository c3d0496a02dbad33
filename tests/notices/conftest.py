"""Fixtures of the holder-notice tests: a real SMTP server and services that send to it.

``mail_server`` is plain SMTP unless a test asks for another by indirect parametrisation:
``starttls`` / ``implicit`` (TLS with a self-signed certificate the sender trusts through
``TESSERA_SMTP_CA_FILE``), ``starttls-untrusted`` / ``implicit-untrusted`` (the sender is
not given it), ``no-starttls`` (a plain server, the sender told to use STARTTLS).
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from pydantic import SecretStr

from issuer.app import create_app
from issuer.config import Settings
from issuer.services import Services
from tests.issuer.helpers import load_catalog
from tests.notices.certificates import ServerCertificate, self_signed
from tests.notices.mail_server import Clock, MailServer, tls_mail_server


@pytest.fixture(scope="session")
def relay_certificate(tmp_path_factory: pytest.TempPathFactory) -> ServerCertificate:
    return self_signed(tmp_path_factory.mktemp("relay-certificate"))


@pytest.fixture
def mail_server(request: pytest.FixtureRequest) -> Iterator[MailServer]:
    kind: str = getattr(request, "param", "plain")
    if kind == "plain":
        server = MailServer()
    else:
        server = tls_mail_server(kind, request.getfixturevalue("relay_certificate"))
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def notice_settings(settings: Settings, mail_server: MailServer) -> Settings:
    """Notices on, sent to ``mail_server``; no sender thread (tests run the sender)."""
    return settings.model_copy(
        update={
            "smtp_url": SecretStr(mail_server.url),
            "smtp_ca_file": mail_server.ca_file,
            "mail_from": "notices@tessera.test",
            "notice_interval_seconds": 0,
            "smtp_timeout_seconds": 2.0,
        }
    )


@pytest.fixture
def notice_services(
    notice_settings: Settings,
    services: Services,  # noqa: ARG001 (identity, signing key, and emptying the tables after)
    clock: Clock,
) -> Iterator[Services]:
    """Services of a process that sends notices, on the shared test database and catalog."""
    sender = Services.from_settings(notice_settings, clock=clock)
    load_catalog(sender)
    try:
        yield sender
    finally:
        sender.engine.dispose()


@pytest.fixture
def notice_client(notice_settings: Settings, notice_services: Services) -> Iterator[TestClient]:
    with TestClient(create_app(notice_settings, services=notice_services)) as test_client:
        yield test_client
