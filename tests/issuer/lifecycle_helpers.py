"""Helpers for the lifecycle tests: issue one credential, verify it three ways."""

from __future__ import annotations

import base64
import json
from typing import Any

from fastapi.testclient import TestClient

from tests.issuer.helpers import issue_body


def issue(client: TestClient, headers: dict[str, str], **changes: Any) -> dict[str, Any]:
    response = client.post("/api/v1/credentials", json=issue_body(**changes), headers=headers)
    assert response.status_code == 201, response.text
    issued: dict[str, Any] = response.json()
    return issued


def verify_api(client: TestClient, credential: str) -> dict[str, Any]:
    response = client.post("/api/v1/verify", json={"credential": credential})
    assert response.status_code == 200
    result: dict[str, Any] = response.json()
    return result


def verify_page(client: TestClient, credential_id: str) -> str:
    response = client.get(f"/v/{credential_id}")
    assert response.status_code == 200
    return response.text


def post(
    client: TestClient, url: str, headers: dict[str, str], body: dict[str, Any] | None = None
) -> Any:
    return client.post(url, json=body if body is not None else {}, headers=headers)


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def status_list_of(credential: str) -> str:
    """The ``statusListCredential`` URL inside a compact JWS credential."""
    payload = credential.split(".")[1]
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    url: str = claims["credentialStatus"]["statusListCredential"]
    return url
