"""Maker-checker: big batches and key operations wait for a second, different admin."""

from __future__ import annotations

import dataclasses

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from issuer.app import create_app
from issuer.config import Settings
from issuer.services import Services
from issuer.store.models import Credential, SigningKey
from tests.helpers import make_token
from tests.issuer.helpers import load_catalog
from tests.issuer.lifecycle_helpers import bearer, issue, post, verify_api

BATCH = {"exam_session": "2026-Q4-D3-R05", "reason": "exam_misconduct", "note": "room 5 camera"}


@pytest.fixture
def batch_client(settings: Settings, services: Services) -> TestClient:
    """The app with TESSERA_BATCH_APPROVAL_THRESHOLD=2."""
    small = settings.model_copy(update={"batch_approval_threshold": 2})
    load_catalog(services)
    return TestClient(create_app(small, services=dataclasses.replace(services, settings=small)))


def _states(services: Services) -> list[str]:
    with services.sessions() as session:
        return sorted(session.scalars(select(Credential.state)))


def _issue_three(client: TestClient, headers: dict[str, str]) -> list[dict[str, str]]:
    return [
        issue(client, headers, holder={"name": f"考生{n}", "employee_number": f"M-{n}"})
        for n in range(3)
    ]


def test_big_batch_waits_for_a_second_admin_and_the_maker_cannot_approve(
    batch_client: TestClient, services: Services
) -> None:
    maker, checker = bearer(make_token(services)), bearer(make_token(services))
    issued = _issue_three(batch_client, maker)
    filed = post(batch_client, "/api/v1/credentials/batch-revoke", maker, BATCH)
    assert filed.status_code == 202, filed.text
    approval = filed.json()["approval"]
    assert approval["state"] == "pending"
    assert approval["params"]["count"] == 3
    assert _states(services) == ["active"] * 3  # unapproved: nothing changed
    assert verify_api(batch_client, issued[0]["credential"])["status"] == "valid"

    own = post(batch_client, f"/api/v1/approvals/{approval['id']}/approve", maker)
    assert own.status_code == 403
    assert own.json()["code"] == "own_request"
    assert _states(services) == ["active"] * 3

    done = post(batch_client, f"/api/v1/approvals/{approval['id']}/approve", checker)
    assert done.status_code == 200
    assert done.json()["result"] == {"revoked": 3}
    assert _states(services) == ["revoked"] * 3
    result = verify_api(batch_client, issued[2]["credential"])
    assert result["status"] == "revoked"
    assert result["status_detail"]["reason"] == "exam_misconduct"
    twice = post(batch_client, f"/api/v1/approvals/{approval['id']}/approve", checker)
    assert twice.status_code == 409
    assert twice.json()["code"] == "approval_decided"


def test_rejected_request_does_nothing(batch_client: TestClient, services: Services) -> None:
    maker, checker = bearer(make_token(services)), bearer(make_token(services))
    _issue_three(batch_client, maker)
    approval = post(batch_client, "/api/v1/credentials/batch-revoke", maker, BATCH).json()
    rejected = post(batch_client, f"/api/v1/approvals/{approval['approval']['id']}/reject", checker)
    assert rejected.status_code == 200
    assert rejected.json()["state"] == "rejected"
    assert _states(services) == ["active"] * 3
    listed = batch_client.get("/api/v1/approvals?state=rejected", headers=checker).json()
    assert listed["total"] == 1


def test_registrar_may_request_a_batch_of_its_unit_but_only_an_admin_approves(
    batch_client: TestClient, services: Services
) -> None:
    admin = bearer(make_token(services))
    registrar = bearer(make_token(services, "registrar", ["U01"]))
    _issue_three(batch_client, admin)
    filed = post(batch_client, "/api/v1/credentials/batch-revoke", registrar, BATCH)
    assert filed.status_code == 202
    url = f"/api/v1/approvals/{filed.json()['approval']['id']}/approve"
    assert post(batch_client, url, registrar).status_code == 403
    assert post(batch_client, url, admin).status_code == 200
    assert _states(services) == ["revoked"] * 3


def test_key_rotation_through_the_api_needs_approval(
    client: TestClient, services: Services
) -> None:
    maker, checker = bearer(make_token(services)), bearer(make_token(services))
    with services.sessions() as session:
        before = session.scalars(select(SigningKey.kid).where(SigningKey.state == "active")).one()
    filed = post(client, "/api/v1/keys/rotate", maker)
    assert filed.status_code == 202
    keys = client.get("/api/v1/keys", headers=maker).json()
    assert [k["state"] for k in keys] == ["active"]
    assert post(client, f"/api/v1/approvals/{filed.json()['id']}/approve", maker).status_code == 403
    done = post(client, f"/api/v1/approvals/{filed.json()['id']}/approve", checker)
    assert done.status_code == 200
    keys = client.get("/api/v1/keys", headers=checker).json()
    assert sorted(k["state"] for k in keys) == ["active", "retired"]
    assert done.json()["result"]["active_kid"] != before


def test_requests_name_the_principals_and_a_second_token_of_the_maker_cannot_decide(
    batch_client: TestClient, services: Services
) -> None:
    maker, checker = bearer(make_token(services)), bearer(make_token(services))
    _issue_three(batch_client, maker)
    extra = post(batch_client, "/api/v1/tokens", maker, {"name": "maker's laptop"})
    assert extra.status_code == 201
    filed = post(batch_client, "/api/v1/credentials/batch-revoke", maker, BATCH).json()["approval"]
    assert filed["requested_by"].startswith(f"principal:{filed['requested_by_principal_id']}:")
    url = f"/api/v1/approvals/{filed['id']}/approve"
    assert post(batch_client, url, bearer(extra.json()["token"])).status_code == 403
    done = post(batch_client, url, checker).json()
    assert done["decided_by_principal_id"] not in (None, filed["requested_by_principal_id"])
    assert _states(services) == ["revoked"] * 3
