"""The API page works offline in a real browser, under the strict CSP (decision 0037).

Debian's chromium through Playwright opens the issuer's ``/docs`` with every request to
another host aborted (as offline, or behind a firewall that drops a CDN): Swagger UI still
draws every operation, ``POST /api/v1/verify`` among them, from this server's own files;
the page asked no other host for anything, and the console reports no CSP violation.
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlsplit

import pytest
from fastapi.testclient import TestClient

from tests.browser import CHROMIUM, CHROMIUM_ARGS, require_chromium

pytestmark = pytest.mark.browser


@pytest.fixture
def live(live_server: tuple[str, TestClient]) -> tuple[str, TestClient]:
    require_chromium()
    return live_server


# The page reads no stored data: one database kind is enough.
@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_api_page_draws_every_operation_offline_under_the_csp(
    live: tuple[str, TestClient], tmp_path: Path
) -> None:
    from playwright.sync_api import Route, sync_playwright

    base, client = live
    operations = sum(
        len(methods) for methods in client.get("/openapi.json").json()["paths"].values()
    )
    blocked: list[str] = []
    messages: list[str] = []
    failed: list[str] = []

    def only_this_server(route: Route) -> None:
        if urlsplit(route.request.url).netloc == urlsplit(base).netloc:
            route.continue_()
        else:
            blocked.append(route.request.url)
            route.abort("internetdisconnected")

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            context = browser.new_context()
            context.route("**/*", only_this_server)
            page = context.new_page()
            page.on("console", lambda message: messages.append(message.text))
            page.on("pageerror", lambda error: messages.append(str(error)))
            page.on("requestfailed", lambda request: failed.append(request.url))
            response = page.goto(f"{base}/docs")
            assert response is not None
            csp = response.headers["content-security-policy"]
            assert "script-src 'self'" in csp
            assert "'unsafe-inline'" not in csp
            verify = page.locator(
                '.opblock-post:has(.opblock-summary-path[data-path="/api/v1/verify"])'
            )
            verify.wait_for(timeout=15_000)
            assert "POST" in verify.locator(".opblock-summary-method").inner_text()
            assert page.locator(".opblock").count() == operations
            verify.locator(".opblock-summary").first.click()
            page.get_by_role("button", name="Try it out").first.wait_for(timeout=5_000)
            # Swagger UI's own stylesheet is applied (its POST colour), not a bare page.
            colour = verify.locator(".opblock-summary-method").evaluate(
                "e => getComputedStyle(e).backgroundColor"
            )
            assert colour == "rgb(73, 204, 144)"
            page.screenshot(path=str(tmp_path / "docs.png"))
        finally:
            browser.close()
    assert blocked == []
    assert failed == []
    violations = [m for m in messages if "Content Security Policy" in m or "Refused" in m]
    assert violations == [], violations
    assert messages == [], messages
