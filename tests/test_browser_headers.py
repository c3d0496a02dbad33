"""The security headers hold in a real browser: no CSP violation, and the pages are styled.

Debian's chromium through Playwright loads the issuer's verify link, packed QR link and form
from a live server sending its strict Content-Security-Policy (no ``'unsafe-inline'``).
"""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from issuer.services import Services
from tests.browser import BOTH_LANGUAGES, CHROMIUM, CHROMIUM_ARGS, require_chromium
from tests.issuer.helpers import issue_body, load_catalog

pytestmark = pytest.mark.browser

GOOD_BORDER, GOOD_BACKGROUND = "rgb(11, 93, 36)", "rgb(234, 246, 238)"  # verify.css .good


@pytest.fixture
def live(live_server: tuple[str, TestClient]) -> tuple[str, TestClient]:
    require_chromium()
    return live_server


def test_pages_obey_the_csp_and_are_styled_in_chromium(
    live: tuple[str, TestClient],
    services: Services,
    admin_headers: dict[str, str],
    tmp_path: Path,
) -> None:
    from playwright.sync_api import sync_playwright

    base, client = live
    load_catalog(services)
    issued = client.post("/api/v1/credentials", json=issue_body(), headers=admin_headers).json()
    messages: list[str] = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(extra_http_headers=BOTH_LANGUAGES)
            page.on("console", lambda message: messages.append(message.text))
            page.on("pageerror", lambda error: messages.append(str(error)))
            for url in (f"{base}/v/{issued['id']}", issued["qr_text"]):
                response = page.goto(url)
                assert response is not None
                assert "'unsafe-inline'" not in response.headers["content-security-policy"]
                verdict = page.locator("section.verdict")
                assert "真实有效" in verdict.inner_text()
                style = verdict.evaluate(
                    "e => [getComputedStyle(e).borderTopColor, getComputedStyle(e).backgroundColor]"
                )
                assert style == [GOOD_BORDER, GOOD_BACKGROUND], url
            page.goto(f"{base}/verify")
            button = page.locator("button[type=submit]").first
            assert button.evaluate("e => getComputedStyle(e).backgroundColor") == (
                "rgb(29, 78, 216)"
            )
            page.screenshot(path=str(tmp_path / "verify-form.png"))
            # The look-up form, as an employer fills it in (decision 0027).
            page.fill("#certificate_number", issued["number"].lower())
            page.fill("#holder_name", "王 小明")
            page.get_by_role("button", name="查询 Look up").click()
            assert "真实有效" in page.locator("section.verdict").inner_text()
            assert issued["number"] in page.locator("dl").first.inner_text()
        finally:
            browser.close()
    violations = [m for m in messages if "Content Security Policy" in m or "Refused" in m]
    assert violations == [], violations
