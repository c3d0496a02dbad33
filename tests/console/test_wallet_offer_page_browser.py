"""The wallet-offer page in Chromium: reached by the credential page's button, it passes the
accessibility checks at 390 and 1280 px (decision 0039), does not scroll sideways, and its
QR code is drawn and decodes (zxing-cpp, from a screenshot) to the link it shows."""

from __future__ import annotations

import io

import pytest
import zxingcpp
from fastapi.testclient import TestClient
from PIL import Image
from playwright.sync_api import Browser

from issuer.services import Services
from tests.accessibility import PageChecks
from tests.console.helpers import browser_sign_in, make_user
from tests.issuer.helpers import issue_body, load_catalog

pytestmark = pytest.mark.browser


def test_the_offer_page_is_accessible_and_its_qr_code_scans(
    live_server: tuple[str, TestClient],
    services: Services,
    admin_headers: dict[str, str],
    browser: Browser,
) -> None:
    base, client = live_server
    load_catalog(services)
    made = client.post("/api/v1/credentials", json=issue_body(), headers=admin_headers)
    assert made.status_code == 201, made.text
    credential_id = made.json()["id"]
    make_user(services, "registrar@example.com", "registrar", ["U01"])
    failures: list[str] = []
    for width in (390, 1280):
        context = browser.new_context(viewport={"width": width, "height": 900})
        page = context.new_page()
        checks = PageChecks(page)
        browser_sign_in(page, base, "registrar@example.com")
        checks.goto(f"{base}/console/credentials/{credential_id}")
        page.get_by_role("button", name="发送到数字钱包 Offer to a wallet").click()
        page.wait_for_selector("#wallet-tx-code")
        checks.check(f"wallet offer at {width}px")
        scroll = page.evaluate("() => document.documentElement.scrollWidth")
        if scroll > width:
            failures.append(f"the offer page at {width}px scrolls sideways ({scroll}px)")
        link = page.input_value("#wallet-offer-link")
        assert link.startswith("openid-credential-offer://?credential_offer_uri=")
        assert page.inner_text("#wallet-tx-code").isdigit()
        shot = page.locator("#wallet-offer-qr").screenshot()
        [decoded] = zxingcpp.read_barcodes(Image.open(io.BytesIO(shot)))
        assert decoded.text == link
        failures += checks.failures
        context.close()
    assert failures == [], "\n".join(failures)
