"""A holder opens the share page of a revoked credential on a phone (Chromium, 390 px wide).

The verdict is the verify page's, styled as a failure, readable without scrolling sideways;
no download, badge or LinkedIn control is on the page; the strict CSP holds.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from playwright.sync_api import ViewportSize

from issuer.services import Services
from tests.browser import CHROMIUM, CHROMIUM_ARGS, require_chromium
from tests.issuer.helpers import issue_body, load_catalog

pytestmark = pytest.mark.browser

BAD_BORDER, BAD_BACKGROUND = "rgb(143, 17, 23)", "rgb(253, 238, 238)"  # share.css .bad
PHONE: ViewportSize = {"width": 390, "height": 844}


def test_revoked_credentials_share_page_on_a_phone_shows_the_verdict_and_no_buttons(
    live_server: tuple[str, TestClient],
    services: Services,
    admin_headers: dict[str, str],
    tmp_path: Path,
) -> None:
    require_chromium()
    from playwright.sync_api import sync_playwright

    base, client = live_server
    load_catalog(services)
    issued = client.post("/api/v1/credentials", json=issue_body(), headers=admin_headers).json()
    link = client.post(f"/api/v1/credentials/{issued['id']}/share-links", headers=admin_headers)
    share = base + "/s/" + link.json()["url"].rsplit("/", 1)[1]
    revoke = {"reason": "exam_misconduct"}
    revoked = client.post(
        f"/api/v1/credentials/{issued['id']}/revoke", json=revoke, headers=admin_headers
    )
    assert revoked.status_code == 200, revoked.text
    messages: list[str] = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            # A phone set to Chinese that also accepts English: the page shows both.
            page = browser.new_page(
                viewport=PHONE,
                device_scale_factor=2,
                is_mobile=True,
                extra_http_headers={"Accept-Language": "zh-CN,zh;q=0.9,en;q=0.8"},
            )
            page.on("console", lambda message: messages.append(message.text))
            response = page.goto(share)
            assert response is not None
            assert response.status == 200
            verdict = page.locator("section.verdict")
            text = verdict.inner_text()
            assert "已撤销" in text
            assert "Revoked" in text
            assert "Exam misconduct" in text
            style = verdict.evaluate(
                "e => [getComputedStyle(e).borderTopColor, getComputedStyle(e).backgroundColor]"
            )
            assert style == [BAD_BORDER, BAD_BACKGROUND]
            box = verdict.bounding_box()
            assert box is not None
            assert box["y"] + box["height"] <= PHONE["height"]  # on the first screen
            assert page.locator("a[download]").count() == 0
            assert page.locator("a[href*='linkedin']").count() == 0
            assert page.get_by_text("Add to LinkedIn").count() == 0
            assert page.get_by_text("certificate.pdf").count() == 0
            assert page.locator("a", has_text="Public verify page").count() == 1
            width = page.evaluate("() => document.documentElement.scrollWidth")
            assert width <= PHONE["width"]
            page.screenshot(path=str(tmp_path / "share-revoked.png"), full_page=True)
        finally:
            browser.close()
    violations = [m for m in messages if "Content Security Policy" in m or "Refused" in m]
    assert violations == [], violations
