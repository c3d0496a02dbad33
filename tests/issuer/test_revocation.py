"""Revocation: a reason code, the status-list bit set at once, irreversible."""

from __future__ import annotations

import base64
import gzip

import pytest
from fastapi.testclient import TestClient

from issuer.services import Services
from tests.helpers import BASE_URL, make_token
from tests.issuer.helpers import issue_body, load_catalog, verify_with_jwcrypto


@pytest.fixture(autouse=True)
def _catalog(services: Services) -> None:
    load_catalog(services)


def _bit(client: TestClient, token: str) -> int:
    """Read the credential's bit straight from the published list (BSL §2.2, MSB first)."""
    jwks = client.get("/.well-known/jwks.json").json()
    _h, payload = verify_with_jwcrypto(token, jwks)
    entry = payload["credentialStatus"]
    published = client.get(entry["statusListCredential"].removeprefix(BASE_URL))
    _h, status_list = verify_with_jwcrypto(published.text, jwks)
    encoded = status_list["credentialSubject"]["encodedList"][1:]
    bits = gzip.decompress(base64.urlsafe_b64decode(encoded + "=" * (-len(encoded) % 4)))
    index = int(entry["statusListIndex"])
    return (bits[index // 8] >> (7 - index % 8)) & 1


def test_revoking_sets_the_bit_and_is_irreversible(
    client: TestClient, admin_headers: dict[str, str]
) -> None:
    issued = client.post("/api/v1/credentials", json=issue_body(), headers=admin_headers).json()
    other_body = issue_body(holder={"name": "李雷", "employee_number": "E-2"})
    other = client.post("/api/v1/credentials", json=other_body, headers=admin_headers).json()
    assert _bit(client, issued["credential"]) == 0
    url = f"/api/v1/credentials/{issued['id']}/revoke"
    response = client.post(
        url, json={"reason": "exam_misconduct", "note": "room 5"}, headers=admin_headers
    )
    assert response.status_code == 200
    assert response.json()["state"] == "revoked"
    assert _bit(client, issued["credential"]) == 1
    assert _bit(client, other["credential"]) == 0
    again = client.post(url, json={"reason": "exam_misconduct"}, headers=admin_headers)
    assert again.status_code == 409
    assert again.json()["code"] == "already_revoked"


@pytest.mark.parametrize(
    ("body", "status"),
    [({"reason": "because"}, 422), ({}, 422), ({"reason": "holder_request", "x": 1}, 422)],
)
def test_revoke_needs_a_known_reason_code(
    client: TestClient, admin_headers: dict[str, str], body: dict[str, str], status: int
) -> None:
    issued = client.post("/api/v1/credentials", json=issue_body(), headers=admin_headers).json()
    url = f"/api/v1/credentials/{issued['id']}/revoke"
    assert client.post(url, json=body, headers=admin_headers).status_code == status
    assert _bit(client, issued["credential"]) == 0


def test_only_writers_of_the_unit_may_revoke(
    client: TestClient, admin_headers: dict[str, str], services: Services
) -> None:
    issued = client.post("/api/v1/credentials", json=issue_body(), headers=admin_headers).json()
    url = f"/api/v1/credentials/{issued['id']}/revoke"
    body = {"reason": "issued_in_error"}
    assert client.post(url, json=body).status_code == 401
    for role, units in (("auditor", []), ("registrar", ["U02"])):
        headers = {"Authorization": f"Bearer {make_token(services, role, units)}"}
        assert client.post(url, json=body, headers=headers).status_code == 403
    assert _bit(client, issued["credential"]) == 0
    missing = "/api/v1/credentials/00000000-0000-4000-8000-000000000000/revoke"
    assert client.post(missing, json=body, headers=admin_headers).status_code == 404
