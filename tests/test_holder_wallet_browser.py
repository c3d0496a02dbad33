"""A holder adds their credential to a wallet from a phone and a desktop (Chromium, 390 and
1280 px).

On the holder's own share page the holder presses "add to my wallet": the answering page
shows a QR code that, as drawn, decodes (zxing-cpp, from a screenshot) to the offer link the
"open in the wallet app" button carries, the six-digit transaction code and how long the
offer is valid. No page breaks the strict CSP or scrolls sideways, and both pass the
accessibility checks of decision 0039. The wallet's side of the same offer is
tests/test_oid4vci_client.py.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from issuer.services import Services
from tests.accessibility import PageChecks
from tests.browser import BOTH_LANGUAGES, CHROMIUM, CHROMIUM_ARGS, decode_qr, require_chromium
from tests.issuer.helpers import issue_body, load_catalog
from verifier.i18n import Lang, say, text

pytestmark = pytest.mark.browser

WIDTHS = [390, 1280]  # a phone, a desktop screen


@pytest.mark.parametrize("width", WIDTHS)
def test_the_holder_presses_add_to_my_wallet_and_sees_the_qr_code_and_the_code(
    live_server: tuple[str, TestClient],
    services: Services,
    admin_headers: dict[str, str],
    tmp_path: Path,
    width: int,
) -> None:
    require_chromium()
    from playwright.sync_api import sync_playwright

    base, client = live_server
    load_catalog(services)
    issued = client.post("/api/v1/credentials", json=issue_body(), headers=admin_headers).json()
    made = client.post(f"/api/v1/credentials/{issued['id']}/share-links", headers=admin_headers)
    holder = made.json()["url"]
    assert holder.startswith(f"{base}/s/")
    messages: list[str] = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            context = browser.new_context(
                viewport={"width": width, "height": 900}, extra_http_headers=BOTH_LANGUAGES
            )
            page = context.new_page()
            page.on("console", lambda message: messages.append(message.text))
            assert page.goto(holder).status == 200  # type: ignore[union-attr]
            share_checks = PageChecks(page)
            share_checks.check("holder's page with the wallet button")
            button = page.get_by_role("button", name=say("share.wallet.button", Lang.BOTH, sep=" "))
            with page.expect_navigation() as answered:
                button.click()
            response = answered.value
            assert response is not None
            assert response.status == 201
            assert page.locator("h1").inner_text() == say("share.wallet.title", Lang.BOTH, sep=" ")
            offer_checks = PageChecks(page)
            offer_checks.check("the wallet offer")
            opener = page.locator("a.wallet-open")
            link = opener.get_attribute("href") or ""
            assert link.startswith("openid-credential-offer://?credential_offer_uri=")
            assert opener.inner_text().startswith(text("share.wallet.open", Lang.ZH))
            qr = page.locator("img.wallet-qr")
            assert decode_qr(qr.screenshot()) == link
            code = page.locator("p.tx-code").inner_text()
            assert len(code) == 6
            assert code.isdigit()
            assert "Valid for 15 minutes, until " in page.locator("p.expires").inner_text()
            assert page.evaluate("() => document.documentElement.scrollWidth") <= width
            page.screenshot(path=str(tmp_path / f"wallet-{width}.png"), full_page=True)
            # The way back leads to the holder's page.
            page.get_by_role("link", name=say("share.back", Lang.BOTH, sep=" ")).click()
            page.wait_for_url(f"{holder}?lang=both")
            context.close()
        finally:
            browser.close()
    failures = share_checks.failures + offer_checks.failures
    assert failures == [], "\n".join(failures)
    refused = [m for m in messages if "Content Security Policy" in m or "Refused" in m]
    assert refused == [], refused
