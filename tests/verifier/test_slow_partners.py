"""Slow, failing and hostile partner issuers (decision 0022): attacks and their regressions.

A partner issuer here is a real HTTP server on a loopback port (tests/partner_server.py)
that sleeps, trickles bytes or answers a gzip bomb. Time bounds are coarse: "well under the
partner's delay", never a benchmark.
"""

from __future__ import annotations

import datetime as dt
import json
import threading
import time
import tracemalloc
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient

from issuer.config import Settings
from issuer.services import Services
from tests.issuer.helpers import issue_body, load_catalog
from tests.partner_server import GZIP_JSON, elapsed_since, partner_server
from tests.servers import in_process_server
from tests.verifier.kit import NOW, FakeIssuerServer, IssuerKit
from verifier.errors import CredentialErrorCode, KeySourceError
from verifier.result import VerificationResult
from verifier.settings import VerifierSettings
from verifier.sources.breaker import FailurePolicy, IssuerBreaker
from verifier.sources.fetch import build_http_client, fetch_bounded
from verifier.sources.keys import HttpKeyResolver, OfflineKeyResolver
from verifier.sources.offline_cache import OfflineCache
from verifier.trust import TrustedIssuers
from verifier.verification import Verifier
from verifier.web.app import create_app as create_verifier_app

MAX_BYTES = 256 * 1024


def key_error(result: VerificationResult) -> str | None:
    assert result.verified is False
    failed = result.failed_check()
    assert failed is not None
    assert failed.code.value == "key"
    return failed.error


# --- one deadline for the whole request ------------------------------------------------------


def test_trickled_body_is_cut_at_the_whole_request_deadline() -> None:
    """A byte every 0.2 s never trips a per-read timeout; the request deadline still holds."""
    with partner_server() as partner, build_http_client(timeout=1.0) as client:
        start = time.monotonic()
        with pytest.raises(KeySourceError, match="did not answer in time"):
            fetch_bounded(client, f"{partner.base}/trickle-body", accept="*/*", max_bytes=MAX_BYTES)
        assert elapsed_since(start) < 5.0  # the body alone would take 60 s


def test_trickled_headers_are_cut_at_the_whole_request_deadline() -> None:
    with partner_server() as partner, build_http_client(timeout=1.0) as client:
        start = time.monotonic()
        with pytest.raises(KeySourceError, match="did not answer in time"):
            fetch_bounded(
                client, f"{partner.base}/trickle-headers", accept="*/*", max_bytes=MAX_BYTES
            )
        assert elapsed_since(start) < 5.0


# --- the size cap counts decoded bytes, as they are decoded ----------------------------------


def test_gzip_bomb_is_refused_without_being_inflated() -> None:
    """64 MiB of zeros in about 64 KiB of gzip: refused past the cap, never held in memory."""
    with partner_server() as partner, build_http_client(timeout=10.0) as client:
        tracemalloc.start()
        try:
            with pytest.raises(KeySourceError, match="exceeds"):
                fetch_bounded(client, f"{partner.base}/bomb", accept="*/*", max_bytes=MAX_BYTES)
            _, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
    assert peak < 16 * 1024 * 1024


def test_gzip_encoded_document_is_decoded() -> None:
    with partner_server() as partner, build_http_client(timeout=5.0) as client:
        body = fetch_bounded(client, f"{partner.base}/gzip-json", accept="*/*", max_bytes=1024)
    assert body == GZIP_JSON


def test_unknown_content_encoding_is_refused() -> None:
    def handler(_: httpx.Request) -> httpx.Response:
        return httpx.Response(
            200, headers={"Content-Encoding": "br"}, stream=httpx.ByteStream(b"x")
        )

    client = build_http_client(transport=httpx.MockTransport(handler))
    with pytest.raises(KeySourceError, match="content encoding"):
        fetch_bounded(client, "https://a.test/x", accept="*/*", max_bytes=100)


# --- failures remembered: negative caching and the circuit breaker ---------------------------


class FakeMonotonic:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_failed_issuer_is_not_asked_again_for_the_failure_cache_time(kit: IssuerKit) -> None:
    server = FakeIssuerServer(kit)
    server.down = True
    clock = FakeMonotonic()
    breaker = IssuerBreaker(FailurePolicy(failure_cache=dt.timedelta(seconds=30)), clock=clock)
    resolver = HttpKeyResolver(TrustedIssuers([kit.base]), server.client(), breaker=breaker)
    verifier = Verifier(trusted_issuers=[kit.base], key_resolver=resolver, status_source=None)
    token = kit.token()

    assert key_error(verifier.verify(token)) == "key_source_unavailable"
    asked = len(server.requests)
    assert asked == 1
    assert key_error(verifier.verify(token)) == "key_source_unavailable"
    assert len(server.requests) == asked  # remembered: not asked again
    clock.now += 31
    server.down = False
    assert verifier.verify(token).verified
    assert len(server.requests) > asked


def test_circuit_opens_after_consecutive_failures_and_closes_after_a_success(
    kit: IssuerKit,
) -> None:
    server = FakeIssuerServer(kit)
    server.down = True
    clock = FakeMonotonic()
    policy = FailurePolicy(
        failure_cache=dt.timedelta(seconds=1),
        breaker_failures=3,
        cool_off=dt.timedelta(seconds=600),
    )
    breaker = IssuerBreaker(policy, clock=clock)
    resolver = HttpKeyResolver(
        TrustedIssuers([kit.base]),
        server.client(),
        breaker=breaker,
        refresh_interval=dt.timedelta(0),
    )
    for _ in range(3):
        with pytest.raises(KeySourceError):
            resolver.resolve_key(kit.base, kit.key.kid)
        clock.now += 2  # past the short failure cache
    asked = len(server.requests)
    assert asked == 3
    server.down = False
    clock.now += 100  # open: still within the cool-off
    with pytest.raises(KeySourceError, match="not asked again"):
        resolver.resolve_key(kit.base, kit.key.kid)
    assert len(server.requests) == asked
    clock.now += 600
    assert resolver.resolve_key(kit.base, kit.key.kid).kid == kit.key.kid
    breaker.check(kit.base)  # closed again: does not raise


# --- cached keys have a maximum age when refreshes fail ---------------------------------------


def test_cached_keys_past_their_maximum_age_fail_closed_when_refresh_fails(
    kit: IssuerKit,
) -> None:
    server = FakeIssuerServer(kit)
    now = [NOW]
    resolver = HttpKeyResolver(
        TrustedIssuers([kit.base]),
        server.client(),
        clock=lambda: now[0],
        max_age=dt.timedelta(hours=24),
        breaker=IssuerBreaker(FailurePolicy(failure_cache=dt.timedelta(0))),
    )
    verifier = Verifier(
        trusted_issuers=[kit.base], key_resolver=resolver, status_source=None, clock=lambda: now[0]
    )
    token = kit.token()
    assert verifier.verify(token).verified
    server.down = True
    now[0] = NOW + dt.timedelta(hours=2)  # past the ttl: a refresh fails, the cache serves
    assert verifier.verify(token).verified
    now[0] = NOW + dt.timedelta(hours=25)
    result = verifier.verify(token)
    assert key_error(result) == CredentialErrorCode.KEY_SOURCE_STALE
    assert "cannot be checked now" in (result.problems[0].detail or "")


def test_offline_keys_past_their_maximum_age_are_not_trusted(
    kit: IssuerKit, tmp_path: Path
) -> None:
    cache = OfflineCache(tmp_path)
    cache.store("jwks", kit.base, json.dumps(kit.jwks), NOW)
    fresh = OfflineKeyResolver(cache, max_age=dt.timedelta(days=1), clock=lambda: NOW)
    assert fresh.resolve_key(kit.base, kit.key.kid).kid == kit.key.kid
    old = OfflineKeyResolver(
        cache, max_age=dt.timedelta(days=1), clock=lambda: NOW + dt.timedelta(days=2)
    )
    with pytest.raises(KeySourceError) as caught:
        old.resolve_key(kit.base, kit.key.kid)
    assert caught.value.code is CredentialErrorCode.KEY_SOURCE_STALE


# --- the standalone verifier reads the compromised-keys list ---------------------------------


def test_standalone_verifier_refuses_a_key_its_issuer_lists_as_compromised(
    kit: IssuerKit,
) -> None:
    server = FakeIssuerServer(kit)

    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/compromised-keys.json":
            return httpx.Response(
                200,
                json={
                    "issuer": kit.base,
                    "keys": [{"kid": kit.key.kid, "compromised_at": "2026-11-01T00:00:00Z"}],
                },
            )
        return server.handler(request)

    app = create_verifier_app(
        VerifierSettings(trusted_issuers=[kit.base]), transport=httpx.MockTransport(handler)
    )
    with TestClient(app) as client:
        answer = client.post("/api/v1/verify", json={"credential": kit.token()})
    assert answer.status_code == 200
    result = VerificationResult.model_validate(answer.json())
    assert key_error(result) == "key_compromised"


# --- a slow partner cannot stall the issuer's service ----------------------------------------


def test_slow_partner_does_not_stall_health_or_own_verification(
    settings: Settings, services: Services, admin_headers: dict[str, str]
) -> None:
    """One anonymous token naming a slow partner used to hold the event loop (SQLite) for
    the whole fetch; now the loop answers at once, and the partner is not asked again."""
    with partner_server() as partner:
        partner_id = f"{partner.base}/sleep/6"
        live_settings = settings.model_copy(
            update={"trusted_issuers": [partner_id], "verify_http_timeout_seconds": 3.0}
        )
        load_catalog(services)
        with in_process_server(live_settings) as (base, client):
            issued = client.post(
                "/api/v1/credentials", json=issue_body(), headers=admin_headers
            ).json()
            partner_token = IssuerKit(base=partner_id).token()
            outcome: dict[str, Any] = {}

            def verify_partner() -> None:
                with httpx.Client(base_url=base, timeout=30) as http:
                    answer = http.post("/api/v1/verify", json={"credential": partner_token})
                outcome["result"] = VerificationResult.model_validate(answer.json())

            slow = threading.Thread(target=verify_partner)
            slow.start()
            deadline = time.monotonic() + 10
            while not partner.requests and time.monotonic() < deadline:
                time.sleep(0.02)
            assert partner.requests, "the partner was never asked"

            with httpx.Client(base_url=base, timeout=30) as http:
                start = time.monotonic()
                assert http.get("/healthz").status_code == 200
                own = http.post("/api/v1/verify", json={"credential": issued["credential"]})
                quick = elapsed_since(start)
            assert slow.is_alive(), "health and own verification answered during the fetch"
            assert quick < 2.0  # the partner takes 3 s (its deadline) to fail
            assert own.json()["verified"] is True

            slow.join(timeout=30)
            assert key_error(outcome["result"]) == "key_source_unavailable"
            asked = len(partner.requests)
            start = time.monotonic()
            with httpx.Client(base_url=base, timeout=30) as http:
                again = http.post("/api/v1/verify", json={"credential": partner_token})
            assert elapsed_since(start) < 2.0  # remembered: fails at once
            assert key_error(VerificationResult.model_validate(again.json())) == (
                "key_source_unavailable"
            )
            assert len(partner.requests) == asked
