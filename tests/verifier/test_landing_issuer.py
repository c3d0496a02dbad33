"""The verify page's landing on the issuer's app: it names the issuer, and every kind of file a
holder hands over reaches the credential's verdict (on SQLite and PostgreSQL).

The files are the ones the issuer makes (the PDF certificate, the baked PNG and SVG badges,
the QR code) and photos of that QR code as a phone takes them (``tests.fake_camera``).
Decision 0048.
"""

from __future__ import annotations

import io
from typing import Any

import pytest
from fastapi.testclient import TestClient
from PIL import Image

from issuer.services import Services
from tests.fake_camera import photo_of
from tests.issuer.helpers import issue_body, load_catalog
from verifier.i18n import both

HOLDER = "王小明"


@pytest.fixture
def issued(client: TestClient, services: Services, admin_headers: dict[str, str]) -> Any:
    load_catalog(services)
    valid = client.post("/api/v1/credentials", json=issue_body(), headers=admin_headers).json()
    body = issue_body(holder={"name": "李四", "employee_number": "E-0002"})
    revoked = client.post("/api/v1/credentials", json=body, headers=admin_headers).json()
    answer = client.post(
        f"/api/v1/credentials/{revoked['id']}/revoke",
        json={"reason": "exam_misconduct"},
        headers=admin_headers,
    )
    assert answer.status_code == 200, answer.text
    return valid, revoked


def files_of(client: TestClient, headers: dict[str, str], credential: str) -> dict[str, bytes]:
    """Every file a holder may hand over for ``credential``."""
    base = f"/api/v1/credentials/{credential}"
    got = {
        name: client.get(f"{base}/{path}", headers=headers).content
        for name, path in (
            ("certificate.pdf", "certificate.pdf"),
            ("badge.png", "badge.png"),
            ("badge.svg", "badge.svg"),
            ("qr.png", "qr.png"),
        )
    }
    qr = Image.open(io.BytesIO(got["qr.png"]))
    got["photo.jpg"] = photo_of(qr)
    got["screenshot.png"] = photo_of(qr, image_format="PNG")
    return got


def test_the_landing_names_the_issuer_with_its_logo_once_set(
    client: TestClient, admin_headers: dict[str, str]
) -> None:
    before = client.get("/verify", params={"lang": "both"}).text
    assert '<div class="issuer">' in before
    assert '<img class="logo"' not in before  # no logo yet
    assert 'name="certificate_number"' in before  # this issuer looks numbers up
    names = {"name_zh": "朔方<稀土>集团", "name_en": "Shuofang Rare Earth"}
    assert client.put("/api/v1/profile", json=names, headers=admin_headers).status_code == 200
    logo = io.BytesIO()
    Image.new("RGB", (40, 20), (11, 93, 36)).save(logo, format="PNG")
    put = client.put(
        "/api/v1/profile/logo",
        content=logo.getvalue(),
        headers={**admin_headers, "Content-Type": "image/png"},
    )
    assert put.status_code == 200, put.text
    after = client.get("/verify").text
    assert "朔方&lt;稀土&gt;集团" in after
    assert "Shuofang Rare Earth" in after
    assert '<img class="logo" src="/issuer/logo.png" alt="">' in after
    assert client.get("/issuer/logo.png").status_code == 200
    english = client.get("/verify", params={"lang": "en"}).text
    assert "Shuofang Rare Earth" in english
    assert "朔方" not in english


def test_every_kind_of_file_reaches_the_credentials_verdict(
    client: TestClient, admin_headers: dict[str, str], issued: Any
) -> None:
    valid, revoked = issued
    cases = ((valid, "真实有效", "已撤销"), (revoked, "已撤销", "真实有效"))
    for credential, verdict, wrong in cases:
        for name, data in files_of(client, admin_headers, credential["id"]).items():
            answer = client.post("/verify", files={"file": (name, data, "application/pdf")})
            assert answer.status_code == 200, (name, answer.text[-600:])
            assert verdict in answer.text, name
            assert wrong not in answer.text, name
            assert f"<dd>{credential['number']}</dd>" in answer.text, name


def test_a_looked_up_number_and_its_mistakes(client: TestClient, issued: Any) -> None:
    valid, _revoked = issued
    found = client.post(
        "/verify", data={"certificate_number": valid["number"], "holder_name": HOLDER}
    )
    assert found.status_code == 200
    assert "真实有效" in found.text
    missing_name = client.post(
        "/verify", data={"certificate_number": valid["number"], "holder_name": " "}
    )
    assert missing_name.status_code == 422
    assert both("verify.landing.error.lookup")[0] in missing_name.text
    assert f'value="{valid["number"]}"' in missing_name.text  # refilled
    assert 'id="scan"' in missing_name.text  # the landing, every way offered again
