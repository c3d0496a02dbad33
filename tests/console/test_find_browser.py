"""The dashboard and the search in Chromium: a registrar types a certificate number and lands
on that credential; both pages fit a phone and run under the strict CSP."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from playwright.sync_api import Browser

from issuer.services import Services
from tests.console.find_helpers import build_register
from tests.console.helpers import DESKTOP, PHONE, browser_sign_in, make_user, screenshot
from tests.helpers import make_token
from tests.issuer.lifecycle_helpers import bearer

pytestmark = pytest.mark.browser


def _real_time(_moment: dt.datetime) -> None:
    """The live server keeps the real clock: everything is issued now."""


def test_a_registrar_finds_a_credential_by_its_number_on_a_phone_and_a_desktop(
    live_server: tuple[str, TestClient], services: Services, browser: Browser, tmp_path: Path
) -> None:
    base, client = live_server
    issued = build_register(client, services, bearer(make_token(services)), _real_time)
    make_user(services, "u01@example.com", "registrar", ["U01"], name="王登记")
    wanted = issued[4]  # U01's
    messages: list[str] = []
    for viewport in (PHONE, DESKTOP):
        context = browser.new_context(viewport=viewport)
        page = context.new_page()
        page.on("console", lambda message: messages.append(message.text))
        browser_sign_in(page, base, "u01@example.com")
        assert page.url == f"{base}/console/"
        assert page.get_by_role("heading", name="按单位 By unit").is_visible()
        assert page.evaluate("() => document.documentElement.scrollWidth") <= viewport["width"]
        if viewport == DESKTOP:
            screenshot(page, "console-dashboard", tmp_path)

        box = page.get_by_label("查找证书 Find a credential")
        box.fill(wanted["number"].lower())
        box.press("Enter")
        page.wait_for_url(f"{base}/console/credentials/{wanted['id']}")

        page.goto(f"{base}/console/credentials?unit=U01&sort=number")
        rows = page.locator("table tbody tr")
        assert rows.count() == 4
        assert page.get_by_role("link", name=wanted["number"]).is_visible()
        assert page.evaluate("() => document.documentElement.scrollWidth") <= viewport["width"]
        page.get_by_label("持证人姓名（可部分） Holder name (or part)").fill("李")
        page.get_by_role("button", name="查找 Search").click()
        page.wait_for_url("**holder_name=**")
        assert page.locator("table tbody tr").count() == 1
        if viewport == DESKTOP:
            screenshot(page, "console-search", tmp_path)
        context.close()
    refused = [m for m in messages if "Content Security Policy" in m or "Refused" in m]
    assert refused == []
