"""An employer asks for a certificate on the ``/ask`` page (Chromium): ticks what they want,
sees the QR code (decoded here from the screen with zxing-cpp); the wallet that scans it
answers, and the employer's page, refreshing itself, shows the verdict and only what was
asked for."""

from __future__ import annotations

import io
from urllib.parse import parse_qs, urlsplit

import pytest
import zxingcpp
from fastapi.testclient import TestClient
from PIL import Image

from issuer.services import Services
from tests.accessibility import PageChecks
from tests.browser import BOTH_LANGUAGES, CHROMIUM, CHROMIUM_ARGS, require_chromium
from tests.presentation.wallet_runner import holder_wallet_credential, run_wallet

pytestmark = pytest.mark.browser
QR = zxingcpp.BarcodeFormats(zxingcpp.BarcodeFormat.QRCode)


def test_employer_asks_by_clicking_and_sees_the_verdict_once_the_wallet_answers(
    live_server: tuple[str, TestClient], services: Services, admin_headers: dict[str, str]
) -> None:
    require_chromium()
    from playwright.sync_api import sync_playwright

    base, client = live_server
    _id, sd_jwt_vc, holder = holder_wallet_credential(client, admin_headers, services, base)
    messages: list[str] = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(extra_http_headers=BOTH_LANGUAGES)
            page.on("console", lambda message: messages.append(message.text))
            page.goto(f"{base}/verify")
            page.get_by_role("link", name="用数字钱包向持证人索取证书").click()
            page.wait_for_url(f"{base}/ask*")
            checks = PageChecks(page)
            checks.check("ask form")
            assert page.get_by_role("checkbox", name="职业（工种） Occupation").is_checked()
            assert page.get_by_role("checkbox", name="等级 Level").is_checked()
            page.get_by_role("checkbox", name="成绩 Score").check()
            page.get_by_role("button", name="生成二维码 Make the QR code").click()
            page.wait_for_url(f"{base}/ask/results/*")
            qr = page.locator("img.qr")
            qr.wait_for()
            shot = Image.open(io.BytesIO(qr.screenshot()))
            decoded = [found.text for found in zxingcpp.read_barcodes(shot, formats=QR)]
            assert len(decoded) == 1
            link = decoded[0]
            assert page.locator("a.wallet-link").get_attribute("href") == link
            assert "本页会自动更新" in page.locator("main").inner_text()
            assert page.locator("section.verdict").count() == 0
            # The holder's wallet scans the code and discloses everything it may.
            report = run_wallet(
                link,
                f"{base}/.well-known/jwks.json",
                credential=sd_jwt_vc,
                holder_jwk=holder,
                disclose_all=True,
            )
            assert report["answer"]["status"] == 200
            verdict = page.locator("section.verdict")
            verdict.wait_for(timeout=20_000)  # the page refreshes itself every 3 s
            assert "真实有效" in verdict.inner_text()
            assert "Genuine and valid" in verdict.inner_text()
            shown = page.locator("dl.disclosed").inner_text()
            assert "成绩" in shown  # asked for
            assert "91" in shown
            assert "职业" in shown
            main = page.locator("main").inner_text()
            assert "E-0001" not in main  # disclosed, not asked for
            assert "2026-Q4-D3-R05" not in main
            checks.check("ask result, answered")
            assert checks.failures == [], "\n".join(checks.failures)
        finally:
            browser.close()
    params = parse_qs(urlsplit(link).query)
    assert report["client"]["effective"] == params["client_id"][0]
    claims = report["dcql"]["credentials"][0]["claims"]
    assert [claim["path"] for claim in claims] == [["occupation"], ["level"], ["score"]]
    violations = [m for m in messages if "Content Security Policy" in m or "Refused" in m]
    assert violations == [], violations
