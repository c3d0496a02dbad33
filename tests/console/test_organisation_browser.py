"""In Chromium: an admin sets up a unit, an occupation and a registrar through the forms, and
the registrar signs in (the first steps of the acceptance journey), on a phone and a desktop,
under the strict CSP."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from playwright.sync_api import Browser, Page

from issuer.credentials.catalog_admin import ensure_levels
from issuer.services import Services
from issuer.store.engine import session_scope
from tests.console.helpers import DESKTOP, PHONE, browser_sign_in, make_user, screenshot

pytestmark = pytest.mark.browser

REGISTRAR_PASSWORD = "registrar passphrase 1"


def _fits(page: Page, width: int) -> None:
    assert page.evaluate("() => document.documentElement.scrollWidth") <= width


def _set_up(page: Page, base: str, suffix: str, width: int) -> None:
    """One unit, one occupation at two levels and a registrar of that unit, by the forms."""
    page.get_by_role("link", name="机构设置 Organisation").first.click()
    page.wait_for_url(f"{base}/console/organisation")
    _fits(page, width)
    page.get_by_label("单位代码 Unit code").fill(f"U9{suffix}")
    page.get_by_label("中文名称 Chinese name").fill(f"新厂{suffix}")
    page.get_by_label("英文名称 English name").fill(f"New Plant {suffix}")
    page.get_by_role("button", name="创建单位 Create unit").click()
    page.get_by_role("status").get_by_text("The unit is saved.").wait_for()
    assert page.get_by_role("rowheader", name=f"U9{suffix}").count() == 1

    page.get_by_role("link", name="新建职业 New occupation").click()
    page.get_by_label("职业编码 National code").fill(f"6-17-05-0{suffix}")
    page.get_by_label("中文名称 Chinese name").fill("稀土冶炼工")
    page.get_by_label("英文名称 English name").fill("Rare Earth Smelter")
    page.get_by_label("职业描述 Description (Chinese)").fill("从事稀土冶炼的人员。")
    page.get_by_label("英文职业描述 Description (English)").fill("Works in smelting.")
    page.get_by_label("认定标准 Criteria (Chinese)").fill("国家职业技能标准。")
    page.get_by_label("英文认定标准 Criteria (English)").fill("The national standard.")
    page.get_by_label("初级工 Junior").check()
    page.get_by_label("高级工 Senior").check()
    _fits(page, width)
    page.get_by_role("button", name="创建职业 Create occupation").click()
    page.get_by_role("status").get_by_text("The occupation is saved.").wait_for()
    assert page.get_by_text("初级工、高级工").count() >= 1

    page.get_by_role("link", name="用户 Users").first.click()
    page.wait_for_url(f"{base}/console/users")
    page.get_by_label("邮箱 Email").fill(f"registrar{suffix}@example.com")
    page.get_by_label("姓名 Name").fill(f"李娜{suffix}")
    page.get_by_label("角色 Role").select_option("registrar")
    page.get_by_label(f"U9{suffix}").check()
    page.get_by_label("Initial password (10 characters or more)").fill(REGISTRAR_PASSWORD)
    page.get_by_label("再次输入密码 Password again").fill(REGISTRAR_PASSWORD)
    _fits(page, width)
    page.get_by_role("button", name="创建用户 Create user").click()
    page.get_by_role("status").get_by_text("The user is created.").wait_for()
    assert page.get_by_role("link", name=f"registrar{suffix}@example.com").count() == 1


def test_an_admin_sets_up_the_organisation_and_a_registrar_signs_in(
    live_server: tuple[str, TestClient], services: Services, browser: Browser, tmp_path: Path
) -> None:
    base, _client = live_server
    with session_scope(services.sessions) as session:
        ensure_levels(session)
    make_user(services, "admin@example.com", name="周敏")
    messages: list[str] = []
    for suffix, viewport in (("1", PHONE), ("2", DESKTOP)):
        width = viewport["width"]
        context = browser.new_context(viewport=viewport)
        page = context.new_page()
        page.on("console", lambda message: messages.append(message.text))
        browser_sign_in(page, base, "admin@example.com")
        _set_up(page, base, suffix, width)
        if viewport == DESKTOP:
            screenshot(page, "console-users", tmp_path)
            page.goto(f"{base}/console/organisation")
            screenshot(page, "console-organisation", tmp_path)
        page.goto(f"{base}/console/organisation/profile")
        _fits(page, width)
        page.get_by_role("button", name="退出 Sign out").click()
        page.wait_for_url(f"{base}/console/login")

        browser_sign_in(page, base, f"registrar{suffix}@example.com", REGISTRAR_PASSWORD)
        assert page.get_by_text(f"李娜{suffix}").count() >= 1
        assert page.get_by_role("link", name="机构设置 Organisation").count() == 0
        page.goto(f"{base}/console/organisation")
        assert page.get_by_role("heading", name="无权执行此操作").count() == 1
        context.close()
    refused = [m for m in messages if "Content Security Policy" in m or "Refused" in m]
    assert refused == []
    assert (tmp_path / "console-organisation.png").stat().st_size > 0
