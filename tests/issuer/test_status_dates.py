"""The date of a revocation, suspension or reissue: in the public status detail other
verifiers read, in this server's verify result and on its verify page."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from fastapi.testclient import TestClient

from issuer.services import Services
from issuer.store.models import Credential
from tests.issuer.helpers import load_catalog
from tests.issuer.lifecycle_helpers import issue, post, verify_api, verify_page
from verifier.sources.status_lists import parse_status_detail


@pytest.fixture(autouse=True)
def _catalog(services: Services) -> None:
    load_catalog(services)


def _changed_at(services: Services, credential_id: str) -> dt.datetime:
    with services.read_sessions() as session:
        row = session.get(Credential, credential_id)
        assert row is not None
        assert row.state_changed_at is not None
        return row.state_changed_at.replace(microsecond=0)


def test_each_lifecycle_change_carries_its_date(
    client: TestClient, admin_headers: dict[str, str], services: Services
) -> None:
    active, suspended, revoked, replaced = (  # four candidates: one credential per exam each
        issue(client, admin_headers, holder={"name": "王小明", "employee_number": f"E-00{n}"})
        for n in range(4)
    )
    detail = client.get(f"/credentials/{active['id']}/status").json()
    assert detail["changed_at"] is None  # nothing to date while it is in force
    url = "/api/v1/credentials"
    assert post(
        client, f"{url}/{suspended['id']}/suspend", admin_headers, {"reason": "holder_request"}
    ).is_success
    assert post(
        client, f"{url}/{revoked['id']}/revoke", admin_headers, {"reason": "exam_misconduct"}
    ).is_success
    fix = {"reason": "data_correction", "holder_name": "王晓明"}
    assert post(client, f"{url}/{replaced['id']}/reissue", admin_headers, fix).is_success

    for issued, status, label in (
        (suspended, "suspended", "Suspended on"),
        (revoked, "revoked", "Revoked on"),
        (replaced, "superseded", "Replaced on"),
    ):
        when = _changed_at(services, issued["id"])
        public = client.get(f"/credentials/{issued['id']}/status")
        assert public.json()["changed_at"] == when.strftime("%Y-%m-%dT%H:%M:%SZ")
        read = parse_status_detail(public.text, f"urn:uuid:{issued['id']}")
        assert read is not None
        assert read.changed_at == when  # what an outside verifier reads back
        result = verify_api(client, issued["credential"])
        assert result["status"] == status
        stated = dt.datetime.fromisoformat(result["status_detail"]["changed_at"])
        assert stated.replace(microsecond=0) == when
        page = verify_page(client, issued["id"])
        # Shown where the issuer is (its profile's zone, Beijing time here), the zone named.
        local = when.astimezone(ZoneInfo("Asia/Shanghai"))
        assert f"{label}: {local:%Y-%m-%d %H:%M:%S} Beijing time (UTC+8)" in page
