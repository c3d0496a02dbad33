"""Holder notices sent by ``tessera worker`` instead of a thread in every web server.

On PostgreSQL with workers (``TESSERA_TASK_RUNNER`` ``auto`` or ``workers``) and a mail
server, a periodic procrastinate job does every ``TESSERA_NOTICE_INTERVAL_SECONDS`` what the
server's thread did (``issuer/web/notices.py``): queue the expiry notices now due, then send
the notices due. procrastinate defers one job per tick however many workers run (its
periodic defer is unique per task and time), a queueing lock keeps at most one waiting, and
its priority puts it ahead of queued bundle chunks. Delivery stays decision 0030's: the
sender claims rows, so a second sender (``tessera notices send``) takes other notices.
docs/decisions/0066-bulk-reissue-and-notices-as-jobs.md.
"""

from __future__ import annotations

import logging

from sqlalchemy.engine import make_url

from issuer.config import Settings
from issuer.documents.notice_delivery import DeliveryReport, deliver_due, scan_expiring
from issuer.services import Services

log = logging.getLogger(__name__)

QUEUE = "notices"
PRIORITY = 10  # ahead of bundle chunks and re-issue chunks (priority 0): a notice is short


def notices_on_workers(settings: Settings) -> bool:
    """Whether ``tessera worker`` sends the notices (and the web servers do not)."""
    if not settings.notices_on or not settings.notice_interval_seconds:
        return False
    postgres = make_url(settings.database_url).get_backend_name() == "postgresql"
    return settings.task_runner == "workers" or (settings.task_runner == "auto" and postgres)


def notice_cron(interval_seconds: int) -> str:
    """A cron line (with procrastinate's sixth column, seconds) for about every
    ``interval_seconds``: steps of seconds under a minute, of minutes under an hour, of hours
    under a day, else daily. An interval that does not divide the minute (hour, day) comes
    a little early at its turn."""
    if interval_seconds < 60:
        return f"* * * * * */{interval_seconds}"
    if interval_seconds < 3600:
        return f"*/{interval_seconds // 60} * * * *"
    if interval_seconds < 86_400:
        return f"0 */{interval_seconds // 3600} * * *"
    return "0 0 * * *"


def send_notices(services: Services) -> DeliveryReport:
    """Queue the expiry notices due, then send what is due (one tick of the sender)."""
    queued = scan_expiring(services)
    report = deliver_due(services)
    report.queued = queued
    if report.sent or report.retrying or report.failed:
        log.info(
            "notices sent by a worker",
            extra={"sent": report.sent, "retrying": report.retrying, "failed": report.failed},
        )
    return report
