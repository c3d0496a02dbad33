"""A registrar revokes a credential from its console page in Chromium, through the
confirmation, and the public verify page then says so, with the reason given."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from playwright.sync_api import Browser, Page

from issuer.services import Services
from tests.console.helpers import DESKTOP, PHONE, browser_sign_in, make_user, screenshot
from tests.helpers import make_token
from tests.issuer.helpers import issue_body, load_catalog

pytestmark = pytest.mark.browser


def _no_sideways_scroll(page: Page, width: int) -> None:
    assert page.evaluate("() => document.documentElement.scrollWidth") <= width


def _pictures_loaded(page: Page) -> None:
    """The QR code and the preview came from the console and were decoded."""
    for selector in ("img.qr", "img.preview"):
        image = page.locator(selector)
        image.scroll_into_view_if_needed()
        page.wait_for_function(
            "s => { const i = document.querySelector(s); return i.complete && i.naturalWidth > 0 }",
            arg=selector,
        )


def test_a_registrar_revokes_through_the_confirmation_and_the_verify_page_shows_it(
    live_server: tuple[str, TestClient], services: Services, browser: Browser, tmp_path: Path
) -> None:
    base, client = live_server
    load_catalog(services)
    headers = {"Authorization": f"Bearer {make_token(services)}"}
    issued = client.post("/api/v1/credentials", json=issue_body(), headers=headers).json()
    number = issued["number"]
    make_user(services, "registrar@example.com", "registrar", ["U01"], name="李娜")
    messages: list[str] = []

    desktop = browser.new_context(viewport=DESKTOP)
    page = desktop.new_page()
    page.on("console", lambda message: messages.append(message.text))
    browser_sign_in(page, base, "registrar@example.com")
    page.goto(f"{base}/console/credentials/{number}")
    assert page.get_by_role("heading", level=1).inner_text().startswith(f"证书 No. {number}")
    _pictures_loaded(page)
    _no_sideways_scroll(page, DESKTOP["width"])
    screenshot(page, "console-credential", tmp_path)
    desktop.close()

    phone = browser.new_context(viewport=PHONE, is_mobile=True)
    page = phone.new_page()
    page.on("console", lambda message: messages.append(message.text))
    browser_sign_in(page, base, "registrar@example.com")
    page.goto(f"{base}/console/credentials/{number}")
    _pictures_loaded(page)
    _no_sideways_scroll(page, PHONE["width"])
    page.get_by_role("link", name="换发… Reissue…").click()
    page.wait_for_url(f"{base}/console/credentials/{issued['id']}/reissue")
    assert page.get_by_label("持证人姓名 Holder name").input_value() == "王小明"
    _no_sideways_scroll(page, PHONE["width"])
    page.go_back()
    page.get_by_label("撤销原因 Reason for revoking").select_option("exam_misconduct")
    page.get_by_role("button", name="撤销… Revoke…").click()
    page.wait_for_load_state()
    confirmation = page.locator("#confirm-what").inner_text()
    assert f"撤销证书 No. {number}（王小明）：此操作不可撤回。" in confirmation
    _no_sideways_scroll(page, PHONE["width"])
    screenshot(page, "console-revoke-confirm", tmp_path)
    page.get_by_role("button", name=f"确认撤销 No. {number} Revoke").click()
    page.wait_for_url(f"{base}/console/credentials/{issued['id']}?done=revoked")
    assert "证书已撤销" in page.get_by_role("status").first.inner_text()
    _no_sideways_scroll(page, PHONE["width"])

    page.goto(f"{base}/v/{issued['id']}?lang=both")  # Chromium alone asks for English
    verdict = page.locator("section.verdict").inner_text()
    assert "已撤销" in verdict
    assert "Revoked" in verdict
    assert "考试违纪" in verdict
    assert "Exam misconduct" in verdict
    phone.close()
    refused = [m for m in messages if "Content Security Policy" in m or "Refused" in m]
    assert refused == []
