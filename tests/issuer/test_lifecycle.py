"""Suspend, reinstate, reissue, batch revocation and key compromise, seen by the verify API
and the verify page (the CLI over HTTP: tests/test_lifecycle_end_to_end.py)."""

from __future__ import annotations

import datetime as dt

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from issuer.services import Services
from issuer.store.models import Credential, Holder
from issuer.web import local_verifier
from tests.helpers import BASE_URL, make_token
from tests.issuer.helpers import load_catalog
from tests.issuer.lifecycle_helpers import (
    bearer,
    issue,
    post,
    status_list_of,
    verify_api,
    verify_page,
)


@pytest.fixture(autouse=True)
def _catalog(services: Services) -> None:
    load_catalog(services)


def test_suspend_then_reinstate_is_seen_by_api_and_page(
    client: TestClient, admin_headers: dict[str, str]
) -> None:
    issued = issue(client, admin_headers)
    url = f"/api/v1/credentials/{issued['id']}"
    body = {"reason": "holder_request", "note": "secret note"}
    suspended = post(client, f"{url}/suspend", admin_headers, body)
    assert suspended.status_code == 200
    assert suspended.json()["state"] == "suspended"
    result = verify_api(client, issued["credential"])
    assert (result["verified"], result["status"]) == (False, "suspended")
    assert result["status_detail"]["reason"] == "holder_request"
    page = verify_page(client, issued["id"])
    assert "已暂停" in page
    assert "Suspended" in page
    assert "secret note" not in page
    list_url = status_list_of(issued["credential"]).removeprefix(BASE_URL)
    twin = client.get(f"{list_url}/suspension")
    assert twin.status_code == 200
    assert twin.headers["etag"] != client.get(list_url).headers["etag"]
    again = post(client, f"{url}/suspend", admin_headers, body)
    assert again.status_code == 409
    assert again.json()["code"] == "already_suspended"

    reinstated = post(client, f"{url}/reinstate", admin_headers)
    assert reinstated.status_code == 200
    assert reinstated.json()["state"] == "active"
    result = verify_api(client, issued["credential"])
    assert (result["verified"], result["status"]) == (True, "valid")
    assert "真实有效" in verify_page(client, issued["id"])
    assert post(client, f"{url}/reinstate", admin_headers).json()["code"] == "not_suspended"


def test_revoked_credential_cannot_be_suspended_or_reinstated(
    client: TestClient, admin_headers: dict[str, str]
) -> None:
    issued = issue(client, admin_headers)
    url = f"/api/v1/credentials/{issued['id']}"
    assert post(client, f"{url}/revoke", admin_headers, {"reason": "exam_misconduct"}).is_success
    for action, body in (("suspend", {"reason": "holder_request"}), ("reinstate", {})):
        response = post(client, f"{url}/{action}", admin_headers, body)
        assert response.status_code == 409
        assert response.json()["code"] == "already_revoked"
    result = verify_api(client, issued["credential"])
    assert result["status"] == "revoked"
    assert result["status_detail"]["reason"] == "exam_misconduct"


def test_reissue_corrects_the_name_and_supersedes_the_old_credential(
    client: TestClient, admin_headers: dict[str, str], services: Services
) -> None:
    issued = issue(client, admin_headers)
    body = {"reason": "data_correction", "holder_name": "王晓明", "level": "intermediate"}
    response = post(client, f"/api/v1/credentials/{issued['id']}/reissue", admin_headers, body)
    assert response.status_code == 201, response.text
    old, new = response.json()["superseded"], response.json()["credential"]
    assert old["state"] == "superseded"
    assert new["state"] == "active"
    assert new["id"] != issued["id"]
    assert new["number"] != issued["number"]
    assert new["holder"]["name"] == "王晓明"
    assert new["level"]["code"] == "intermediate"
    assert new["exam_date"] == issued["exam_date"]  # the award date stays

    result = verify_api(client, issued["credential"])
    assert (result["verified"], result["status"]) == (False, "superseded")
    assert result["status_detail"]["superseded_by"] == f"{BASE_URL}/v/{new['id']}"
    assert result["status_detail"]["reason"] == "data_correction"
    page = verify_page(client, issued["id"])
    assert "已被取代" in page
    assert f'href="{BASE_URL}/v/{new["id"]}"' in page
    fresh = verify_api(client, new["credential"])
    assert fresh["status"] == "valid"
    assert fresh["credential"]["holder_name"] == "王晓明"
    with services.sessions() as session:
        assert session.scalar(select(Holder.name)) == "王晓明"
    # Issuing again under the corrected name works; the old name is now the mismatch.
    again = post(client, f"/api/v1/credentials/{issued['id']}/reissue", admin_headers, body)
    assert again.status_code == 409
    assert again.json()["code"] == "already_superseded"


def test_reissue_of_a_suspended_credential_keeps_the_replacement_suspended(
    client: TestClient, admin_headers: dict[str, str]
) -> None:
    issued = issue(client, admin_headers)
    url = f"/api/v1/credentials/{issued['id']}"
    assert post(client, f"{url}/suspend", admin_headers, {"reason": "holder_request"}).is_success
    body = {"reason": "data_correction", "level": "intermediate"}
    new = post(client, f"{url}/reissue", admin_headers, body).json()["credential"]
    assert new["state"] == "suspended"
    assert verify_api(client, new["credential"])["status"] == "suspended"


def test_batch_revocation_below_the_threshold_revokes_the_whole_session(
    client: TestClient, admin_headers: dict[str, str]
) -> None:
    credentials = [
        issue(client, admin_headers, holder={"name": f"考生{n}", "employee_number": f"B-{n}"})
        for n in range(3)
    ]
    other = issue(
        client,
        admin_headers,
        holder={"name": "别的场次", "employee_number": "B-9"},
        exam={"date": "2026-10-14", "session": "OTHER"},
    )
    body = {"exam_session": "2026-Q4-D3-R05", "reason": "exam_misconduct"}
    response = post(client, "/api/v1/credentials/batch-revoke", admin_headers, body)
    assert response.status_code == 200
    assert response.json()["revoked"] == 3
    for credential in credentials:
        assert verify_api(client, credential["credential"])["status"] == "revoked"
    assert verify_api(client, other["credential"])["status"] == "valid"
    missing = post(client, "/api/v1/credentials/batch-revoke", admin_headers, body)
    assert missing.status_code == 404
    assert missing.json()["code"] == "empty_batch"


def test_key_compromise_fails_every_credential_of_the_key_and_reissue_replaces_them(
    client: TestClient, services: Services, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The in-process verifier re-reads its keys at most every 5 s (documented); not here.
    monkeypatch.setattr(local_verifier, "_JWKS_CACHE_SECONDS", 0.0)
    maker, checker = bearer(make_token(services)), bearer(make_token(services))
    issued = issue(client, maker)
    kid = issued["kid"]
    now = services.clock()
    body = {"compromised_at": (now - dt.timedelta(days=1)).isoformat()}
    request = post(client, f"/api/v1/keys/{kid}/compromise", maker, body)
    assert request.status_code == 202, request.text
    assert verify_api(client, issued["credential"])["status"] == "valid"  # nothing yet
    approved = post(client, f"/api/v1/approvals/{request.json()['id']}/approve", checker)
    assert approved.status_code == 200, approved.text
    new_kid = approved.json()["result"]["active_kid"]
    assert new_kid
    assert new_kid != kid

    result = verify_api(client, issued["credential"])
    failed = [c for c in result["checks"] if not c["passed"]]
    assert result["status"] == "invalid"
    assert failed[0]["error"] == "key_compromised"
    assert "签名密钥已泄露" in verify_page(client, issued["id"])
    assert kid not in client.get("/.well-known/jwks.json").text
    assert client.get(f"/keys/{kid}").status_code == 404
    listed = client.get("/compromised-keys.json").json()
    assert listed["issuer"] == BASE_URL
    assert [k["kid"] for k in listed["keys"]] == [kid]

    request = post(client, f"/api/v1/keys/{kid}/reissue", checker)
    assert request.status_code == 202
    done = post(client, f"/api/v1/approvals/{request.json()['id']}/approve", maker)
    assert done.status_code == 200
    result = done.json()["result"]
    assert (result["credentials"], result["chunks"]) == (1, 1)
    # Re-issued by jobs (in-process on SQLite, after the answer); the result points to them.
    assert result["progress"] == f"/api/v1/keys/{kid}/reissue"
    run = client.get(result["progress"], headers=checker).json()
    assert (run["run_id"], run["state"]) == (result["run_id"], "done")
    assert (run["credentials_done"], run["reissued"], run["credentials_total"]) == (1, 1, 1)
    with services.sessions() as session:
        old = session.get(Credential, issued["id"])
        assert old is not None
        assert old.state == "superseded"
        assert old.replaced_by_id
        replacement = session.get(Credential, old.replaced_by_id)
        assert replacement is not None
        assert replacement.kid == new_kid
        assert verify_api(client, replacement.jws)["status"] == "valid"
        count = session.scalar(select(func.count()).select_from(Credential))
    assert count == 2


def test_token_api_creates_lists_and_revokes_and_a_revoked_token_stops_at_once(
    client: TestClient, admin_headers: dict[str, str]
) -> None:
    body = {"name": "clerk", "role": "registrar", "units": ["U01"]}
    created = post(client, "/api/v1/tokens", admin_headers, body)
    assert created.status_code == 201, created.text
    token = created.json()["token"]
    assert client.get("/api/v1/credentials", headers=bearer(token)).status_code == 200
    listed = client.get("/api/v1/tokens", headers=admin_headers).json()
    assert all("token" not in item for item in listed)
    assert {item["state"] for item in listed} == {"active"}
    revoked = post(client, f"/api/v1/tokens/{created.json()['id']}/revoke", admin_headers)
    assert revoked.status_code == 200
    assert revoked.json()["state"] == "revoked"
    assert client.get("/api/v1/credentials", headers=bearer(token)).status_code == 401
    for bad in (
        {"name": "x", "role": "registrar"},
        {"name": "x", "role": "admin", "units": ["NO"]},
    ):
        response = post(client, "/api/v1/tokens", admin_headers, bad)
        assert response.status_code == 422
        assert response.json()["code"] in {"units_required", "unknown_unit"}
