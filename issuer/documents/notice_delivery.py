"""Deliver the outbox: claim due notices, send them outside any transaction, record outcomes.

Run by a thread of each server process (``issuer/web/notices.py``) and by ``tessera notices
send``; any number of them may run at once (``claim_due``). Logs say that a notice was sent,
its id and kind, never to whom (decision 0030).
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass

from sqlalchemy.orm import Session

from issuer.credentials.notices import (
    claim_due,
    queue_expiry_notices,
    record_failure,
    record_sent,
)
from issuer.documents.mailer import Mailer, MailError
from issuer.documents.notice_mail import Letter, notice_letter
from issuer.services import Services
from issuer.store.engine import session_scope
from issuer.store.models import Credential, Notice, ShareLink
from issuer.vocabulary import NoticeKind

log = logging.getLogger(__name__)

BATCH = 50


@dataclass
class DeliveryReport:
    """What one run did: notices sent, to be tried again, given up; expiry notices queued."""

    sent: int = 0
    retrying: int = 0
    failed: int = 0
    queued: int = 0


def scan_expiring(services: Services) -> int:
    """Queue the notices of credentials that expire within ``TESSERA_NOTICE_EXPIRY_DAYS``."""
    ahead = dt.timedelta(days=services.settings.notice_expiry_days)
    with session_scope(services.sessions) as session:
        queued = queue_expiry_notices(session, now=services.clock(), ahead=ahead)
    if queued:
        log.info("expiry notices queued", extra={"count": queued})
    return queued


def deliver_due(services: Services, *, limit: int = 1000) -> DeliveryReport:
    """Send every notice due now, in batches of ``BATCH``, up to ``limit``."""
    report = DeliveryReport()
    mailer = Mailer(services.settings)
    try:
        while limit > 0:
            letters, dropped = _claim(services, min(BATCH, limit))
            report.failed += dropped
            if not letters and not dropped:
                break
            limit -= len(letters) + dropped
            for number, letter in enumerate(letters):
                server_down = _send(services, mailer, letter, report)
                if server_down is not None:  # the rest of this batch would fail the same way
                    for rest in letters[number + 1 :]:
                        _failed(services, rest, server_down, report)
                    return report
    finally:
        mailer.close()
    return report


def _claim(services: Services, count: int) -> tuple[list[Letter], int]:
    """Claim up to ``count`` due notices and write their letters; notices that have no one
    to go to any more (the address was removed) are given up at once."""
    settings = services.settings
    now = services.clock()
    letters: list[Letter] = []
    dropped = 0
    with session_scope(services.sessions) as session:
        claimed = claim_due(
            session,
            now=now,
            limit=count,
            base=dt.timedelta(seconds=settings.notice_retry_seconds),
            cap=dt.timedelta(seconds=settings.notice_retry_max_seconds),
            lease=dt.timedelta(seconds=3 * settings.smtp_timeout_seconds),
        )
        for notice in claimed:
            letter = _letter(session, services, notice, now)
            if letter is None:
                record_failure(session, notice.id, "no_recipient", permanent=True, max_attempts=1)
                dropped += 1
            else:
                letters.append(letter)
    return letters, dropped


def _letter(
    session: Session, services: Services, notice: Notice, now: dt.datetime
) -> Letter | None:
    credential = session.get(Credential, notice.credential_id)
    if credential is None:
        return None
    replacement = None
    if notice.kind == NoticeKind.REISSUED and credential.replaced_by_id is not None:
        replacement = session.get(Credential, credential.replaced_by_id)
    recipient = (replacement and replacement.holder_email) or credential.holder_email
    if recipient is None:
        return None
    link = session.get(ShareLink, notice.share_link_id) if notice.share_link_id else None
    assert services.settings.mail_from is not None
    return notice_letter(
        notice,
        credential,
        recipient=recipient,
        base_url=services.base_url,
        mail_from=services.settings.mail_from,
        now=now,
        replacement=replacement,
        link=link,
    )


_SERVER_ERRORS = frozenset({"connect", "timeout", "tls", "tls_certificate", "auth"})


def _send(
    services: Services, mailer: Mailer, letter: Letter, report: DeliveryReport
) -> MailError | None:
    """Send one letter and record the outcome; the error when the server cannot be used."""
    try:
        mailer.send(letter.message, letter.recipient)
    except MailError as error:
        _failed(services, letter, error, report)
        return error if error.code in _SERVER_ERRORS else None
    with session_scope(services.sessions) as session:
        record_sent(session, letter.notice_id, now=services.clock())
    report.sent += 1
    log.info("notice sent", extra={"notice_id": letter.notice_id})
    return None


def _failed(services: Services, letter: Letter, error: MailError, report: DeliveryReport) -> None:
    with session_scope(services.sessions) as session:
        again = record_failure(
            session,
            letter.notice_id,
            error.code,
            permanent=error.permanent,
            max_attempts=services.settings.notice_max_attempts,
        )
    if again:
        report.retrying += 1
    else:
        report.failed += 1
    log.warning(
        "notice not sent: %s", error.code, extra={"notice_id": letter.notice_id, "retry": again}
    )
