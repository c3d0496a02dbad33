"""The server's notice sender: a thread that delivers the outbox (decision 0030).

Every ``TESSERA_NOTICE_INTERVAL_SECONDS`` each server process queues the expiry notices now
due and sends the notices due, outside any request: a registrar's revocation only writes its
notice to the outbox, in its own transaction, and answers. Replicas and workers all run one;
they claim different notices (``issuer/credentials/notices.py``).
"""

from __future__ import annotations

import logging
import threading

from issuer.documents.notice_delivery import DeliveryReport, deliver_due, scan_expiring
from issuer.services import Services

log = logging.getLogger(__name__)


class PeriodicNotices:
    """A daemon thread that calls ``run_once`` every ``interval`` seconds until stopped."""

    def __init__(self, services: Services, interval: float) -> None:
        self._services = services
        self._interval = interval
        self._lock = threading.Lock()
        self._running: tuple[threading.Thread, threading.Event] | None = None

    def start(self) -> None:
        """Start the thread; an app may run its lifespan more than once (tests, servers)."""
        with self._lock:
            if self._running is not None:
                return
            stop = threading.Event()
            thread = threading.Thread(
                target=self._loop, args=(stop,), name="holder-notices", daemon=True
            )
            thread.start()
            self._running = (thread, stop)

    def stop(self) -> None:
        with self._lock:
            running, self._running = self._running, None
        if running is not None:
            thread, stop = running
            stop.set()
            thread.join(timeout=30)

    def run_once(self) -> DeliveryReport:
        """Queue the expiry notices due, then send what is due."""
        queued = scan_expiring(self._services)
        report = deliver_due(self._services)
        report.queued = queued
        return report

    def _loop(self, stop: threading.Event) -> None:
        while not stop.wait(self._interval):
            try:
                self.run_once()
            except Exception as exc:  # a lost database: say so, keep going
                log.warning("notices not delivered: %s", type(exc).__name__)
