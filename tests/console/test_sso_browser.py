"""Single sign-on in Chromium: the button on the sign-in page, the provider's own login page,
and back into the console signed in, under the strict CSP, on a phone and a desktop."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from playwright.sync_api import Browser, ConsoleMessage

from issuer.services import Services
from tests.console.helpers import DESKTOP, PHONE, make_user, screenshot
from tests.console.sso_provider import LABEL, REGISTRAR, REGISTRAR_EMAIL, STRANGER

pytestmark = pytest.mark.browser


def test_a_person_signs_in_through_the_provider(
    sso_live_server: tuple[str, TestClient], services: Services, browser: Browser, tmp_path: Path
) -> None:
    base, _client = sso_live_server
    make_user(services, REGISTRAR_EMAIL, name="李娜")
    ours: list[str] = []

    def collect(message: ConsoleMessage) -> None:
        if message.location.get("url", "").startswith(base):
            ours.append(message.text)

    for viewport in (PHONE, DESKTOP):
        context = browser.new_context(viewport=viewport)
        page = context.new_page()
        page.on("console", collect)
        page.goto(f"{base}/console/account")  # signed out: to the sign-in page and back
        assert "/console/login" in page.url
        button = page.get_by_role("link", name=f"使用单点登录 Sign in with {LABEL}")
        assert button.is_visible()
        assert page.evaluate("() => document.documentElement.scrollWidth") <= viewport["width"]
        if viewport is PHONE:
            screenshot(page, "console-sso-login", tmp_path)
        button.click()
        page.locator("input[name=login]").fill(REGISTRAR)  # the provider's own page
        page.locator("input[name=password]").fill("any password")
        page.get_by_role("button", name="Sign-in").click()
        page.wait_for_url(f"{base}/console/account")
        assert page.get_by_text("李娜").count() >= 1
        assert page.evaluate("() => document.cookie") == ""  # HttpOnly cookies only
        assert page.evaluate("() => document.documentElement.scrollWidth") <= viewport["width"]
        context.close()
    refused = [m for m in ours if "Content Security Policy" in m or "Refused" in m]
    assert refused == []


def test_a_person_without_an_account_sees_why(
    sso_live_server: tuple[str, TestClient], browser: Browser, tmp_path: Path
) -> None:
    base, _client = sso_live_server
    context = browser.new_context(viewport=PHONE)
    page = context.new_page()
    page.goto(f"{base}/console/login")
    page.get_by_role("link", name=f"使用单点登录 Sign in with {LABEL}").click()
    page.locator("input[name=login]").fill(STRANGER)
    page.locator("input[name=password]").fill("any password")
    page.get_by_role("button", name="Sign-in").click()
    page.wait_for_url(f"{base}/console/sso/callback**")
    alert = page.get_by_role("alert").inner_text()
    assert alert.startswith("此身份没有控制台账户，请联系管理员。 There is no console account")
    assert "there is no console account for this identity; ask an admin" in alert
    assert page.evaluate("() => document.documentElement.scrollWidth") <= PHONE["width"]
    screenshot(page, "console-sso-no-account", tmp_path)
    page.goto(f"{base}/console/")
    assert "/console/login" in page.url
    context.close()
