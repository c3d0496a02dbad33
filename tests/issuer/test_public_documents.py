"""Public documents: issuer metadata, achievements, status lists."""

from __future__ import annotations

import base64
import gzip

import pytest
from fastapi.testclient import TestClient

from issuer.services import Services
from issuer.web.middleware.rate_limit import is_rate_limited
from tests.helpers import BASE_URL
from tests.issuer.helpers import issue_body, load_catalog, verify_with_jwcrypto


def test_jwt_vc_issuer_metadata_points_at_the_jwks(client: TestClient) -> None:
    metadata = client.get("/.well-known/jwt-vc-issuer").json()
    assert metadata == {"issuer": BASE_URL, "jwks_uri": f"{BASE_URL}/.well-known/jwks.json"}
    jwks = client.get("/.well-known/jwks.json")
    assert jwks.headers["content-type"] == "application/jwk-set+json"
    assert all("d" not in key for key in jwks.json()["keys"])


def test_achievement_is_served_for_every_occupation_and_level(
    client: TestClient, services: Services
) -> None:
    load_catalog(services)
    doc = client.get("/achievements/6-17-05-01-senior").json()
    assert doc["id"] == f"{BASE_URL}/achievements/6-17-05-01-senior"
    assert doc["type"] == ["Achievement"]
    assert doc["humanCode"] == "6-17-05-01"
    assert doc["criteria"]["narrative"]
    assert doc["description"]
    assert "高级工" in doc["name"]
    for code in ("6-17-05-01-expert", "nope", "-senior", "6-17-05-01"):
        response = client.get(f"/achievements/{code}")
        assert response.status_code == 404
        assert response.json()["code"] == "not_found"


def test_status_list_is_a_signed_gzip_msb_first_list(
    client: TestClient, admin_headers: dict[str, str], services: Services
) -> None:
    load_catalog(services)
    body = client.post("/api/v1/credentials", json=issue_body(), headers=admin_headers).json()
    jwks = client.get("/.well-known/jwks.json").json()
    _h, payload = verify_with_jwcrypto(body["credential"], jwks)
    list_url = payload["credentialStatus"]["statusListCredential"]
    response = client.get(list_url.removeprefix(BASE_URL))
    assert response.headers["content-type"].startswith("application/vc+jwt")
    header, status_list = verify_with_jwcrypto(response.text, jwks)
    assert header["typ"] == "vc+jwt"
    assert "BitstringStatusListCredential" in status_list["type"]
    subject = status_list["credentialSubject"]
    assert subject["statusPurpose"] == "revocation"
    assert subject["ttl"] == services.settings.status_list_ttl_seconds * 1000
    encoded = subject["encodedList"]
    assert encoded.startswith("u")
    bits = gzip.decompress(base64.urlsafe_b64decode(encoded[1:] + "=" * (-len(encoded[1:]) % 4)))
    assert len(bits) * 8 >= 131_072
    assert not any(bits)
    etag = response.headers["etag"]
    assert response.headers["cache-control"] == (
        f"public, max-age={services.settings.status_list_ttl_seconds}"
    )
    again = client.get(list_url.removeprefix(BASE_URL), headers={"If-None-Match": etag})
    assert again.status_code == 304
    assert not again.content


@pytest.mark.parametrize("path", ["/status/999", "/status/abc", "/status/-1"])
def test_unknown_status_list_is_a_clean_4xx(client: TestClient, path: str) -> None:
    response = client.get(path)
    assert response.status_code in {404, 422}
    assert response.headers["content-type"] == "application/problem+json"


def test_the_service_address_leads_to_the_verify_page(client: TestClient) -> None:
    response = client.get("/", follow_redirects=False)
    assert response.status_code == 307
    assert response.headers["location"] == "/verify"
    page = client.get("/")
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    assert is_rate_limited("/")
    assert not is_rate_limited("/healthz")
