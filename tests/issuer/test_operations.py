"""Readiness, metrics, request ids, security headers, CORS, rate-limit and body-limit coverage."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text
from sqlalchemy.exc import OperationalError

from issuer.app import create_app
from issuer.config import Settings
from issuer.keys.keystore import key_path
from issuer.services import Services
from issuer.web.error_handlers import database_problem
from issuer.web.middleware.rate_limit import is_rate_limited
from tests.helpers import BASE_URL
from tests.issuer.helpers import issue_body, load_catalog
from verifier.jws import decode_unverified_jws

# Every route a person or an outside verifier reaches without a token.
NOT_RATE_LIMITED = {"/healthz", "/readyz", "/metrics", "/openapi.json", "/docs"}


def _status_list_path(credential: str) -> str:
    status = decode_unverified_jws(credential).payload["credentialStatus"]
    entry = status[0] if isinstance(status, list) else status
    return str(entry["statusListCredential"]).removeprefix(BASE_URL)


def _metric(text_body: str, name: str, **labels: str) -> float:
    wanted = ",".join(f'{k}="{v}"' for k, v in sorted(labels.items()))
    for line in text_body.splitlines():
        match = re.fullmatch(rf"{re.escape(name)}\{{(.*)\}} (\S+)", line)
        if match and ",".join(sorted(match.group(1).split(","))) == wanted:
            return float(match.group(2))
    return 0.0


def test_readyz_is_ready_then_names_a_missing_signing_key(
    client: TestClient, services: Services, settings: Settings
) -> None:
    ready = client.get("/readyz")
    assert ready.status_code == 200
    assert ready.json()["checks"] == {"database": "ok", "migrations": "ok", "signing_key": "ok"}
    with services.sessions() as session:
        kid = services.signer(session).kid
    key_path(settings.keys_dir, kid).rename(settings.keys_dir / "moved-away")
    not_ready = client.get("/readyz")
    assert not_ready.status_code == 503
    body = not_ready.json()
    assert body["code"] == "not_ready"
    assert body["failing"] == ["signing_key"]
    assert not_ready.headers["content-type"] == "application/problem+json"


def test_readyz_names_migrations_not_at_head(client: TestClient, services: Services) -> None:
    with services.engine.begin() as connection:
        current = connection.execute(text("SELECT version_num FROM alembic_version")).scalar()
        connection.execute(text("UPDATE alembic_version SET version_num = 'older'"))
    try:
        response = client.get("/readyz")
        assert response.status_code == 503
        assert response.json()["failing"] == ["migrations"]
    finally:
        with services.engine.begin() as connection:
            connection.execute(text("UPDATE alembic_version SET version_num = :v"), {"v": current})


def test_metrics_count_requests_by_template_verifications_and_changes(
    client: TestClient, services: Services, admin_headers: dict[str, str]
) -> None:
    load_catalog(services)
    issued = client.post("/api/v1/credentials", json=issue_body(), headers=admin_headers).json()
    client.get(f"/v/{issued['id']}")
    client.post("/api/v1/verify", json={"credential": issued["credential"]})
    client.post("/api/v1/verify", json={"credential": "garbage"})
    revoke = f"/api/v1/credentials/{issued['id']}/revoke"
    assert client.post(revoke, json={"reason": "issued_in_error"}, headers=admin_headers).is_success
    client.post("/api/v1/verify", json={"credential": issued["credential"]})
    client.get(_status_list_path(issued["credential"]))
    client.get(_status_list_path(issued["credential"]))

    body = client.get("/metrics").text
    assert issued["id"] not in body, "labels name route templates, never credential ids"
    page = {"method": "GET", "route": "/v/{credential_id}", "status": "200"}
    assert _metric(body, "tessera_http_requests_total", **page) == 1
    assert "tessera_http_request_duration_seconds_bucket" in body
    assert _metric(body, "tessera_verifications_total", status="valid") == 2
    assert _metric(body, "tessera_verifications_total", status="unreadable") == 1
    assert _metric(body, "tessera_verifications_total", status="revoked") == 1
    assert _metric(body, "tessera_credentials_total", event="issued") == 1
    assert _metric(body, "tessera_credentials_total", event="revoked") == 1
    assert _metric(body, "tessera_status_list_cache_total", source="publisher", result="hit") >= 1
    assert _metric(body, "tessera_status_list_cache_total", source="publisher", result="miss") >= 1


def test_rolled_back_changes_are_not_counted(
    client: TestClient, services: Services, admin_headers: dict[str, str]
) -> None:
    load_catalog(services)
    refused = client.post(
        "/api/v1/credentials", json=issue_body(unit="NO-SUCH-UNIT"), headers=admin_headers
    )
    assert refused.status_code in (404, 422)
    body = client.get("/metrics").text
    assert _metric(body, "tessera_credentials_total", event="issued") == 0


def test_request_id_is_always_generated_never_the_clients(client: TestClient) -> None:
    for presented in ({}, {"X-Request-ID": "abc-123"}, {"X-Request-ID": "bad id <script>"}):
        generated = client.get("/healthz", headers=presented).headers["x-request-id"]
        assert re.fullmatch(r"[0-9a-f]{32}", generated)


def test_html_pages_get_a_strict_csp_and_no_inline_style(client: TestClient) -> None:
    for path in ("/verify", "/c", "/v/00000000-0000-4000-8000-000000000000"):
        response = client.get(path)
        assert response.headers["content-type"].startswith("text/html")
        csp = response.headers["content-security-policy"]
        assert "'unsafe-inline'" not in csp
        assert "frame-ancestors 'none'" in csp
        assert "style-src 'self'" in csp
        assert response.headers["x-content-type-options"] == "nosniff"
        assert "<style" not in response.text
        assert " style=" not in response.text
        assert "strict-transport-security" not in response.headers  # plain http here
    css = client.get("/verify/verify.css")
    assert css.status_code == 200
    assert css.headers["content-type"].startswith("text/css")
    assert client.get("/s/share.css").headers["content-type"].startswith("text/css")


def test_hsts_only_over_https(settings: Settings, services: Services) -> None:
    app = create_app(settings, services=services)
    with TestClient(app, base_url="https://tessera.test") as secure:
        hsts = secure.get("/verify").headers["strict-transport-security"]
        assert "max-age=" in hsts


def test_cors_open_for_public_documents_and_closed_for_the_registrar_api(
    client: TestClient, services: Services, admin_headers: dict[str, str]
) -> None:
    load_catalog(services)
    issued = client.post("/api/v1/credentials", json=issue_body(), headers=admin_headers).json()
    origin = {"Origin": "https://employer.example"}
    public = [
        "/.well-known/jwks.json",
        "/.well-known/jwt-vc-issuer",
        _status_list_path(issued["credential"]),
        f"/credentials/{issued['id']}/status",
        "/compromised-keys.json",
        "/qr-packing/v1.dict",
        "/qr-packing/v2.dict",
        "/units/U01",
        "/achievements/6-17-05-01-senior",
    ]
    for path in public:
        response = client.get(path, headers=origin)
        assert response.status_code == 200, path
        assert response.headers.get("access-control-allow-origin") == "*", path
    private = client.get("/api/v1/credentials", headers={**origin, **admin_headers})
    assert private.status_code == 200
    assert "access-control-allow-origin" not in private.headers
    preflight = client.options(
        "/api/v1/credentials",
        headers={**origin, "Access-Control-Request-Method": "POST"},
    )
    assert "access-control-allow-origin" not in preflight.headers


def test_every_public_route_is_rate_limited(client: TestClient) -> None:
    paths = client.get("/openapi.json").json()["paths"]
    public = [
        path
        for path in paths
        if not (path.startswith("/api/v1/") and path != "/api/v1/verify")
        and path not in NOT_RATE_LIMITED
    ]
    assert "/s/{token}" in public
    assert "/c" in public
    assert "/compromised-keys.json" in public
    assert [p for p in public if not is_rate_limited(p)] == []


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/credentials",
        "/api/v1/verify",
        "/verify",
        "/api/v1/imports",
        "/api/v1/credentials/x/revoke",
        "/api/v1/tokens",
    ],
)
def test_every_body_is_size_limited(
    client: TestClient, settings: Settings, admin_headers: dict[str, str], path: str
) -> None:
    limit = max(settings.max_body_bytes, settings.import_max_bytes)
    too_large = b"x" * (limit + 1)
    response = client.post(
        path, content=too_large, headers={**admin_headers, "Content-Type": "application/json"}
    )
    assert response.status_code == 413, path


def test_sqlite_write_errors_have_their_own_codes() -> None:
    for message, code in (
        ("attempt to write a readonly database", "database_read_only"),
        ("database or disk is full", "storage_full"),
        ("connection refused", "database_unavailable"),
    ):
        assert database_problem(OperationalError("stmt", {}, Exception(message)))[0] == code
