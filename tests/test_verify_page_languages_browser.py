"""The verify page in the language asked for, in Chromium at phone (390 px) and desktop width:
``?lang=en`` shows no Chinese and ``?lang=zh`` no English outside the credential's values
and the language switch; ``Accept-Language`` chooses one when it names one, both otherwise;
the packed-link page (verified in the phone) says the same in the same language.
SQLite only: the page reads the same whatever database the server uses.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from fastapi.testclient import TestClient

from issuer.services import Services
from tests.browser import CHROMIUM, CHROMIUM_ARGS, require_chromium
from tests.issuer.helpers import issue_body, load_catalog

pytestmark = [
    pytest.mark.browser,
    pytest.mark.parametrize("database_url", ["sqlite"], indirect=True),
]

CJK = re.compile(r"[\u3000-\u303f\u3400-\u9fff\uff00-\uffef]")
ENGLISH_WORD = re.compile(r"[A-Za-z]{2,}")
NAMES = ("UTC",)


@pytest.fixture
def live(live_server: tuple[str, TestClient], services: Services) -> tuple[str, TestClient]:
    require_chromium()
    load_catalog(services)
    return live_server


def issue(client: TestClient, headers: dict[str, str]) -> tuple[dict[str, Any], list[str]]:
    """A credential, and the values it shows (which keep their own language)."""
    body = issue_body(holder={"name": "王小明", "employee_number": "E-3001"})
    issued: dict[str, Any] = client.post("/api/v1/credentials", json=body, headers=headers).json()
    shown = client.post("/api/v1/verify", json={"credential": issued["credential"]}).json()
    values = [v for v in shown["credential"].values() if isinstance(v, str)]
    return issued, sorted(values, key=len, reverse=True)


def reading(page: Any, values: list[str]) -> str:
    """The main text without the language switch, the footer and the credential's values."""
    text: str = page.locator("main").inner_text()
    for part in ("nav.langs", "footer"):
        if page.locator(part).count():
            text = text.replace(page.locator(part).inner_text(), " ")
    for value in values:
        text = text.replace(value, " ")
    return text


def fits(page: Any, width: int) -> None:
    assert page.evaluate("document.documentElement.scrollWidth") <= width


@pytest.mark.parametrize("width", [390, 1280])
def test_the_verify_page_in_english_chinese_and_as_the_browser_asks(
    live: tuple[str, TestClient], admin_headers: dict[str, str], width: int
) -> None:
    from playwright.sync_api import sync_playwright

    base, client = live
    issued, values = issue(client, admin_headers)
    link = f"{base}/v/{issued['id']}"
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": width, "height": 900})
            page.goto(f"{link}?lang=en")
            english = reading(page, values)
            assert "Genuine and valid" in english
            assert "Signature valid: the certificate has not been altered" in english
            assert "Compare the name with the person's ID card" in english
            assert "Beijing time (UTC+8)" in english
            assert not CJK.search(english), CJK.findall(english)
            assert page.locator("html").get_attribute("lang") == "en"
            assert not page.locator("details.internal").get_attribute("open")
            assert not page.get_by_text("Signing key", exact=True).is_visible()
            page.get_by_text("Technical details").click()
            assert page.get_by_text("Signing key", exact=True).is_visible()
            fits(page, width)

            page.goto(f"{link}?lang=zh")
            chinese = reading(page, values)
            assert "真实有效" in chinese
            assert "签名有效：证书内容未被改动" in chinese
            assert "请核对姓名与持证人身份证件一致" in chinese
            assert "北京时间" in chinese
            for name in NAMES:
                chinese = chinese.replace(name, " ")
            assert ENGLISH_WORD.findall(chinese) == []
            assert page.locator("html").get_attribute("lang") == "zh-CN"
            fits(page, width)

            # The switch goes from one language to the other, and to both.
            page.get_by_role("link", name="English").click()
            assert "Genuine and valid" in page.locator("section.verdict").inner_text()
            page.get_by_role("link", name="中英对照").click()
            both = page.locator("section.verdict").inner_text()
            assert "真实有效" in both
            assert "Genuine and valid" in both
            page.close()

            # Chromium on its own asks for en-US: English; a Chinese browser gets Chinese; one
            # that reads both gets both.
            for accept, present, absent in (
                (None, "Genuine and valid", "真实有效"),
                ("zh-CN,zh;q=0.9", "真实有效", "Genuine and valid"),
                ("zh-CN,zh;q=0.9,en;q=0.8", "真实有效", None),
            ):
                headers = {"Accept-Language": accept} if accept else {}
                asked = browser.new_page(
                    viewport={"width": width, "height": 900}, extra_http_headers=headers
                )
                asked.goto(link)
                verdict = asked.locator("section.verdict").inner_text()
                assert present in verdict, accept
                if absent:
                    assert absent not in verdict, accept
                else:
                    assert "Genuine and valid" in verdict
                asked.close()
        finally:
            browser.close()


@pytest.mark.parametrize("width", [390, 1280])
def test_the_packed_link_page_speaks_the_language_asked_for(
    live: tuple[str, TestClient], admin_headers: dict[str, str], width: int
) -> None:
    from playwright.sync_api import sync_playwright

    _base, client = live
    issued, values = issue(client, admin_headers)
    packed = issued["qr_text"]
    path, fragment = packed.split("#", 1)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": width, "height": 900})
            errors: list[str] = []
            page.on("pageerror", lambda error: errors.append(str(error)))
            page.goto(f"{path}?lang=en#{fragment}")
            page.locator("section.verdict").wait_for(timeout=20_000)
            english = reading(page, values)
            assert "Genuine and valid" in english
            assert "Signature valid: the certificate has not been altered" in english
            assert "In this phone: the credential was sent nowhere" in english
            assert "Beijing time (UTC+8)" in english
            assert not CJK.search(english), CJK.findall(english)
            fits(page, width)
            page.close()

            page = browser.new_page(
                viewport={"width": width, "height": 900},
                extra_http_headers={"Accept-Language": "zh-CN"},
            )
            page.goto(packed)
            page.locator("section.verdict").wait_for(timeout=20_000)
            chinese = reading(page, values)
            assert "签名有效：证书内容未被改动" in chinese
            assert "在本机核验，证书未发送给任何服务器" in chinese
            for name in NAMES:
                chinese = chinese.replace(name, " ")
            assert ENGLISH_WORD.findall(chinese) == []
            assert errors == []
        finally:
            browser.close()
