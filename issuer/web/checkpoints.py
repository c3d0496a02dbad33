"""Periodic signed checkpoints of the audit chain, made by the running server (decision 0023).

Every ``TESSERA_AUDIT_CHECKPOINT_INTERVAL_SECONDS`` a thread of each server process signs the
chain's head if it moved since the newest checkpoint, checking the events since then first.
Replicas and workers all try; the register's write lock lets one sign each new head. Export
the checkpoints (``tessera audit checkpoints export``) to keep them where the database's
writers cannot reach.
"""

from __future__ import annotations

import logging
import threading

from issuer.keys.audit_checkpoints import checkpoint_if_moved
from issuer.services import Services
from issuer.store.engine import session_scope

log = logging.getLogger(__name__)


class PeriodicCheckpoints:
    """A daemon thread that calls ``make_checkpoint`` every ``interval`` seconds until stopped."""

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
                target=self._loop, args=(stop,), name="audit-checkpoints", daemon=True
            )
            thread.start()
            self._running = (thread, stop)

    def stop(self) -> None:
        with self._lock:
            running, self._running = self._running, None
        if running is not None:
            thread, stop = running
            stop.set()
            thread.join(timeout=10)

    def make_checkpoint(self) -> bool:
        """Sign the head if it moved; True when a checkpoint was stored."""
        services = self._services
        with session_scope(services.sessions) as session:
            record = checkpoint_if_moved(
                session, services.signer(session), issuer=services.base_url, now=services.clock()
            )
            made = record is not None
        if made:
            log.info("audit checkpoint signed")
        return made

    def _loop(self, stop: threading.Event) -> None:
        while not stop.wait(self._interval):
            try:
                self.make_checkpoint()
            except Exception as exc:  # a broken chain or a lost database: say so, keep going
                log.warning("audit checkpoint not made: %s", type(exc).__name__)
