"""Failures of an issuer's publications, remembered: negative caching and a circuit breaker.

Every HTTP source (keys, status lists, status details, compromised keys) asks an issuer
through one ``IssuerBreaker`` per verifier:

- **one request at a time per issuer**: a second verification that needs the same issuer
  waits (at most one request deadline) for the first, then sees its outcome;
- **negative caching**: after a failed fetch (no answer in time, unreachable, an HTTP error
  other than 404, too large, undecodable) the issuer is not asked again for
  ``failure_cache`` (30 s by default); lookups fail at once with ``key_source_unavailable``
  or ``status_retrieval_error``; cached documents still serve where they may;
- **circuit breaker**: after ``breaker_failures`` (5) consecutive failures the issuer is not
  asked for ``cool_off`` (300 s); then one request tries again, and one success closes it.

A 404 is an answer (the issuer publishes no such document), not a failure. Nothing here
is stored on disk; the state is per process.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

import httpx

from verifier.errors import KeySourceError
from verifier.sources.fetch import DocumentNotFoundError, fetch_bounded

log = logging.getLogger(__name__)


class IssuerUnavailableError(KeySourceError):
    """The issuer failed recently: it is not asked again yet."""


@dataclass(frozen=True)
class FailurePolicy:
    """How long failures are remembered (docs/configuration.md, ``TESSERA_VERIFY_*``)."""

    failure_cache: dt.timedelta = dt.timedelta(seconds=30)
    breaker_failures: int = 5
    cool_off: dt.timedelta = dt.timedelta(seconds=300)
    wait_for_other: dt.timedelta = dt.timedelta(seconds=5)


def failure_policy(
    *,
    failure_cache_seconds: float,
    breaker_failures: int,
    cool_off_seconds: float,
    request_seconds: float,
) -> FailurePolicy:
    """A policy from settings; a second request waits at most one request deadline."""
    return FailurePolicy(
        failure_cache=dt.timedelta(seconds=failure_cache_seconds),
        breaker_failures=breaker_failures,
        cool_off=dt.timedelta(seconds=cool_off_seconds),
        wait_for_other=dt.timedelta(seconds=request_seconds),
    )


@dataclass
class _IssuerState:
    lock: threading.Lock = field(default_factory=threading.Lock)
    failures: int = 0
    blocked_until: float = 0.0


class IssuerBreaker:
    """Per-issuer failure memory and single flight, shared by one verifier's HTTP sources."""

    def __init__(
        self, policy: FailurePolicy | None = None, *, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.policy = policy or FailurePolicy()
        self._clock = clock
        self._states: dict[str, _IssuerState] = {}
        self._guard = threading.Lock()

    def _state(self, issuer_id: str) -> _IssuerState:
        with self._guard:
            return self._states.setdefault(issuer_id, _IssuerState())

    def check(self, issuer_id: str) -> None:
        """Raise ``IssuerUnavailableError`` while the issuer is not to be asked."""
        state = self._state(issuer_id)
        left = state.blocked_until - self._clock()
        if left > 0:
            raise IssuerUnavailableError(
                f"the issuer's documents could not be fetched recently; not asked again for"
                f" {int(left) + 1} s"
            )

    def failed(self, issuer_id: str) -> None:
        state = self._state(issuer_id)
        state.failures += 1
        if state.failures >= self.policy.breaker_failures:
            pause = self.policy.cool_off
            log.warning(
                "an issuer failed %d times in a row; not asked for %d s",
                state.failures,
                pause.total_seconds(),
            )
        else:
            pause = self.policy.failure_cache
        state.blocked_until = self._clock() + pause.total_seconds()

    def succeeded(self, issuer_id: str) -> None:
        state = self._state(issuer_id)
        state.failures = 0
        state.blocked_until = 0.0

    @contextmanager
    def turn(self, issuer_id: str) -> Iterator[None]:
        """Hold this issuer's single request slot; fail fast if it is blocked meanwhile."""
        self.check(issuer_id)
        state = self._state(issuer_id)
        if not state.lock.acquire(timeout=self.policy.wait_for_other.total_seconds()):
            raise IssuerUnavailableError("the issuer is busy answering another request")
        try:
            self.check(issuer_id)  # the request we waited for may have just failed
            yield
        finally:
            state.lock.release()

    def fetch(
        self, client: httpx.Client, issuer_id: str, url: str, *, accept: str, max_bytes: int
    ) -> bytes:
        """``fetch_bounded`` under this breaker: at most one at a time, failures remembered."""
        with self.turn(issuer_id):
            try:
                body = fetch_bounded(client, url, accept=accept, max_bytes=max_bytes)
            except DocumentNotFoundError:
                self.succeeded(issuer_id)
                raise
            except KeySourceError:
                self.failed(issuer_id)
                raise
            self.succeeded(issuer_id)
            return body
