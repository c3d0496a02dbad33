"""The verify page in a real browser: Debian's chromium driven by Playwright.

The standalone verifier app (``verifier.web.app:create_app``) is served by uvicorn on a free
localhost port; its HTTP key and status sources reach a fake issuer through
``httpx.MockTransport``, so nothing leaves the machine.
"""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from tests.browser import BOTH_LANGUAGES, CHROMIUM, CHROMIUM_ARGS, require_chromium
from tests.servers import serving
from tests.verifier.kit import FakeIssuerServer, IssuerKit
from verifier.settings import VerifierSettings
from verifier.web.app import create_app

VALID_INDEX, REVOKED_INDEX = 1_001, 2_002

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def kit() -> IssuerKit:
    issuer = IssuerKit()
    issuer.revoked.add(REVOKED_INDEX)
    return issuer


@pytest.fixture(scope="module")
def base_url(kit: IssuerKit) -> Iterator[str]:
    require_chromium()
    settings = VerifierSettings(trusted_issuers=[kit.base])
    app = create_app(settings, transport=httpx.MockTransport(FakeIssuerServer(kit).handler))
    with serving(app, log_level="warning", ws="none", lifespan="off") as base:
        yield base


def paste_and_verify(base_url: str, token: str) -> tuple[str, str, int, str | None]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(
                viewport={"width": 390, "height": 844}, extra_http_headers=BOTH_LANGUAGES
            )  # a phone
            page.goto(f"{base_url}/verify")
            page.get_by_label("粘贴证书或核验链接").fill(token)
            page.get_by_role("button", name="核验").click()
            page.wait_for_load_state()
            verdict = page.locator("section.verdict").inner_text()
            body = page.locator("main").inner_text()
            headings = page.locator("h1").count()
            lang = page.locator("html").get_attribute("lang")
        finally:
            browser.close()
    return verdict, body, headings, lang


def test_page_shows_valid_verdict_for_valid_credential(base_url: str, kit: IssuerKit) -> None:
    verdict, body, headings, lang = paste_and_verify(
        base_url, kit.token(kit.credential(index=VALID_INDEX))
    )
    assert "真实有效" in verdict
    assert "Genuine and valid" in verdict
    assert "张伟" in body
    assert "稀土冶炼工 三级" in body
    assert headings == 1
    assert lang == "zh-CN"


def test_page_shows_revoked_verdict_for_revoked_credential(base_url: str, kit: IssuerKit) -> None:
    verdict, body, headings, lang = paste_and_verify(
        base_url, kit.token(kit.credential(index=REVOKED_INDEX))
    )
    assert "已撤销" in verdict
    assert "Revoked" in verdict
    assert "真实有效" not in body
    assert headings == 1
    assert lang == "zh-CN"
