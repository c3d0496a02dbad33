"""Approvals, keys and the audit log in Chromium, on a phone and a desktop, under the CSP."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from playwright.sync_api import Browser, Page, ViewportSize
from sqlalchemy import select

from issuer.app import create_app
from issuer.config import Settings
from issuer.services import Services
from issuer.store.models import Credential
from tests.console.approval_helpers import file_batch
from tests.console.helpers import DESKTOP, PHONE, browser_sign_in, make_user, screenshot
from tests.issuer.helpers import load_catalog

pytestmark = pytest.mark.browser


@contextmanager
def signed_in_page(
    browser: Browser, base: str, email: str, viewport: ViewportSize, messages: list[str]
) -> Iterator[Page]:
    context = browser.new_context(viewport=viewport)
    page = context.new_page()
    page.on("console", lambda message: messages.append(message.text))
    browser_sign_in(page, base, email)
    try:
        yield page
    finally:
        context.close()


def fits(page: Page, viewport: ViewportSize) -> None:
    """No horizontal scrolling of the page (tables scroll inside their own box)."""
    assert page.evaluate("() => document.documentElement.scrollWidth") <= viewport["width"]


def refused_by_csp(messages: list[str]) -> list[str]:
    return [m for m in messages if "Content Security Policy" in m or "Refused" in m]


def session_states(services: Services, exam_session: str) -> list[str]:
    with services.sessions() as session:
        query = select(Credential.state).where(Credential.exam_session == exam_session)
        return sorted(session.scalars(query))


def test_an_admin_approves_a_large_batch_a_registrar_requested(
    live_server: tuple[str, TestClient],
    settings: Settings,
    services: Services,
    browser: Browser,
    tmp_path: Path,
) -> None:
    base, _client = live_server
    load_catalog(services)
    registrar = make_user(services, "li@example.com", "registrar", ["U01"], name="李娜")
    make_user(services, "wang@example.com", "admin", name="王强")
    small = settings.model_copy(update={"base_url": base, "batch_approval_threshold": 2})
    filing_services = Services.from_settings(small)  # the same database, a threshold of 2
    filing = TestClient(create_app(small, services=filing_services))
    messages: list[str] = []
    for viewport, exam_session in ((PHONE, "2026-Q4-D3-R05"), (DESKTOP, "2026-Q4-D4-R01")):
        file_batch(filing, filing_services, registrar, 4, exam_session)
        with signed_in_page(browser, base, "wang@example.com", viewport, messages) as page:
            page.goto(f"{base}/console/approvals")
            request = page.locator("article.request").filter(has_text=exam_session)
            assert request.count() == 1
            assert "李娜" in request.inner_text()
            assert "4" in request.locator("dd").all_inner_texts()  # how many credentials
            fits(page, viewport)
            if viewport == DESKTOP:
                screenshot(page, "console-approvals", tmp_path)
            request.get_by_label("审批备注（可选） Note (optional)").fill("已核实 checked")
            request.get_by_role("button", name="批准并执行 Approve and carry out").click()
            page.wait_for_url(f"{base}/console/approvals?done=approved")
            assert page.get_by_role("status").inner_text().startswith("已批准并执行")
            assert session_states(services, exam_session) == ["revoked"] * 4
            fits(page, viewport)
    filing_services.engine.dispose()
    assert refused_by_csp(messages) == []


def test_the_audit_log_and_its_chain_check_and_the_keys(
    live_server: tuple[str, TestClient], services: Services, browser: Browser, tmp_path: Path
) -> None:
    base, _client = live_server
    make_user(services, "wang@example.com", "admin", name="王强")
    messages: list[str] = []
    for viewport in (PHONE, DESKTOP):
        with signed_in_page(browser, base, "wang@example.com", viewport, messages) as page:
            page.goto(f"{base}/console/audit")
            page.get_by_label("操作 Action").select_option("user.sign_in")
            page.get_by_role("button", name="筛选 Filter").click()
            page.wait_for_url("**/console/audit?action=user.sign_in*")
            rows = page.locator("table.events tbody tr")
            assert rows.count() >= 1
            assert "登录" in rows.first.inner_text()
            page.get_by_role("button", name="校验审计链 Verify the chain").click()
            page.wait_for_url(f"{base}/console/audit/verify")
            assert "审计链完整" in page.get_by_role("status").inner_text()
            fits(page, viewport)
            if viewport == DESKTOP:
                screenshot(page, "console-audit", tmp_path)
            page.goto(f"{base}/console/keys")
            assert page.get_by_role("cell", name="使用中 Active").count() == 1
            page.get_by_role("link", name="轮换签名密钥… Rotate the signing key…").click()
            assert page.get_by_role("heading", name="轮换签名密钥 Rotate the signing key").count()
            fits(page, viewport)
            if viewport == DESKTOP:
                page.goto(f"{base}/console/keys")
                screenshot(page, "console-keys", tmp_path)
    assert refused_by_csp(messages) == []
