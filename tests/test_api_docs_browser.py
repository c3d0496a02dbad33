"""The API page works offline in a real browser, under the strict CSP (decision 0037).

Debian's chromium through Playwright opens the issuer's ``/docs`` with every request to
another host aborted (as offline, or behind a firewall that drops a CDN): Swagger UI still
draws every operation, ``POST /api/v1/verify`` among them, from the server's own files, and
"Try it out" gets its answer; the page asked no other host for anything, and the console
reports no error and no violation of the strict CSP. The standalone verifier's ``/docs`` is
the same code (tests/verifier/test_api_docs.py).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

import pytest
from fastapi.testclient import TestClient

from tests.browser import CHROMIUM, CHROMIUM_ARGS, require_chromium

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Route

pytestmark = pytest.mark.browser

POST_GREEN = "rgb(73, 204, 144)"  # swagger-ui.css .opblock-post .opblock-summary-method


@pytest.fixture
def live(live_server: tuple[str, TestClient]) -> tuple[str, TestClient]:
    require_chromium()
    return live_server


def _open_docs(
    browser: Browser, base: str, operations: int, screenshot: Path
) -> tuple[str | None, list[str]]:
    """Open ``base/docs`` offline, check all ``operations`` are drawn: (its CSP, what went
    wrong: requests to other hosts, failed requests, console messages)."""
    trouble: list[str] = []

    def only_this_server(route: Route) -> None:
        if urlsplit(route.request.url).netloc == urlsplit(base).netloc:
            route.continue_()
        else:
            trouble.append(f"asked another host: {route.request.url}")
            route.abort("internetdisconnected")

    context = browser.new_context()
    try:
        context.route("**/*", only_this_server)
        page = context.new_page()
        page.on("console", lambda message: trouble.append(f"console: {message.text}"))
        page.on("pageerror", lambda error: trouble.append(f"error: {error}"))
        page.on("requestfailed", lambda request: trouble.append(f"failed: {request.url}"))
        response = page.goto(f"{base}/docs")
        assert response is not None
        verify = page.locator(
            '.opblock-post:has(.opblock-summary-path[data-path="/api/v1/verify"])'
        )
        verify.wait_for(timeout=15_000)
        method = verify.locator(".opblock-summary-method")
        assert method.inner_text() == "POST"
        assert page.locator(".opblock").count() == operations
        # Swagger UI's own stylesheet is applied, not a bare page.
        assert method.evaluate("e => getComputedStyle(e).backgroundColor") == POST_GREEN
        verify.locator(".opblock-summary").first.click()
        # It works, too: "Try it out" sends the example to this server (CSP connect-src).
        page.get_by_role("button", name="Try it out").first.click()
        verify.get_by_role("button", name="Execute").click()
        status = verify.locator(".live-responses-table tbody .response-col_status").first
        status.wait_for(timeout=10_000)
        assert status.inner_text() == "200"
        answer = verify.locator(".live-responses-table tbody .response-col_description").first
        assert '"verified": false' in answer.inner_text()  # "string" is no credential
        page.screenshot(path=str(screenshot))
        return response.headers.get("content-security-policy"), trouble
    finally:
        context.close()


# The page reads no stored data: one database kind is enough.
@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_api_page_draws_every_operation_offline_under_the_csp(
    live: tuple[str, TestClient], tmp_path: Path
) -> None:
    from playwright.sync_api import sync_playwright

    base, client = live
    paths = client.get("/openapi.json").json()["paths"]
    operations = sum(len(methods) for methods in paths.values())
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            csp, trouble = _open_docs(browser, base, operations, tmp_path / "docs.png")
            assert csp is not None
            assert "script-src 'self'" in csp
            assert "'unsafe-inline'" not in csp
            assert trouble == [], trouble
        finally:
            browser.close()
