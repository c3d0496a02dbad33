"""Dates at the edges of the calendar: a clear 422, never a 500 or a false 503.

A date-time whose UTC form falls outside years 1-9999 (``9999-12-31T23:00:00-05:00``,
``0001-01-01T00:00:00+01:00``) used to overflow where it was converted for storage or
comparison; the database layer's wrapper then answered ``503 database_unavailable``.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest
from fastapi.testclient import TestClient
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError
from sqlalchemy import func, select

from issuer.services import Services
from issuer.store.models import ApiToken, AuditEvent, Credential
from issuer.web.schemas.credentials import IssueCredentialRequest, ReissueRequest
from issuer.web.schemas.keys import CompromiseKeyRequest
from issuer.web.schemas.tokens import TokenCreateRequest
from tests.issuer.helpers import issue_body, load_catalog

BEYOND_9999 = "9999-12-31T23:00:00-05:00"
BEFORE_YEAR_1 = "0001-01-01T00:00:00+01:00"
OVERFLOWING = [BEYOND_9999, BEFORE_YEAR_1]


def _counts(services: Services) -> tuple[int, int, int]:
    with services.sessions() as session:
        return (
            session.scalar(select(func.count()).select_from(Credential)) or 0,
            session.scalar(select(func.count()).select_from(AuditEvent)) or 0,
            session.scalar(select(func.count()).select_from(ApiToken)) or 0,
        )


def _assert_refused(response: Any) -> None:
    assert response.status_code == 422, response.text
    assert response.json()["code"] == "invalid_request"


@pytest.mark.parametrize("moment", OVERFLOWING)
def test_valid_until_overflowing_utc_is_a_422_and_stores_nothing(
    client: TestClient, services: Services, admin_headers: dict[str, str], moment: str
) -> None:
    load_catalog(services)
    before = _counts(services)
    body = issue_body(valid_until=moment)
    _assert_refused(client.post("/api/v1/credentials", json=body, headers=admin_headers))
    assert _counts(services) == before


@pytest.mark.parametrize("moment", OVERFLOWING)
def test_reissue_valid_until_overflowing_utc_is_a_422(
    client: TestClient, services: Services, admin_headers: dict[str, str], moment: str
) -> None:
    load_catalog(services)
    issued = client.post("/api/v1/credentials", json=issue_body(), headers=admin_headers).json()
    before = _counts(services)
    body = {"reason": "data_correction", "valid_until": moment}
    url = f"/api/v1/credentials/{issued['id']}/reissue"
    _assert_refused(client.post(url, json=body, headers=admin_headers))
    assert _counts(services) == before


@pytest.mark.parametrize("moment", OVERFLOWING)
def test_token_expiry_and_key_compromise_overflowing_utc_are_422(
    client: TestClient, services: Services, admin_headers: dict[str, str], moment: str
) -> None:
    before = _counts(services)
    body = {"name": "t", "role": "auditor", "expires_at": moment}
    _assert_refused(client.post("/api/v1/tokens", json=body, headers=admin_headers))
    kid = client.get("/api/v1/keys", headers=admin_headers).json()[0]["kid"]
    url = f"/api/v1/keys/{kid}/compromise"
    _assert_refused(client.post(url, json={"compromised_at": moment}, headers=admin_headers))
    assert _counts(services) == before


@pytest.mark.parametrize("moment", OVERFLOWING)
@pytest.mark.parametrize("name", ["since", "until"])
def test_audit_query_overflowing_utc_is_a_422(
    client: TestClient, admin_headers: dict[str, str], moment: str, name: str
) -> None:
    for path in ("/api/v1/audit", "/api/v1/audit/export"):
        response = client.get(path, params={name: moment}, headers=admin_headers)
        if path.endswith("export"):
            assert response.status_code < 500
        else:
            _assert_refused(response)


def test_audit_query_at_the_calendars_edges_is_answered(
    client: TestClient, admin_headers: dict[str, str]
) -> None:
    params = {"since": "0001-01-01T00:00:00Z", "until": "9999-12-31T23:59:59Z"}
    response = client.get("/api/v1/audit", params=params, headers=admin_headers)
    assert response.status_code == 200


@pytest.mark.parametrize("day", ["0001-01-01", "9999-12-31"])
def test_exam_and_birth_dates_at_the_calendars_edges_are_never_a_5xx(
    client: TestClient, services: Services, admin_headers: dict[str, str], day: str
) -> None:
    load_catalog(services)
    body = issue_body()
    body["exam"]["date"] = day
    body["holder"]["birth_date"] = day
    response = client.post("/api/v1/credentials", json=body, headers=admin_headers)
    assert response.status_code < 500, response.text
    far = issue_body(valid_until="9999-12-31T23:59:59Z")
    far["exam"]["session"] = "far"
    response = client.post("/api/v1/credentials", json=far, headers=admin_headers)
    assert response.status_code < 500, response.text


_ZONES = st.integers(min_value=-23 * 60 + 1, max_value=23 * 60 - 1).map(
    lambda minutes: dt.timezone(dt.timedelta(minutes=minutes))
)


@settings(max_examples=300, deadline=None)
@given(moment=st.datetimes(timezones=_ZONES))
def test_every_aware_datetime_is_refused_or_held_in_utc(moment: dt.datetime) -> None:
    text = moment.isoformat()
    body = issue_body(valid_until=text)
    models: list[tuple[type[Any], dict[str, Any], str]] = [
        (IssueCredentialRequest, body, "valid_until"),
        (ReissueRequest, {"reason": "data_correction", "valid_until": text}, "valid_until"),
        (TokenCreateRequest, {"name": "t", "role": "auditor", "expires_at": text}, "expires_at"),
        (CompromiseKeyRequest, {"compromised_at": text}, "compromised_at"),
    ]
    for model, data, field in models:
        try:
            parsed = model.model_validate_json(json.dumps(data))
        except ValidationError:
            with pytest.raises(OverflowError):
                moment.astimezone(dt.UTC)
            continue
        value = getattr(parsed, field)
        assert value.utcoffset() == dt.timedelta(0)
        assert value == moment
