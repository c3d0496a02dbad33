"""The issuer's verify page (``GET /v/{id}``) in the language asked for and the issuer's time
zone: the profile's ``time_zone`` names the zone its times are shown in, and the words are the
catalogues' (decisions 0047 and 0049)."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from issuer.services import Services
from tests.issuer.helpers import issue_body, load_catalog
from verifier import labels


def _issue(client: TestClient, services: Services, headers: dict[str, str]) -> dict[str, Any]:
    load_catalog(services)
    response = client.post("/api/v1/credentials", json=issue_body(), headers=headers)
    assert response.status_code == 201, response.text
    issued: dict[str, Any] = response.json()
    return issued


def test_the_page_shows_times_in_the_profiles_time_zone(
    client: TestClient, services: Services, admin_headers: dict[str, str]
) -> None:
    issued = _issue(client, services, admin_headers)
    page = client.get(f"/v/{issued['id']}?lang=en")
    assert "Beijing time (UTC+8)" in page.text
    assert page.headers["vary"] == "Accept, Accept-Language"
    zone = {"time_zone": "Asia/Urumqi"}
    changed = client.put("/api/v1/profile", json=zone, headers=admin_headers)
    assert changed.status_code == 200, changed.text
    page = client.get(f"/v/{issued['id']}?lang=en")
    assert "Asia/Urumqi time (UTC+6)" in page.text
    assert "Beijing time" not in page.text
    assert '"time_zone":"Asia/Urumqi"' in client.get("/c?lang=en").text  # the phone's page
    posted = client.post("/verify?lang=zh", data={"credential": issued["credential"]})
    assert "Asia/Urumqi 时间（UTC+6）" in posted.text


def test_the_page_speaks_the_language_asked_for_in_one_vocabulary(
    client: TestClient, services: Services, admin_headers: dict[str, str]
) -> None:
    issued = _issue(client, services, admin_headers)
    link = f"/v/{issued['id']}"
    english = client.get(link, headers={"Accept-Language": "en-GB,en;q=0.9"}).text
    chinese = client.get(f"{link}?lang=zh", headers={"Accept-Language": "en"}).text
    both = client.get(link).text
    assert '<html lang="en"' in english
    assert f"<dt>{labels.CERTIFICATE_NUMBER.en}</dt><dd>{issued['number']}</dd>" in english
    assert f"<dt>{labels.CERTIFICATE_NUMBER.zh}</dt><dd>{issued['number']}</dd>" in chinese
    assert "Signature valid: the certificate has not been altered" in english
    assert "签名有效：证书内容未被改动" in chinese
    assert "Signature valid" not in chinese
    for words in (
        "签名有效：证书内容未被改动",
        "Signature valid: the certificate has not been altered",
    ):
        assert words in both
    # The switch links this page in each language.
    assert f'href="{link}?lang=en"' in chinese
    assert f'href="{link}?lang=zh"' in english
