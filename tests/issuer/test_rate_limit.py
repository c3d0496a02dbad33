"""Public endpoints are rate limited per client; registrar endpoints are not."""

from __future__ import annotations

from fastapi.testclient import TestClient

from issuer.app import create_app
from issuer.config import Settings
from issuer.services import Services
from issuer.web.middleware.rate_limit import RateLimiter, parse_rate


def test_gcra_allows_the_rate_and_says_when_to_retry() -> None:
    now = [0.0]
    limiter = RateLimiter(3, 60.0, clock=lambda: now[0])
    assert [limiter.retry_after("a") for _ in range(3)] == [0.0, 0.0, 0.0]
    assert limiter.retry_after("a") == 20.0  # one request per 20 s refills
    assert limiter.retry_after("b") == 0.0  # clients are counted apart
    now[0] = 20.0
    assert limiter.retry_after("a") == 0.0
    assert parse_rate("600/minute") == (600, 60.0)
    assert parse_rate("off") is None


def test_over_the_limit_public_requests_get_429_with_retry_after(
    settings: Settings, services: Services, admin_headers: dict[str, str]
) -> None:
    limited = settings.model_copy(update={"rate_limit": "5/minute"})
    with TestClient(create_app(limited, services=services)) as client:
        codes = [client.get("/.well-known/jwks.json").status_code for _ in range(6)]
        assert codes == [200] * 5 + [429]
        refused = client.post("/api/v1/verify", json={"credential": "x"})
        assert refused.status_code == 429
        assert refused.headers["content-type"] == "application/problem+json"
        assert refused.json()["code"] == "rate_limited"
        assert int(refused.headers["retry-after"]) >= 1
        assert client.get("/healthz").status_code == 200
        registrar = client.get("/api/v1/credentials", headers=admin_headers)
        assert registrar.status_code == 200
