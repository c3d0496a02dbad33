"""HTTP key resolution, status-list fetching and caching, the offline cache, the locator.

All I/O goes through ``httpx.MockTransport``; the clock is injected.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest

from tests.verifier.kit import NOW, STATUS_INDEX, FakeIssuerServer, IssuerKit, new_es256
from verifier.errors import (
    KeyNotFoundError,
    KeySourceError,
    LocatorError,
    StatusRetrievalError,
    UntrustedIssuerError,
)
from verifier.result import CredentialStatus
from verifier.sources.credential_locator import HttpCredentialLocator
from verifier.sources.fetch import build_http_client, fetch_bounded
from verifier.sources.keys import (
    HttpKeyResolver,
    OfflineKeyResolver,
    StaticKeyResolver,
    issuer_metadata_url,
    keys_from_jwks,
)
from verifier.sources.offline_cache import OfflineCache, describe_age
from verifier.sources.status_lists import HttpStatusSource, OfflineStatusSource, ttl_of
from verifier.trust import TrustedIssuers
from verifier.verification import Verifier


class Clock:
    def __init__(self) -> None:
        self.now = NOW

    def __call__(self) -> dt.datetime:
        return self.now


@pytest.fixture
def server(kit: IssuerKit) -> FakeIssuerServer:
    return FakeIssuerServer(kit)


def http_verifier(
    kit: IssuerKit, server: FakeIssuerServer, clock: Clock, cache: OfflineCache | None = None
) -> tuple[Verifier, HttpKeyResolver, HttpStatusSource]:
    trusted = TrustedIssuers([kit.base])
    client = server.client()
    keys = HttpKeyResolver(trusted, client, clock=clock, cache=cache)
    status = HttpStatusSource(trusted, client, clock=clock, cache=cache)
    verifier = Verifier(
        trusted_issuers=trusted,
        key_resolver=keys,
        status_source=status,
        credential_locator=HttpCredentialLocator(client),
        clock=clock,
    )
    return verifier, keys, status


def test_metadata_url_inserts_well_known_between_host_and_path() -> None:
    assert issuer_metadata_url("https://a.test") == "https://a.test/.well-known/jwt-vc-issuer"
    assert (
        issuer_metadata_url("https://a.test/tenant/1")
        == "https://a.test/.well-known/jwt-vc-issuer/tenant/1"
    )
    with pytest.raises(KeySourceError):
        issuer_metadata_url("did:web:a.test")


def test_http_verifier_verifies_and_caches_keys_and_status(
    kit: IssuerKit, server: FakeIssuerServer
) -> None:
    clock = Clock()
    verifier, keys, status = http_verifier(kit, server, clock)
    assert verifier.verify(kit.token()).verified
    assert verifier.verify(kit.token()).verified
    assert server.requests.count("/.well-known/jwks.json") == 1
    assert server.requests.count("/status/1") == 1
    assert keys.fetches == 1
    assert keys.cache_hits >= 2
    assert status.fetches == 1
    assert status.cache_hits == 1


def test_status_cache_honours_list_ttl_in_milliseconds(
    kit: IssuerKit, server: FakeIssuerServer
) -> None:
    clock = Clock()
    verifier, _, status = http_verifier(kit, server, clock)
    assert verifier.verify(kit.token()).verified  # list ttl is 300,000 ms
    kit.revoked.add(STATUS_INDEX)
    clock.now = NOW + dt.timedelta(seconds=299)
    assert verifier.verify(kit.token()).status is CredentialStatus.VALID  # still cached
    clock.now = NOW + dt.timedelta(seconds=301)
    assert verifier.verify(kit.token()).status is CredentialStatus.REVOKED
    assert status.fetches == 2


def test_ttl_of_bounds_and_defaults(kit: IssuerKit) -> None:
    default, maximum = dt.timedelta(minutes=5), dt.timedelta(days=1)
    assert ttl_of(kit.status_list_token(ttl=1_000), default, maximum) == dt.timedelta(seconds=1)
    assert ttl_of(kit.status_list_token(ttl=10**12), default, maximum) == maximum
    payload = kit.status_list_payload()
    del payload["credentialSubject"]["ttl"]
    from tests.verifier.kit import sign

    assert ttl_of(sign(payload, kit.key), default, maximum) == default
    assert ttl_of("garbage", default, maximum) == dt.timedelta(0)


def test_key_rotation_is_picked_up_after_refresh_interval(
    kit: IssuerKit, server: FakeIssuerServer
) -> None:
    clock = Clock()
    verifier, keys, _ = http_verifier(kit, server, clock)
    assert verifier.verify(kit.token()).verified
    kit.retired.append(kit.key)  # retired keys stay published
    kit.key = new_es256()
    token = kit.token()
    failed = verifier.verify(token).failed_check()
    assert failed is not None
    assert failed.error == "key_not_found"
    clock.now += dt.timedelta(seconds=31)
    assert verifier.verify(token).verified
    assert keys.fetches == 2


def test_key_fetch_failure_falls_back_on_cached_keys(
    kit: IssuerKit, server: FakeIssuerServer
) -> None:
    clock = Clock()
    trusted = TrustedIssuers([kit.base])
    keys = HttpKeyResolver(trusted, server.client(), clock=clock)
    keys.resolve_key(kit.base, kit.key.kid)
    server.down = True
    clock.now += dt.timedelta(hours=1)
    assert keys.resolve_key(kit.base, kit.key.kid).kid == kit.key.kid
    with pytest.raises(KeyNotFoundError):
        keys.resolve_key(kit.base, "B" * 43)


def test_key_fetch_failure_without_cache_is_key_source_error(
    kit: IssuerKit, server: FakeIssuerServer
) -> None:
    server.down = True
    verifier, _, _ = http_verifier(kit, server, Clock())
    result = verifier.verify(kit.token())
    failed = result.failed_check()
    assert failed is not None
    assert failed.error == "key_source_unavailable"


def test_metadata_naming_another_issuer_is_refused(
    kit: IssuerKit, server: FakeIssuerServer
) -> None:
    server.metadata_issuer = "https://evil.test"
    keys = HttpKeyResolver(TrustedIssuers([kit.base]), server.client())
    with pytest.raises(KeySourceError):
        keys.resolve_key(kit.base, kit.key.kid)


def test_keys_are_fetched_only_for_trusted_issuers(
    kit: IssuerKit, server: FakeIssuerServer
) -> None:
    keys = HttpKeyResolver(TrustedIssuers(["https://other.test"]), server.client())
    with pytest.raises(UntrustedIssuerError):
        keys.resolve_key(kit.base, kit.key.kid)
    assert server.requests == []


def test_status_lists_are_fetched_only_from_trusted_issuers(server: FakeIssuerServer) -> None:
    source = HttpStatusSource(TrustedIssuers(["https://issuer.test"]), server.client())
    with pytest.raises(StatusRetrievalError):
        source.fetch_status_list("https://evil.test/status/1")
    assert server.requests == []


def test_status_list_fetch_failure_is_retrieval_error(
    kit: IssuerKit, server: FakeIssuerServer
) -> None:
    clock = Clock()
    verifier, keys, _ = http_verifier(kit, server, clock)
    keys.resolve_key(kit.base, kit.key.kid)
    server.down = True
    result = verifier.verify(kit.token())
    failed = result.failed_check()
    assert failed is not None
    assert failed.error == "status_retrieval_error"


def responder(response: Callable[[httpx.Request], httpx.Response]) -> httpx.Client:
    return build_http_client(transport=httpx.MockTransport(response))


def test_fetch_bounded_refuses_oversized_bodies_even_without_content_length() -> None:
    def chunks(_request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, content=iter([b"x" * 1000] * 10))

    with pytest.raises(KeySourceError):
        fetch_bounded(responder(chunks), "https://a.test/x", accept="*/*", max_bytes=5000)
    assert (
        fetch_bounded(responder(chunks), "https://a.test/x", accept="*/*", max_bytes=10_000)
        == b"x" * 10_000
    )


def test_fetch_bounded_does_not_follow_redirects() -> None:
    def redirect(_request: httpx.Request) -> httpx.Response:
        return httpx.Response(302, headers={"location": "http://169.254.169.254/"})

    with pytest.raises(KeySourceError):
        fetch_bounded(responder(redirect), "https://a.test/x", accept="*/*", max_bytes=100)


def test_fetch_bounded_translates_timeouts_and_schemes() -> None:
    def slow(request: httpx.Request) -> httpx.Response:
        raise httpx.ReadTimeout("slow", request=request)

    with pytest.raises(KeySourceError):
        fetch_bounded(responder(slow), "https://a.test/x", accept="*/*", max_bytes=100)
    with pytest.raises(KeySourceError):
        fetch_bounded(responder(slow), "file:///etc/passwd", accept="*/*", max_bytes=100)


def test_keys_from_jwks_skips_unusable_keys(kit: IssuerKit) -> None:
    jwks = {
        "keys": [
            {"kty": "RSA", "n": "AQAB", "e": "AQAB", "kid": "rsa"},
            {**kit.key.jwk, "kid": "enc", "use": "enc"},
            {**kit.key.jwk, "kid": "private", "d": "AAAA"},
            {**kit.key.jwk, "kid": "wrong-alg", "alg": "EdDSA"},
            {k: v for k, v in kit.ed_key.jwk.items() if k != "kid"},
            "junk",
        ]
    }
    keys = keys_from_jwks(jwks)
    assert set(keys) == {kit.ed_key.kid}  # keyed by its RFC 7638 thumbprint
    with pytest.raises(KeySourceError):
        keys_from_jwks({"nokeys": []})


def test_static_key_resolver_from_file(tmp_path: Path, kit: IssuerKit) -> None:
    path = tmp_path / "jwks.json"
    path.write_text(json.dumps(kit.jwks))
    resolver = StaticKeyResolver.from_jwks_file(kit.base, path)
    assert resolver.resolve_key(kit.base, kit.key.kid).algorithm == "ES256"
    with pytest.raises(KeyNotFoundError):
        resolver.resolve_key("https://other.test", kit.key.kid)
    with pytest.raises(KeySourceError):
        StaticKeyResolver.from_jwks_file(kit.base, tmp_path / "missing.json")


def test_offline_cache_round_trip_and_offline_sources(
    tmp_path: Path, kit: IssuerKit, server: FakeIssuerServer
) -> None:
    cache = OfflineCache(tmp_path / "cache")
    clock = Clock()
    verifier, _, _ = http_verifier(kit, server, clock, cache=cache)
    assert verifier.verify(kit.token()).verified

    later = NOW + dt.timedelta(hours=3)
    offline_keys = OfflineKeyResolver(cache)
    offline_status = OfflineStatusSource(cache)
    offline = Verifier(
        trusted_issuers=[kit.base],
        key_resolver=offline_keys,
        status_source=offline_status,
        clock=lambda: later,
    )
    result = offline.verify(kit.token())
    assert result.verified
    assert result.status_list_fetched_at == NOW
    assert [d.kind for d in offline_keys.used][:1] == ["jwks"]
    assert describe_age(offline_status.used[0].age(later)) == "3 h"


def test_offline_sources_report_missing_cache(tmp_path: Path, kit: IssuerKit) -> None:
    cache = OfflineCache(tmp_path / "empty")
    with pytest.raises(KeySourceError):
        OfflineKeyResolver(cache).resolve_key(kit.base, kit.key.kid)
    with pytest.raises(StatusRetrievalError):
        OfflineStatusSource(cache).fetch_status_list(f"{kit.base}/status/1")


def test_offline_cache_ignores_corrupt_files(tmp_path: Path) -> None:
    cache = OfflineCache(tmp_path)
    cache.store("jwks", "https://a.test", "{}", NOW)
    for path in tmp_path.glob("jwks-*.json"):
        path.write_text("{not json")
    assert cache.load("jwks", "https://a.test") is None


@pytest.mark.parametrize(
    ("seconds", "text"), [(5, "5 s"), (600, "10 min"), (3 * 3600, "3 h"), (5 * 86400, "5 d")]
)
def test_describe_age(seconds: int, text: str) -> None:
    assert describe_age(dt.timedelta(seconds=seconds)) == text


def test_http_locator_fetches_verify_url(kit: IssuerKit, server: FakeIssuerServer) -> None:
    verifier, _, _ = http_verifier(kit, server, Clock())
    result = verifier.verify_submission(f"{kit.base}/v/6a3e")
    assert result.verified
    assert result.checks[0].code.value == "locate"


def test_http_locator_reports_missing_credential(server: FakeIssuerServer) -> None:
    locator = HttpCredentialLocator(server.client())
    with pytest.raises(LocatorError):
        locator.locate_credential("https://issuer.test/nothing")
