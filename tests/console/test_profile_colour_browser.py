"""In Chromium: an admin types a certificate colour; a pale one is refused beside the field in
both languages, a dark one is kept and its swatch drawn under the strict CSP (decision 0052)."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from playwright.sync_api import Browser

from issuer.services import Services
from tests.console.helpers import DESKTOP, browser_sign_in, make_user
from verifier.i18n import both

pytestmark = pytest.mark.browser


def test_the_colour_field_refuses_a_pale_colour_and_keeps_a_dark_one(
    live_server: tuple[str, TestClient], services: Services, browser: Browser
) -> None:
    base, _client = live_server
    make_user(services, "admin@example.com")
    context = browser.new_context(viewport=DESKTOP)
    page = context.new_page()
    messages: list[str] = []
    page.on("console", lambda message: messages.append(message.text))
    browser_sign_in(page, base, "admin@example.com")
    page.goto(f"{base}/console/organisation/profile")
    zh, en = both("profile.colour.label")
    field = page.get_by_label(f"{zh} {en}")
    field.fill("#ffe4e1")
    page.get_by_role("button", name="保存机构信息 Save profile").click()
    error = page.locator("#colour-error")
    error.wait_for()
    assert "1.2:1" in error.inner_text()
    assert both("profile.colour.too_pale", ratio="1.2", needed=4.5)[1] in error.inner_text()
    assert page.get_by_label(f"{zh} {en}").get_attribute("aria-invalid") == "true"
    page.get_by_label(f"{zh} {en}").fill("#1D4E89")
    page.get_by_role("button", name="保存机构信息 Save profile").click()
    page.get_by_role("status").get_by_text("The profile is saved.").wait_for()
    assert page.get_by_label(f"{zh} {en}").input_value() == "#1d4e89"
    fill = page.locator("svg.swatch rect").evaluate("(r) => getComputedStyle(r).fill")
    assert fill == "rgb(29, 78, 137)"
    context.close()
    assert [m for m in messages if "Content Security Policy" in m or "Refused" in m] == []
