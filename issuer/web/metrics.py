"""Prometheus metrics: requests, verifications, credential changes, status-list caches.

Labels never carry a raw path or a credential id: requests are labelled by their route
*template* (``/v/{credential_id}``), and paths no route matched by ``unmatched``.

Several uvicorn workers (``tessera serve --workers N``) are separate processes: ``serve`` then
sets ``PROMETHEUS_MULTIPROC_DIR`` before the workers start, each worker writes its values
there, and a scrape of any worker sums them (prometheus_client's multiprocess mode,
docs/operations.md). A single process keeps its values in memory.
"""

from __future__ import annotations

import os
from collections import Counter as Tally
from typing import Final

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
)
from prometheus_client.multiprocess import MultiProcessCollector
from sqlalchemy import event
from sqlalchemy.orm import Session, sessionmaker

from issuer.store.audit import PENDING_ACTIONS_KEY
from issuer.vocabulary import AuditAction
from verifier.result import CredentialStatus, VerificationResult

MULTIPROCESS_ENV: Final = "PROMETHEUS_MULTIPROC_DIR"
METRICS_MEDIA_TYPE: Final = CONTENT_TYPE_LATEST
# Audit actions (issuer/store/audit.py) counted once their transaction commits.
_COUNTED_ACTIONS: Final[dict[str, str]] = {
    AuditAction.CREDENTIAL_ISSUE: "issued",
    AuditAction.CREDENTIAL_REISSUE: "issued",
    AuditAction.CREDENTIAL_REVOKE: "revoked",
}
_LATENCY_BUCKETS: Final = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10)


class Metrics:
    """One app's metrics, in a registry of its own (tests build many apps in one process)."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        self.requests = Counter(
            "tessera_http_requests",
            "HTTP requests by method, route template and status code.",
            ["method", "route", "status"],
            registry=self.registry,
        )
        self.latency = Histogram(
            "tessera_http_request_duration_seconds",
            "Time to answer an HTTP request, by method and route template.",
            ["method", "route"],
            buckets=_LATENCY_BUCKETS,
            registry=self.registry,
        )
        self.verifications = Counter(
            "tessera_verifications",
            "Verifications (API, verify page, QR links) by outcome.",
            ["status"],
            registry=self.registry,
        )
        self.credentials = Counter(
            "tessera_credentials",
            "Credentials issued (including reissues) and revoked by this process, on commit.",
            ["event"],
            registry=self.registry,
        )
        self.status_list_cache = Counter(
            "tessera_status_list_cache",
            "Status-list lookups: publisher = this issuer's signed lists (re-signed only on "
            "change), remote = lists of other trusted issuers fetched over HTTP.",
            ["source", "result"],
            registry=self.registry,
        )
        for name in ("issued", "revoked"):
            self.credentials.labels(name)
        self._verification_counts = {
            status: self.verifications.labels(status.value) for status in CredentialStatus
        }
        self._publisher_lookups = {
            hit: self.status_list_cache.labels("publisher", "hit" if hit else "miss")
            for hit in (True, False)
        }

    def observe_request(self, method: str, route: str, status: int, seconds: float) -> None:
        self.requests.labels(method, route, str(status)).inc()
        self.latency.labels(method, route).observe(seconds)

    def observe_verification(self, result: VerificationResult) -> None:
        self._verification_counts[result.status].inc()

    def publisher_lookup(self, hit: bool) -> None:
        self._publisher_lookups[hit].inc()  # twice per verification: labels bound up front

    def remote_lookup(self, hit: bool) -> None:
        self.status_list_cache.labels("remote", "hit" if hit else "miss").inc()

    def count_commits(self, sessions: sessionmaker[Session]) -> None:
        """Count the credential events of ``sessions``' transactions when they commit."""

        def committed(session: Session) -> None:
            pending: Tally[str] = session.info.pop(PENDING_ACTIONS_KEY, Tally())
            for action, count in pending.items():
                if action in _COUNTED_ACTIONS:
                    self.credentials.labels(_COUNTED_ACTIONS[action]).inc(count)

        def rolled_back(session: Session) -> None:
            session.info.pop(PENDING_ACTIONS_KEY, None)

        event.listen(sessions, "after_commit", committed)
        event.listen(sessions, "after_rollback", rolled_back)

    def render(self) -> bytes:
        """The exposition text: this process's values, or every worker's in multiprocess mode."""
        directory = os.environ.get(MULTIPROCESS_ENV)
        if directory:
            registry = CollectorRegistry()
            MultiProcessCollector(registry, path=directory)  # type: ignore[no-untyped-call]
            return generate_latest(registry)
        return generate_latest(self.registry)
