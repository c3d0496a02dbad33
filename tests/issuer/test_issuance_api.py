"""Issuing through the registrar API, checked with software we did not write."""

from __future__ import annotations

import datetime as dt
import io

import jsonschema
import pytest
import zxingcpp
from fastapi.testclient import TestClient
from PIL import Image
from sqlalchemy import func, select

from issuer.services import Services
from issuer.store.models import AuditEvent, Credential, Holder, StatusAllocation
from tests.helpers import BASE_URL, make_token
from tests.issuer.helpers import (
    PUBLIC_API_PATHS,
    issue_body,
    load_catalog,
    schema,
    verify_with_jwcrypto,
)


@pytest.fixture(autouse=True)
def _catalog(services: Services) -> None:
    load_catalog(services)


def _counts(services: Services) -> tuple[int, ...]:
    with services.sessions() as session:
        return tuple(
            session.scalar(select(func.count()).select_from(model)) or 0
            for model in (Credential, Holder, StatusAllocation, AuditEvent)
        )


def test_issued_credential_verifies_with_jwcrypto_against_published_jwks(
    client: TestClient, admin_headers: dict[str, str]
) -> None:
    response = client.post("/api/v1/credentials", json=issue_body(), headers=admin_headers)
    assert response.status_code == 201, response.text
    body = response.json()
    jwks = client.get("/.well-known/jwks.json").json()
    header, payload = verify_with_jwcrypto(body["credential"], jwks)
    assert header == {"alg": "ES256", "kid": body["kid"], "typ": "vc+jwt"}
    assert payload["iss"] == payload["issuer"]["id"] == BASE_URL
    assert payload["jti"] == payload["id"] == f"urn:uuid:{body['id']}"
    assert payload["sub"] == payload["credentialSubject"]["id"]
    valid_from = dt.datetime.fromisoformat(payload["validFrom"].replace("Z", "+00:00"))
    assert payload["nbf"] == int(valid_from.timestamp())
    assert "exp" not in payload
    assert "validUntil" not in payload
    assert "vc" not in payload


def test_issued_payload_validates_against_both_official_schemas(
    client: TestClient, admin_headers: dict[str, str]
) -> None:
    body = issue_body(valid_until="2031-01-01T00:00:00Z")
    token = client.post("/api/v1/credentials", json=body, headers=admin_headers).json()
    _header, payload = verify_with_jwcrypto(
        token["credential"], client.get("/.well-known/jwks.json").json()
    )
    ob = jsonschema.Draft201909Validator(schema("ob"))
    vc = jsonschema.Draft202012Validator(schema("vc"))
    assert [e.message for e in ob.iter_errors(payload)] == []
    assert [e.message for e in vc.iter_errors(payload)] == []
    assert payload["exp"] == int(dt.datetime(2031, 1, 1, tzinfo=dt.UTC).timestamp())
    assert payload["validUntil"] == "2031-01-01T00:00:00Z"


def test_status_entry_is_one_random_revocation_entry(
    client: TestClient, admin_headers: dict[str, str]
) -> None:
    indexes = set()
    for n in range(5):
        body = issue_body(holder={"name": "李雷", "employee_number": f"E-{n}"})
        token = client.post("/api/v1/credentials", json=body, headers=admin_headers).json()
        _h, payload = verify_with_jwcrypto(
            token["credential"], client.get("/.well-known/jwks.json").json()
        )
        status = payload["credentialStatus"]
        assert status["type"] == "BitstringStatusListEntry"
        assert status["statusPurpose"] == "revocation"
        assert status["id"] == f"{status['statusListCredential']}#{status['statusListIndex']}"
        assert status["statusListIndex"].isdigit()
        indexes.add(int(status["statusListIndex"]))
    assert len(indexes) == 5
    assert all(0 <= i < 131_072 for i in indexes)


def test_personal_data_an_employer_need_not_see_is_not_in_the_credential(
    client: TestClient, admin_headers: dict[str, str]
) -> None:
    response = client.post("/api/v1/credentials", json=issue_body(), headers=admin_headers)
    token = response.json()["credential"]
    _h, payload = verify_with_jwcrypto(token, client.get("/.well-known/jwks.json").json())
    text = str(payload)
    assert "110101199003074477" not in text
    assert "1990-03-07" not in text
    names = [i["identityHash"] for i in payload["credentialSubject"]["identifier"]]
    assert names == ["王小明", "E-0001"]


def test_accept_vc_jwt_returns_the_token_itself(
    client: TestClient, admin_headers: dict[str, str]
) -> None:
    headers = {**admin_headers, "Accept": "application/vc+jwt"}
    response = client.post("/api/v1/credentials", json=issue_body(), headers=headers)
    assert response.status_code == 201
    assert response.headers["content-type"].startswith("application/vc+jwt")
    assert response.text.count(".") == 2
    credential_id = response.headers["location"].rsplit("/", 1)[1]
    again = client.get(f"/api/v1/credentials/{credential_id}", headers=headers)
    assert again.text == response.text


def test_qr_png_decodes_with_zxing_to_the_reported_text(
    client: TestClient, admin_headers: dict[str, str]
) -> None:
    body = client.post("/api/v1/credentials", json=issue_body(), headers=admin_headers).json()
    assert body["qr_text"].startswith(f"{BASE_URL}/c#")  # the packed credential (issue 7)
    png = client.get(body["links"]["qr_png"].removeprefix(BASE_URL), headers=admin_headers)
    assert png.headers["content-type"] == "image/png"
    image = Image.open(io.BytesIO(png.content))
    results = zxingcpp.read_barcodes(
        image, formats=zxingcpp.BarcodeFormats(zxingcpp.BarcodeFormat.QRCode)
    )
    assert [r.text for r in results] == [body["qr_text"]]
    assert results[0].format == zxingcpp.BarcodeFormat.QRCode
    assert results[0].ec_level in {"M", "Q", "H"}
    svg = client.get(body["links"]["qr_svg"].removeprefix(BASE_URL), headers=admin_headers)
    assert svg.headers["content-type"] == "image/svg+xml"
    assert b"<svg" in svg.content


def test_verify_url_serves_the_token_to_machines(
    client: TestClient, admin_headers: dict[str, str]
) -> None:
    body = client.post("/api/v1/credentials", json=issue_body(), headers=admin_headers).json()
    response = client.get(f"/v/{body['id']}", headers={"Accept": "application/vc+jwt"})
    assert response.text == body["credential"]


def test_list_pages_with_total(client: TestClient, admin_headers: dict[str, str]) -> None:
    for n in range(3):
        body = issue_body(holder={"name": "韩梅梅", "employee_number": f"P-{n}"})
        assert client.post("/api/v1/credentials", json=body, headers=admin_headers).is_success
    page = client.get("/api/v1/credentials?limit=2&offset=0", headers=admin_headers).json()
    assert page["total"] == 3
    assert len(page["items"]) == 2
    rest = client.get("/api/v1/credentials?limit=2&offset=2", headers=admin_headers).json()
    assert len(rest["items"]) == 1
    ids = {i["id"] for i in page["items"]} | {i["id"] for i in rest["items"]}
    assert len(ids) == 3


BAD_REQUESTS = [
    ("unknown occupation", issue_body(occupation="9-99-99-99"), 422, "unknown_occupation"),
    ("unknown unit", issue_body(unit="U99"), 422, "unknown_unit"),
    ("bad level", issue_body(level="grandmaster"), 422, "unknown_level"),
    ("missing name", issue_body(holder={"employee_number": "E-9"}), 422, "invalid_request"),
    (
        "blank name",
        issue_body(holder={"name": "   ", "employee_number": "E-9"}),
        422,
        "invalid_request",
    ),
    ("unknown field", issue_body(extra=1), 422, "invalid_request"),
    ("past validity", issue_body(valid_until="2001-01-01T00:00:00Z"), 422, "invalid_validity"),
    ("not an object", [1, 2], 422, "invalid_request"),
]


@pytest.mark.parametrize(
    ("body", "status", "code"), [pytest.param(*rest, id=case) for case, *rest in BAD_REQUESTS]
)
def test_bad_issue_requests_get_a_problem_and_store_nothing(
    client: TestClient,
    admin_headers: dict[str, str],
    services: Services,
    body: object,
    status: int,
    code: str,
) -> None:
    before = _counts(services)
    response = client.post("/api/v1/credentials", json=body, headers=admin_headers)
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    problem = response.json()
    assert problem["code"] == code
    assert problem["status"] == status
    assert problem["type"]
    assert _counts(services) == before


@pytest.mark.parametrize(
    ("content", "content_type", "status", "code"),
    [
        (b"{not json", "application/json", 400, "malformed_json"),
        (b'{"holder": {}}', "text/plain", 415, "unsupported_media_type"),
        (b"", "application/json", 422, "invalid_request"),
        (b"x" * (10 * 1024 * 1024), "application/json", 413, "body_too_large"),
    ],
    ids=["malformed json", "wrong content type", "empty body", "10 MB body"],
)
def test_malformed_bodies_get_a_problem_and_store_nothing(
    client: TestClient,
    admin_headers: dict[str, str],
    services: Services,
    content: bytes,
    content_type: str,
    status: int,
    code: str,
) -> None:
    before = _counts(services)
    headers = {**admin_headers, "Content-Type": content_type}
    response = client.post("/api/v1/credentials", content=content, headers=headers)
    assert response.status_code == status
    assert response.json()["code"] == code
    assert _counts(services) == before


@pytest.mark.parametrize(
    "authorization",
    [None, "Bearer", "Bearer tsr_wrong", "Basic dXNlcjpwdw==", "Bearer " + "x" * 5000],
    ids=["none", "empty bearer", "unknown token", "basic auth", "huge token"],
)
def test_issuing_without_a_valid_token_is_401_and_stores_nothing(
    client: TestClient, services: Services, authorization: str | None
) -> None:
    before = _counts(services)
    headers = {"Authorization": authorization} if authorization else {}
    response = client.post("/api/v1/credentials", json=issue_body(), headers=headers)
    assert response.status_code == 401
    assert response.json()["code"] == "unauthenticated"
    assert response.headers["www-authenticate"] == "Bearer"
    assert _counts(services) == before


def test_every_registrar_endpoint_needs_a_token(client: TestClient) -> None:
    schema_paths = client.get("/openapi.json").json()["paths"]
    paths = [p for p in schema_paths if p.startswith("/api/v1/") and p not in PUBLIC_API_PATHS]
    assert len(paths) >= 5
    for path in paths:
        url = path.replace("{credential_id}", "00000000-0000-4000-8000-000000000000")
        for method in ("GET", "POST"):
            response = client.request(method, url)
            assert response.status_code in {401, 405}, (method, url, response.status_code)


def test_auditor_cannot_issue_and_registrar_only_in_its_units(
    client: TestClient, services: Services
) -> None:
    auditor = {"Authorization": f"Bearer {make_token(services, 'auditor')}"}
    assert client.post("/api/v1/credentials", json=issue_body(), headers=auditor).status_code == 403
    registrar = {"Authorization": f"Bearer {make_token(services, 'registrar', ['U02'])}"}
    assert (
        client.post("/api/v1/credentials", json=issue_body(), headers=registrar).status_code == 403
    )
    ok = client.post("/api/v1/credentials", json=issue_body(unit="U02"), headers=registrar)
    assert ok.status_code == 201


def test_same_employee_number_under_another_name_is_a_conflict(
    client: TestClient, admin_headers: dict[str, str], services: Services
) -> None:
    assert client.post("/api/v1/credentials", json=issue_body(), headers=admin_headers).is_success
    before = _counts(services)
    other = issue_body(
        holder={"name": "张三", "employee_number": "E-0001"},
        exam={"date": "2026-10-15", "session": "2026-Q4-D4-R01"},  # another exam
    )
    response = client.post("/api/v1/credentials", json=other, headers=admin_headers)
    assert response.status_code == 409
    assert response.json()["code"] == "holder_name_mismatch"
    assert _counts(services) == before
