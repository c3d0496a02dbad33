"""Look-up by certificate number for the verify API and page (decision 0027).

``LocalLookup`` answers ``{"certificate_number", "holder_name"}`` from this issuer's register
with the verdict of the credential itself, or ``not_found``. Nothing in the answer, or in
the work behind it, tells an unknown number from a name that does not match:

- the same steps on both paths: one query by number, one constant-time name comparison
  (``match_certificate``), the stand-in token read (cached after the first), and one
  verification: of the matched credential, else of a stand-in (another stored credential,
  whose result is thrown away); then the same ``not_found`` result;
- its own, stricter rate limit per client (``TESSERA_LOOKUP_RATE_LIMIT``);
- the matched credential's display fields only as the printed certificate shows them, with
  its certificate number (not the holder's pseudonymous subject id);
- nothing logged of the number or the name.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from typing import Final

from sqlalchemy import bindparam, select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from issuer.credentials.lookup import match_certificate
from issuer.services import Services
from issuer.store.models import Credential
from issuer.web.middleware.rate_limit import RateLimiter
from verifier.errors import CredentialErrorCode, LocatorError
from verifier.result import CredentialDisplay, VerificationResult
from verifier.verification import Verifier

PRINTED_FIELDS: Final = frozenset(
    {
        "credential_id",  # in the verify link printed under the QR code
        "credential_name",
        "credential_types",
        "issuer_id",
        "issuer_name",
        "holder_name",
        "employee_number",
        "achievement_id",
        "achievement_name",
        "achievement_code",
        "achievement_type",
        # the achievement's own public definition (/achievements/{code}), not the holder's
        "achievement_description",
        "criteria_narrative",
        "criteria_url",
        "unit_id",
        "unit_name",
        "valid_from",
        "valid_until",
        "awarded_date",
        "exam_date",
        "key_id",
    }
)
"""The display fields a look-up answers: what the printed certificate shows (or its verify
link and QR code carry), never the holder's subject id, which links their credentials."""


def printed_display(display: CredentialDisplay, number: str) -> CredentialDisplay:
    """``display`` cut to ``PRINTED_FIELDS``, with the certificate number."""
    kept = display.model_dump(include=set(PRINTED_FIELDS))
    return CredentialDisplay(**kept, certificate_number=number)


class LocalLookup:
    """The verify router's ``CertificateLookup`` for this issuer's own register."""

    def __init__(self, services: Services, verifier: Verifier, limiter: RateLimiter | None) -> None:
        self._services = services
        self._verifier = verifier
        self._limiter = limiter
        self._lock = threading.Lock()
        self._stand_in: str | None = None

    def retry_after(self, client: str) -> float:
        return self._limiter.retry_after(client) if self._limiter is not None else 0.0

    def lookup(self, certificate_number: str, holder_name: str) -> VerificationResult:
        try:
            with self._services.read_sessions() as session:
                match = match_certificate(session, certificate_number, holder_name)
                stand_in = self._stand_in_token(session)
        except SQLAlchemyError:
            return self._verifier.not_located(
                LocatorError(
                    "the credential store is unavailable",
                    code=CredentialErrorCode.CREDENTIAL_STORE_UNAVAILABLE,
                )
            )
        result = self._verifier.verify(match.token if match is not None else stand_in)
        if match is None:
            return self._verifier.not_located(
                LocatorError(
                    "no credential has this certificate number and holder name",
                    code=CredentialErrorCode.CREDENTIAL_NOT_FOUND,
                )
            )
        if result.credential is None:
            return result
        return result.model_copy(
            update={"credential": printed_display(result.credential, match.number)}
        )

    def _stand_in_token(self, session: Session) -> str:
        """A stored credential verified in place of a match that failed, read once per
        process; an empty text while the register is empty (nothing to tell apart)."""
        with self._lock:
            if self._stand_in is None:
                token = session.scalars(
                    select(Credential.jws).order_by(Credential.issued_at, Credential.id).limit(1)
                ).first()
                self._stand_in = token
            return self._stand_in or ""


_NUMBER_OF = select(Credential.number).where(Credential.id == bindparam("credential_id"))


class CertificateNumbers:
    """Adds the certificate number (证书编号) to the result of one of this issuer's own
    credentials: the number is the register's, not signed into the credential (decision
    0005), so only this server can say it. Remembered per credential id (it never changes)."""

    def __init__(self, services: Services, *, size: int = 4096) -> None:
        self._services = services
        self._size = size
        self._lock = threading.Lock()
        self._numbers: OrderedDict[str, str] = OrderedDict()

    def __call__(self, result: VerificationResult) -> VerificationResult:
        display = result.credential
        if display is None or display.issuer_id != self._services.base_url:
            return result
        credential_id = (display.credential_id or "").removeprefix("urn:uuid:")
        number = self._number(credential_id)
        if number is None:
            return result
        return result.model_copy(
            update={"credential": display.model_copy(update={"certificate_number": number})}
        )

    def _number(self, credential_id: str) -> str | None:
        with self._lock:
            if credential_id in self._numbers:
                self._numbers.move_to_end(credential_id)
                return self._numbers[credential_id]
        try:
            # One column by primary key: a Core read on a pooled connection, no ORM session
            # (a session cost about as much as the rest of a first sight, decision 0063).
            with self._services.engine.connect() as connection:
                number = connection.scalar(_NUMBER_OF, {"credential_id": credential_id})
        except SQLAlchemyError:
            return None  # the verdict stands without it
        if number is not None:
            with self._lock:
                self._numbers[credential_id] = number
                while len(self._numbers) > self._size:
                    self._numbers.popitem(last=False)
        return number
