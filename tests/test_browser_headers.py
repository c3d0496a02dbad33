"""The security headers hold in a real browser: no CSP violation, and the pages are styled.

Debian's chromium through Playwright loads the issuer's verify link, packed QR link and form
from a live server sending its strict Content-Security-Policy (no ``'unsafe-inline'``).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import uvicorn
from fastapi.testclient import TestClient

from issuer.app import create_app
from issuer.config import Settings
from issuer.services import Services
from tests.issuer.helpers import issue_body, load_catalog
from tests.servers import free_port
from tests.verifier.test_browser import CHROMIUM, CHROMIUM_ARGS, require_chromium

pytestmark = pytest.mark.browser

GOOD_BORDER, GOOD_BACKGROUND = "rgb(11, 93, 36)", "rgb(234, 246, 238)"  # verify.css .good


@pytest.fixture
def live(settings: Settings, services: Services) -> Iterator[tuple[str, TestClient]]:
    require_chromium()
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    live_settings = settings.model_copy(update={"base_url": base})
    live_services = Services.from_settings(live_settings)
    app = create_app(live_settings, services=live_services)
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="error"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.05)
    assert server.started
    try:
        with TestClient(app) as client:
            yield base, client
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        live_services.engine.dispose()


def test_pages_obey_the_csp_and_are_styled_in_chromium(
    live: tuple[str, TestClient],
    services: Services,
    admin_headers: dict[str, str],
    tmp_path: Path,
) -> None:
    from playwright.sync_api import sync_playwright

    base, client = live
    load_catalog(services)
    issued = client.post("/api/v1/credentials", json=issue_body(), headers=admin_headers).json()
    messages: list[str] = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            page = browser.new_page()
            page.on("console", lambda message: messages.append(message.text))
            page.on("pageerror", lambda error: messages.append(str(error)))
            for url in (f"{base}/v/{issued['id']}", issued["qr_text"]):
                response = page.goto(url)
                assert response is not None
                assert "'unsafe-inline'" not in response.headers["content-security-policy"]
                verdict = page.locator("section.verdict")
                assert "真实有效" in verdict.inner_text()
                style = verdict.evaluate(
                    "e => [getComputedStyle(e).borderTopColor, getComputedStyle(e).backgroundColor]"
                )
                assert style == [GOOD_BORDER, GOOD_BACKGROUND], url
            page.goto(f"{base}/verify")
            button = page.locator("button[type=submit]")
            assert button.evaluate("e => getComputedStyle(e).backgroundColor") == (
                "rgb(29, 78, 216)"
            )
            page.screenshot(path=str(tmp_path / "verify-form.png"))
        finally:
            browser.close()
    violations = [m for m in messages if "Content Security Policy" in m or "Refused" in m]
    assert violations == [], violations
