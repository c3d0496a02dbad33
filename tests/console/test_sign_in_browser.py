"""Signing in with Chromium: the labelled form, the cookie the page cannot read, the CSP."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from playwright.sync_api import Browser

from issuer.services import Services
from tests.console.helpers import DESKTOP, PHONE, browser_sign_in, make_user

pytestmark = pytest.mark.browser


def test_a_person_signs_in_and_out_in_the_browser(
    live_server: tuple[str, TestClient], services: Services, browser: Browser
) -> None:
    base, _client = live_server
    make_user(services, "registrar@example.com", name="李娜")
    messages: list[str] = []
    for viewport in (PHONE, DESKTOP):
        context = browser.new_context(viewport=viewport)
        page = context.new_page()
        page.on("console", lambda message: messages.append(message.text))
        browser_sign_in(page, base, "registrar@example.com")
        assert page.url == f"{base}/console/"
        assert page.get_by_text("李娜").count() >= 1
        assert page.evaluate("() => document.cookie") == ""  # HttpOnly: scripts cannot read it
        width = page.evaluate("() => document.documentElement.scrollWidth")
        assert width <= viewport["width"]
        page.get_by_role("button", name="退出 Sign out").click()
        page.wait_for_url(f"{base}/console/login")
        page.goto(f"{base}/console/")
        assert page.url.startswith(f"{base}/console/login?next=")
        context.close()
    refused = [m for m in messages if "Content Security Policy" in m or "Refused" in m]
    assert refused == []
