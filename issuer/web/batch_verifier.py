"""Batch verification as this server runs it: its own verifier, look-up by certificate number,
one rate limit per client for whole batches, and the page's reports kept for a while.

- Every item goes through the server's ``Verifier`` (``app.state.verifier``), the one behind
  ``POST /api/v1/verify``; certificate numbers are looked up in this issuer's store
  (``lookup_credential``) in one read session per batch.
- A batch counts once against ``TESSERA_RATE_LIMIT`` (it is one request) and once against
  ``TESSERA_VERIFY_BATCH_RATE_LIMIT`` (per client, for batches only); at most
  ``MAX_CONCURRENT_BATCHES`` run at once, in worker threads, the others wait.
- The page's CSV and PDF links name a report kept in this process for ``REPORT_TTL_SECONDS``
  behind a random 256-bit token (decision 0029); the API answers in any format at once.
"""

from __future__ import annotations

import secrets
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Final

import anyio
import anyio.to_thread
from sqlalchemy.exc import SQLAlchemyError

from issuer.config import Settings
from issuer.credentials.lookup import lookup_credential
from issuer.services import Services
from issuer.web.middleware.rate_limit import RateLimiter, parse_rate
from verifier.batch import BatchReport, verify_batch
from verifier.batch_items import BatchItem
from verifier.errors import CredentialErrorCode, LocatorError
from verifier.verification import Verifier

MAX_CONCURRENT_BATCHES: Final = 2
REPORT_TTL_SECONDS: Final = 1800.0
MAX_STORED_REPORTS: Final = 32


@dataclass
class _Stored:
    expires: float
    report: BatchReport
    files: dict[str, bytes] = field(default_factory=dict)  # rendered once, served again


class ReportStore:
    """Recent reports by random token, the oldest dropped first; in this process only. A
    report's CSV and PDF are rendered once: asking again costs nothing."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._lock = threading.Lock()
        self._reports: OrderedDict[str, _Stored] = OrderedDict()

    def put(self, report: BatchReport) -> str:
        token = secrets.token_urlsafe(32)
        with self._lock:
            self._drop_expired()
            self._reports[token] = _Stored(self._clock() + REPORT_TTL_SECONDS, report)
            while len(self._reports) > MAX_STORED_REPORTS:
                self._reports.popitem(last=False)
        return token

    def get(self, token: str) -> BatchReport | None:
        stored = self._stored(token)
        return stored.report if stored is not None else None

    def rendered(self, token: str, name: str) -> bytes | None:
        stored = self._stored(token)
        return stored.files.get(name) if stored is not None else None

    def keep_rendered(self, token: str, name: str, data: bytes) -> None:
        stored = self._stored(token)
        if stored is not None:
            stored.files[name] = data

    def _stored(self, token: str) -> _Stored | None:
        with self._lock:
            self._drop_expired()
            return self._reports.get(token)

    def _drop_expired(self) -> None:
        now = self._clock()
        for token in [t for t, stored in self._reports.items() if stored.expires <= now]:
            del self._reports[token]


class BatchVerifier:
    """Runs batches for the routes of ``issuer.web.routes.verify_batch``."""

    def __init__(self, services: Services, verifier: Verifier, settings: Settings) -> None:
        self.services = services
        self.verifier = verifier
        self.max_bytes = settings.verify_batch_max_bytes
        rate = parse_rate(settings.verify_batch_rate_limit)
        self.limiter = RateLimiter(*rate) if rate is not None else None
        self.reports = ReportStore()
        self._capacity: list[anyio.CapacityLimiter] = []  # made inside the event loop

    def retry_after(self, client: str) -> float:
        """0 when this client may run one more batch now (and it is counted), else seconds."""
        return self.limiter.retry_after(client) if self.limiter is not None else 0.0

    async def run(self, read_items: Callable[[], Sequence[BatchItem]]) -> BatchReport:
        """Read the items (files are decoded here too) and verify them, off the event loop."""
        if not self._capacity:
            self._capacity.append(anyio.CapacityLimiter(MAX_CONCURRENT_BATCHES))
        return await anyio.to_thread.run_sync(
            lambda: self._verify(read_items()), limiter=self._capacity[0]
        )

    def _verify(self, items: Sequence[BatchItem]) -> BatchReport:
        found = self._look_up(items)

        def lookup(number: str, name: str) -> str | None:
            answer = found.get((number, name))
            if isinstance(answer, LocatorError):
                raise answer
            return answer

        return verify_batch(
            items, verify=self.verifier.verify_submission, lookup=lookup, now=self.services.clock
        )

    def _look_up(
        self, items: Sequence[BatchItem]
    ) -> dict[tuple[str, str], str | LocatorError | None]:
        """Every certificate number and name of the batch looked up first, in one read session
        closed before verification starts (interleaving the two costs about 30% more CPU)."""
        wanted = {
            (item.certificate_number, item.holder_name)
            for item in items
            if item.certificate_number is not None and item.holder_name is not None
        }
        found: dict[tuple[str, str], str | LocatorError | None] = {}
        if not wanted:
            return found
        with self.services.read_sessions() as session:
            for number, name in wanted:
                try:
                    row = lookup_credential(session, number, name)
                except SQLAlchemyError:
                    session.rollback()
                    found[(number, name)] = LocatorError(
                        "the credential store is unavailable",
                        code=CredentialErrorCode.CREDENTIAL_STORE_UNAVAILABLE,
                    )
                    continue
                found[(number, name)] = row.jws if row is not None else None
                if row is not None:
                    session.expunge(row)  # the identity map stays small over thousands of rows
        return found
