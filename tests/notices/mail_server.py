"""A real SMTP server (aiosmtpd) on a loopback port, that a test can stop and start again;
plain, with STARTTLS required, or TLS from the start."""

from __future__ import annotations

import datetime as dt
import email
import email.policy
from dataclasses import dataclass, field
from email.message import EmailMessage
from pathlib import Path
from typing import Any, Literal

from aiosmtpd.controller import Controller

from tests.notices.certificates import ServerCertificate
from tests.servers import free_port


@dataclass(frozen=True)
class Received:
    """One message as the server took it: the envelope's recipients, the parsed message and
    the TLS version of the connection it came over (``None``: plain text)."""

    recipients: list[str]
    message: EmailMessage
    raw: bytes
    tls: str | None = None

    @property
    def body(self) -> str:
        part = self.message.get_body(("plain",))
        assert part is not None
        content: str = part.get_content()
        return content


class _Handler:
    def __init__(self, inbox: list[Received]) -> None:
        self.inbox = inbox

    async def handle_RCPT(  # noqa: N802
        self, _server: Any, _session: Any, envelope: Any, address: str, _options: Any
    ) -> str:
        if address.startswith("nobody@"):  # a mailbox that does not exist: refused for good
            return "550 5.1.1 no such mailbox"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, _session: Any, envelope: Any) -> str:  # noqa: N802
        raw = bytes(envelope.content)
        parsed = email.message_from_bytes(raw, policy=email.policy.default)
        assert isinstance(parsed, EmailMessage)
        tls = server.transport.get_extra_info("ssl_object")
        version = tls.version() if tls is not None else None
        self.inbox.append(Received(list(envelope.rcpt_tos), parsed, raw, version))
        return "250 OK"


@dataclass
class MailServer:
    """An SMTP server on ``port``; ``stop`` and ``start`` simulate an outage.

    ``tls``: ``starttls`` offers STARTTLS and refuses mail before it, ``implicit`` speaks TLS
    from the start, both with ``certificate``. ``scheme`` and ``host`` make ``url``, the
    sender's ``TESSERA_SMTP_URL``; ``trusted`` says whether the sender is given the
    certificate as ``TESSERA_SMTP_CA_FILE``.
    """

    port: int = field(default_factory=free_port)
    inbox: list[Received] = field(default_factory=list)
    tls: Literal["none", "starttls", "implicit"] = "none"
    certificate: ServerCertificate | None = None
    scheme: str = "smtp"
    host: str = "127.0.0.1"
    trusted: bool = True
    _controller: Controller | None = None

    @property
    def url(self) -> str:
        return f"{self.scheme}://{self.host}:{self.port}"

    @property
    def ca_file(self) -> Path | None:
        return self.certificate.cert_file if self.certificate and self.trusted else None

    def start(self) -> None:
        if self._controller is not None:
            return
        options: dict[str, Any] = {}
        if self.tls != "none":
            assert self.certificate is not None
            context = self.certificate.server_context()
            if self.tls == "starttls":
                options = {"tls_context": context, "require_starttls": True}
            else:
                options = {"ssl_context": context}
        self._controller = Controller(
            _Handler(self.inbox), hostname="127.0.0.1", port=self.port, **options
        )
        self._controller.start()

    def stop(self) -> None:
        controller, self._controller = self._controller, None
        if controller is not None:
            controller.stop()


def tls_mail_server(kind: str, certificate: ServerCertificate) -> MailServer:
    """``starttls`` / ``implicit``: a server the sender trusts by ``TESSERA_SMTP_CA_FILE``;
    with ``-untrusted`` it is not given the certificate; ``no-starttls``: a plain server the
    sender is told to use with STARTTLS."""
    tls, _, trust = kind.partition("-")
    if tls == "starttls":
        return MailServer(
            tls="starttls",
            certificate=certificate,
            scheme="smtp+starttls",
            trusted=trust != "untrusted",
        )
    if tls == "implicit":  # by name, as relays are named: the certificate's DNS name
        return MailServer(
            tls="implicit",
            certificate=certificate,
            scheme="smtps",
            host="localhost",
            trusted=trust != "untrusted",
        )
    assert kind == "no-starttls", kind
    return MailServer(scheme="smtp+starttls")


@dataclass
class Clock:
    """A clock the test moves by hand."""

    now: dt.datetime = field(default_factory=lambda: dt.datetime.now(dt.UTC).replace(microsecond=0))

    def __call__(self) -> dt.datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += dt.timedelta(**delta)
