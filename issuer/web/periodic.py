"""A daemon thread that runs one piece of the server's own work every few seconds.

The audit checkpoints (decision 0023) and the holder notices (decision 0030) run this way in
every server process, outside any request; each subclass says what one round does.
"""

from __future__ import annotations

import logging
import threading
from abc import ABC, abstractmethod

from issuer.services import Services

log = logging.getLogger(__name__)


class PeriodicTask(ABC):
    """Calls ``run_once`` every ``interval`` seconds from a daemon thread until stopped; a
    failed round is logged by its exception's class (never its text) and the next one runs."""

    name = "periodic"
    failure = "periodic task failed"
    join_seconds = 10.0

    def __init__(self, services: Services, interval: float) -> None:
        self._services = services
        self._interval = interval
        self._lock = threading.Lock()
        self._running: tuple[threading.Thread, threading.Event] | None = None

    @abstractmethod
    def run_once(self) -> object:
        """One round of the work (each subclass says what)."""

    def start(self) -> None:
        """Start the thread; an app may run its lifespan more than once (tests, servers)."""
        with self._lock:
            if self._running is not None:
                return
            stop = threading.Event()
            thread = threading.Thread(target=self._loop, args=(stop,), name=self.name, daemon=True)
            thread.start()
            self._running = (thread, stop)

    def stop(self) -> None:
        with self._lock:
            running, self._running = self._running, None
        if running is not None:
            thread, stop = running
            stop.set()
            thread.join(timeout=self.join_seconds)

    def _loop(self, stop: threading.Event) -> None:
        while not stop.wait(self._interval):
            try:
                self.run_once()
            except Exception as exc:  # a broken chain or a lost database: say so, keep going
                log.warning("%s: %s", self.failure, type(exc).__name__)
