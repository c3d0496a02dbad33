"""Hand messages to the SMTP server of ``TESSERA_SMTP_URL`` (smtplib), one connection a batch.

``smtp://`` talks plain SMTP (a relay on loopback), ``smtp+starttls://`` upgrades with
STARTTLS and refuses a server that does not offer it, ``smtps://`` speaks TLS from the start;
TLS checks the server's certificate and name against the system's authorities, or only those
of ``TESSERA_SMTP_CA_FILE`` when it is set. A user and password in the URL log in. Failures
become ``MailError`` with a short code for the outbox (``connect``, ``tls``,
``tls_certificate``, ``auth``, ``timeout``, ``smtp_<reply code>``) and whether retrying
cannot help (a 5xx reply to the recipient or the message); the URL and the addresses never
appear in them.
"""

from __future__ import annotations

import smtplib
import ssl
from email.message import EmailMessage
from urllib.parse import unquote

from issuer.config import Settings, check_smtp_url

_PORTS = {"smtp": 25, "smtp+starttls": 587, "smtps": 465}


class MailError(Exception):
    def __init__(self, code: str, *, permanent: bool = False) -> None:
        super().__init__(code)
        self.code = code
        self.permanent = permanent


class Mailer:
    """Sends messages over one SMTP connection, opened on first use; ``close`` ends it."""

    def __init__(self, settings: Settings) -> None:
        assert settings.smtp_url is not None
        self._url = settings.smtp_url
        self._timeout = settings.smtp_timeout_seconds
        self._ca_file = settings.smtp_ca_file
        self._connection: smtplib.SMTP | None = None

    def send(self, message: EmailMessage, recipient: str) -> None:
        try:
            connection = self._connection or self._connect()
            refused = connection.send_message(message, to_addrs=[recipient])
        except MailError:
            self.close()
            raise
        except smtplib.SMTPRecipientsRefused as exc:
            codes = [code for code, _text in exc.recipients.values()]
            code = codes[0] if codes else 550
            raise MailError(f"smtp_{code}", permanent=500 <= code < 600) from None
        except smtplib.SMTPResponseException as exc:
            self.close()
            code = exc.smtp_code
            raise MailError(f"smtp_{code}", permanent=500 <= code < 600) from None
        except TimeoutError:
            self.close()
            raise MailError("timeout") from None
        except (smtplib.SMTPException, OSError):
            self.close()
            raise MailError("connect") from None
        if refused:
            raise MailError("smtp_refused", permanent=True)

    def _connect(self) -> smtplib.SMTP:
        parts = check_smtp_url(self._url.get_secret_value())
        host, port = parts.hostname or "", parts.port or _PORTS[parts.scheme]
        context = ssl.create_default_context(cafile=self._ca_file)
        connection: smtplib.SMTP
        try:
            if parts.scheme == "smtps":
                connection = smtplib.SMTP_SSL(host, port, timeout=self._timeout, context=context)
            else:
                connection = smtplib.SMTP(host, port, timeout=self._timeout)
            connection.ehlo()
        except ssl.SSLCertVerificationError:
            raise MailError("tls_certificate") from None
        except ssl.SSLError:
            raise MailError("tls") from None
        except TimeoutError:
            raise MailError("timeout") from None
        except (smtplib.SMTPException, OSError):
            raise MailError("connect") from None
        self._connection = connection
        try:
            if parts.scheme == "smtp+starttls":
                if not connection.has_extn("starttls"):
                    raise MailError("tls")
                connection.starttls(context=context)
                connection.ehlo()
            if parts.username:
                connection.login(unquote(parts.username), unquote(parts.password or ""))
        except ssl.SSLCertVerificationError:
            raise MailError("tls_certificate") from None
        except (ssl.SSLError, smtplib.SMTPNotSupportedError):
            raise MailError("tls") from None
        except smtplib.SMTPAuthenticationError:
            raise MailError("auth") from None
        return connection

    def close(self) -> None:
        connection, self._connection = self._connection, None
        if connection is None:
            return
        try:
            connection.quit()
        except (smtplib.SMTPException, OSError):
            connection.close()
