"""My account in Chromium: set up the one-time code, make an API token, sign in with the code."""

from __future__ import annotations

import time
from pathlib import Path

import pyotp
import pytest
from fastapi.testclient import TestClient
from playwright.sync_api import Browser, Page

from issuer.services import Services
from tests.console.helpers import DESKTOP, PHONE, browser_sign_in, make_user, screenshot

pytestmark = pytest.mark.browser

EMAIL = "admin@example.com"


def _fits(page: Page, width: int) -> None:
    """No horizontal scroll at this width."""
    assert page.evaluate("() => document.documentElement.scrollWidth") <= width


def test_a_person_sets_up_the_code_makes_a_token_and_signs_in_with_the_code(
    live_server: tuple[str, TestClient], services: Services, browser: Browser, tmp_path: Path
) -> None:
    base, _client = live_server
    make_user(services, EMAIL, name="管理员")
    messages: list[str] = []

    desktop = browser.new_context(viewport=DESKTOP)
    page = desktop.new_page()
    page.on("console", lambda message: messages.append(message.text))
    browser_sign_in(page, base, EMAIL)
    page.goto(f"{base}/console/account")
    screenshot(page, "console-account", tmp_path)
    page.get_by_role("link", name="设置动态验证码 Set up one-time code").click()
    page.wait_for_url(f"{base}/console/account/second-factor")
    assert page.evaluate("() => document.querySelector('img.totp-qr').naturalWidth") > 0
    secret = page.locator("code.totp-secret").inner_text().replace(" ", "")
    screenshot(page, "console-second-factor-setup", tmp_path)
    page.get_by_label("动态验证码 One-time code").fill(pyotp.TOTP(secret).now())
    page.get_by_role("button", name="确认并开启 Confirm and turn on").click()
    page.wait_for_url(f"{base}/console/account?done=totp_enabled")
    assert page.get_by_role("status").first.inner_text().startswith("已开启动态验证码")

    page.get_by_label("名称 Name").fill("夜间同步")
    page.get_by_label("角色 Role").select_option("auditor")
    page.get_by_role("button", name="创建令牌 Create token").click()
    page.wait_for_url(f"{base}/console/account/tokens")
    token = page.locator("#new-token").inner_text()
    assert token.startswith("tsr_")
    assert page.get_by_role("button", name="复制 Copy").count() == 1  # account.js ran
    screenshot(page, "console-token-created", tmp_path)
    page.get_by_role("button", name="退出 Sign out").click()
    page.wait_for_url(f"{base}/console/login")
    desktop.close()

    phone = browser.new_context(viewport=PHONE)
    page = phone.new_page()
    page.on("console", lambda message: messages.append(message.text))
    browser_sign_in(page, base, EMAIL)
    assert page.url.startswith(f"{base}/console/second-factor")
    _fits(page, PHONE["width"])
    screenshot(page, "console-second-factor", tmp_path)
    page.goto(f"{base}/console/account")  # the waiting session opens nothing else
    assert page.url.startswith(f"{base}/console/login")
    browser_sign_in(page, base, EMAIL)
    # The next step's code: the set-up used up the current one; one step of drift is allowed.
    page.get_by_label("动态验证码 One-time code").fill(pyotp.TOTP(secret).at(time.time() + 30))
    page.get_by_role("button", name="验证 Verify").click()
    page.wait_for_url(f"{base}/console/")
    page.goto(f"{base}/console/account")
    assert page.get_by_role("rowheader", name="夜间同步").count() == 1
    _fits(page, PHONE["width"])
    phone.close()

    refused = [m for m in messages if "Content Security Policy" in m or "Refused" in m]
    assert refused == []
