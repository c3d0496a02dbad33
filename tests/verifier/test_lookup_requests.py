"""Look-ups by certificate number at a verifier without a register (the standalone one)."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from tests.verifier.kit import IssuerKit
from verifier.web.api import create_verify_router
from verifier.web.requests import CredentialRequest, LookupRequest, request_schema


@pytest.fixture
def client(kit: IssuerKit) -> TestClient:
    app = FastAPI()
    app.include_router(create_verify_router(kit.verifier()))
    return TestClient(app)


def test_a_verifier_without_a_register_refuses_lookups(client: TestClient) -> None:
    response = client.post(
        "/api/v1/verify", json={"certificate_number": "TS2026001000001", "holder_name": "王小明"}
    )
    assert response.status_code == 422
    assert response.json()["code"] == "lookup_not_offered"
    form = client.post("/verify", data={"certificate_number": "TS1", "holder_name": "王小明"})
    assert form.status_code == 422
    assert form.headers["content-type"] == "application/problem+json"
    assert 'name="certificate_number"' not in client.get("/verify").text  # no form offered


def test_credentials_still_verify_beside_the_lookup_shape(
    client: TestClient, kit: IssuerKit
) -> None:
    response = client.post("/api/v1/verify", json={"credential": kit.token(), "note": "x"})
    assert response.status_code == 200
    assert response.json()["status"] == "valid"


def test_the_request_schema_is_one_of_the_two_requests() -> None:
    schema: dict[str, Any] = request_schema()
    titles = [option["title"] for option in schema["oneOf"]]
    assert titles == [CredentialRequest.__name__, LookupRequest.__name__]
    lookup = schema["oneOf"][1]
    assert lookup["required"] == ["certificate_number", "holder_name"]
    assert lookup["properties"]["certificate_number"]["maxLength"] == 64
    assert lookup["properties"]["holder_name"]["maxLength"] == 200
