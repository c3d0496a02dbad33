"""Every public page passes the accessibility checks, on a phone and on a desktop screen.

Debian's chromium through Playwright opens each page anyone can reach without an account,
as a live server sends it (its strict Content-Security-Policy in force), 390 and 1280 px
wide: axe-core's WCAG 2.0/2.1/2.2 A and AA rules and best practices find no serious or
critical violation, and tabbing through the page shows a focus indicator of 3:1 contrast on
every control (``tests/accessibility.py``, decision 0039). ``/docs`` is checked for
Tessera's own parts only: the page around Swagger UI, whose widget is vendored unchanged.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pytest
from fastapi.testclient import TestClient

from issuer.services import Services
from tests.accessibility import PageChecks
from tests.browser import BOTH_LANGUAGES, CHROMIUM, CHROMIUM_ARGS, require_chromium
from tests.issuer.helpers import issue_body, load_catalog

if TYPE_CHECKING:
    pass

pytestmark = pytest.mark.browser

WIDTHS = [390, 1280]  # a phone, a desktop screen


@pytest.fixture
def live(live_server: tuple[str, TestClient], services: Services) -> tuple[str, TestClient]:
    require_chromium()
    load_catalog(services)
    return live_server


def _issue(client: TestClient, headers: dict[str, str], name: str, number: str) -> Any:
    body = issue_body(holder={"name": name, "employee_number": number})
    response = client.post("/api/v1/credentials", json=body, headers=headers)
    assert response.status_code == 201, response.text
    return response.json()


def _share_page(client: TestClient, headers: dict[str, str], base: str, credential: str) -> str:
    link = client.post(f"/api/v1/credentials/{credential}/share-links", headers=headers)
    assert link.status_code == 201, link.text
    token: str = link.json()["url"].rsplit("/", 1)[1]
    return f"{base}/s/{token}"


@pytest.mark.parametrize("width", WIDTHS)
def test_public_pages_have_no_serious_accessibility_violation(
    live: tuple[str, TestClient], admin_headers: dict[str, str], width: int
) -> None:
    from playwright.sync_api import sync_playwright

    base, client = live
    valid = _issue(client, admin_headers, "王小明", "E-0001")
    revoked = _issue(client, admin_headers, "李四", "E-0002")
    share_valid = _share_page(client, admin_headers, base, valid["id"])
    share_revoked = _share_page(client, admin_headers, base, revoked["id"])
    gone = client.post(f"/api/v1/credentials/{valid['id']}/share-links", headers=admin_headers)
    share_gone = base + "/s/" + gone.json()["url"].rsplit("/", 1)[1]
    revoke_link = f"/api/v1/credentials/{valid['id']}/share-links/{gone.json()['id']}/revoke"
    assert client.post(revoke_link, headers=admin_headers).status_code == 200
    replaced = _issue(client, admin_headers, "张三", "E-0003")
    share_replaced = _share_page(client, admin_headers, base, replaced["id"])
    reissue = {"reason": "data_correction", "holder_name": "张叁"}
    answer = client.post(
        f"/api/v1/credentials/{replaced['id']}/reissue", json=reissue, headers=admin_headers
    )
    assert answer.status_code == 201, answer.text
    revoke = {"reason": "exam_misconduct"}
    answer = client.post(
        f"/api/v1/credentials/{revoked['id']}/revoke", json=revoke, headers=admin_headers
    )
    assert answer.status_code == 200, answer.text
    messages: list[str] = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(
                viewport={"width": width, "height": 900}, extra_http_headers=BOTH_LANGUAGES
            )
            page.on("console", lambda message: messages.append(message.text))
            checks = PageChecks(page)

            checks.goto(f"{base}/")
            assert page.url == f"{base}/verify"  # "/" is the verify page
            checks.check("verify form")
            page.fill("#credential", valid["credential"])
            page.get_by_role("button", name="核验 Verify", exact=True).click()
            assert "真实有效" in page.locator("section.verdict").inner_text()
            checks.check("verify form result")
            page.fill("#credential", "not a credential")
            page.get_by_role("button", name="核验 Verify", exact=True).click()
            assert "无法识别为证书" in page.locator("section.verdict").inner_text()
            checks.check("verify form, unreadable")
            page.goto(f"{base}/verify")
            page.fill("#certificate_number", valid["number"])
            page.fill("#holder_name", "王小明")
            page.get_by_role("button", name="查询 Look up").click()
            assert "真实有效" in page.locator("section.verdict").inner_text()
            checks.check("look-up result")

            checks.goto(f"{base}/v/{valid['id']}")
            checks.check("verify link, valid")
            checks.goto(f"{base}/v/{revoked['id']}")
            assert "已撤销" in page.locator("section.verdict").inner_text()
            checks.check("verify link, revoked")
            checks.goto(f"{base}/v/{replaced['id']}")
            assert page.locator("section.verdict.warn a").count() == 1  # the replacement
            checks.check("verify link, superseded")
            checks.goto(f"{base}/v/no-such-credential", status=404)
            checks.check("verify link, unknown")

            checks.goto(f"{base}/verify/batch")
            checks.check("batch form")
            page.fill("#text", f"{valid['credential']}\n{revoked['number']},李四\nAB-0,nobody")
            page.get_by_role("button", name="核验 Verify", exact=True).click()
            assert page.locator("table.batch tbody tr").count() == 3
            checks.check("batch result")
            page.get_by_role("button", name="核验 Verify", exact=True).click()  # nothing sent
            assert page.locator("p.error[role=alert]").count() == 1
            checks.check("batch form, error")

            checks.goto(share_valid)
            assert page.locator("a[download]").count() == 5
            checks.check("share page, valid")
            checks.goto(share_revoked)
            checks.check("share page, revoked")
            checks.goto(share_replaced)
            assert page.locator("section.verdict a.replacement").count() == 1
            checks.check("share page, superseded")
            checks.goto(share_gone, status=410)
            checks.check("share link revoked")

            for name, link in (("valid", valid), ("revoked", revoked)):
                page.goto(link["qr_text"])
                page.locator("section.verdict").wait_for(timeout=20_000)
                checks.check(f"packed link, {name}")

            checks.goto(f"{base}/docs")
            page.locator(".opblock").first.wait_for(timeout=15_000)
            # Swagger UI's own markup is vendored unchanged: decision 0039.
            checks.check("API page", focus=False, exclude=("#swagger-ui",))
        finally:
            browser.close()
    assert len(checks.checked) == 18
    assert checks.failures == [], "\n".join(checks.failures)
    # axe ran inside the pages without tripping their CSP.
    refused = [m for m in messages if "Content Security Policy" in m or "Refused" in m]
    assert refused == [], refused


# The document reads no stored data: one database kind is enough.
@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_issuer_profile_is_a_json_document_not_a_page(live: tuple[str, TestClient]) -> None:
    """``/issuer`` is the Open Badges Profile, JSON for machines: a browser shows it in its
    own viewer, whose markup is not Tessera's, so the page checks above leave it out. Should
    it ever answer a browser with HTML, that page belongs in the list above."""
    _base, client = live
    for accept in ("text/html,application/xhtml+xml,*/*;q=0.8", "*/*"):
        answer = client.get("/issuer", headers={"Accept": accept})
        assert answer.status_code == 200
        assert answer.headers["content-type"] == "application/json"
        assert "Profile" in answer.json()["type"]
