"""The server's notice sender: a thread that delivers the outbox (decision 0030).

Every ``TESSERA_NOTICE_INTERVAL_SECONDS`` each server process queues the expiry notices now
due and sends the notices due, outside any request: a registrar's revocation only writes its
notice to the outbox, in its own transaction, and answers. Replicas and workers all run one;
they claim different notices (``issuer/credentials/notices.py``).
"""

from __future__ import annotations

from issuer.documents.notice_delivery import DeliveryReport, deliver_due, scan_expiring
from issuer.web.periodic import PeriodicTask


class PeriodicNotices(PeriodicTask):
    """Queues the expiry notices due and sends what is due, every ``interval`` seconds."""

    name = "holder-notices"
    failure = "notices not delivered"
    join_seconds = 30.0

    def run_once(self) -> DeliveryReport:
        """Queue the expiry notices due, then send what is due."""
        queued = scan_expiring(self._services)
        report = deliver_due(self._services)
        report.queued = queued
        return report
