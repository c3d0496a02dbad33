"""A packed QR link verifies in the phone: Debian's chromium (Playwright) against a live server.

The page verifies the credential itself; every request it makes is recorded and none carries
the credential, its id or the packed digits. Once visited, it verifies with no network from
the keys and status lists it kept, says how old they are, and past the server's limit says
``unavailable``. SQLite only: the page does the same whatever database the server uses.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest
from fastapi.testclient import TestClient

from issuer.services import Services
from tests.browser import BOTH_LANGUAGES, CHROMIUM, CHROMIUM_ARGS, require_chromium
from tests.issuer.helpers import issue_body, load_catalog
from verifier.qr_packing import pack_credential

pytestmark = [
    pytest.mark.browser,
    pytest.mark.parametrize("database_url", ["sqlite"], indirect=True),
]


@pytest.fixture
def live(live_server: tuple[str, TestClient], services: Services) -> tuple[str, TestClient]:
    require_chromium()
    load_catalog(services)
    return live_server


def issue(client: TestClient, headers: dict[str, str], number: str) -> dict[str, Any]:
    body = issue_body(holder={"name": "王小明", "employee_number": number})
    response = client.post("/api/v1/credentials", json=body, headers=headers)
    assert response.status_code == 201, response.text
    issued: dict[str, Any] = response.json()
    return issued


def verdict_of(page: Any, link: str) -> str:
    page.goto(link)
    section = page.locator("section.verdict")
    section.wait_for(timeout=20_000)
    text: str = page.locator("main").inner_text()
    return text


def test_packed_links_verify_in_the_page_and_send_nothing_about_the_credential(
    live: tuple[str, TestClient], admin_headers: dict[str, str]
) -> None:
    from playwright.sync_api import Request, sync_playwright

    base, client = live
    valid = issue(client, admin_headers, "E-1001")
    revoked = issue(client, admin_headers, "E-1002")
    revoke = client.post(
        f"/api/v1/credentials/{revoked['id']}/revoke",
        json={"reason": "exam_misconduct"},
        headers=admin_headers,
    )
    assert revoke.status_code == 200
    requests: list[tuple[str, str, dict[str, str], str]] = []

    def record(request: Request) -> None:
        requests.append((request.method, request.url, request.headers, request.post_data or ""))

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            context = browser.new_context(
                viewport={"width": 390, "height": 844}, extra_http_headers=BOTH_LANGUAGES
            )  # a phone
            context.on("request", record)
            messages: list[str] = []
            context.on("console", lambda message: messages.append(message.text))
            context.on("weberror", lambda error: messages.append(str(error.error)))
            shown = verdict_of(context.new_page(), valid["qr_text"])
            assert "真实有效" in shown
            assert "Genuine and valid" in shown
            assert "王小明" in shown
            assert "E-1001" in shown
            assert "the credential was sent nowhere" in shown
            assert "Keys and status as of" in shown
            # A code printed with packing version 1 (before decision 0053) still verifies,
            # and the page fetched the version 1 dictionary for it.
            printed = pack_credential(valid["credential"], version=1)
            assert valid["qr_text"].split("#", 1)[1][0] == "2"
            shown = verdict_of(context.new_page(), f"{base}/c#{printed}")
            assert "真实有效" in shown
            shown = verdict_of(context.new_page(), revoked["qr_text"])
            assert "已撤销" in shown
            assert "Revoked" in shown
            assert "真实有效" not in shown
            # No Content-Security-Policy violation, no script error (a 404 for a document
            # the issuer does not publish, such as a suspension twin, is an answer).
            assert [m for m in messages if not m.startswith("Failed to load resource")] == []
        finally:
            browser.close()

    urls = [url for _method, url, _headers, _body in requests]
    assert f"{base}/.well-known/jwks.json" in urls
    assert {f"{base}/qr-packing/v1.dict", f"{base}/qr-packing/v2.dict"} <= set(urls)
    assert any(url.startswith(f"{base}/status/") for url in urls)
    assert {method for method, *_ in requests} == {"GET"}
    secrets = []
    for issued in (valid, revoked):
        packed = issued["qr_text"].split("#", 1)[1]
        token = issued["credential"]
        secrets += [issued["id"], token, token.split(".")[1][:40], token.split(".")[2]]
        secrets += [packed, packed[:40], packed[-40:]]
    secrets += [printed, printed[:40], printed[-40:]]
    for method, url, headers, body in requests:
        seen = " ".join([method, url, json.dumps(headers), body])
        assert not [s for s in secrets if s in seen], url


def test_once_visited_the_page_verifies_offline_until_its_documents_are_too_old(
    live: tuple[str, TestClient], admin_headers: dict[str, str]
) -> None:
    from playwright.sync_api import sync_playwright

    _base, client = live
    link = issue(client, admin_headers, "E-2001")["qr_text"]
    now = dt.datetime.now(dt.UTC)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            context = browser.new_context(
                viewport={"width": 390, "height": 844}, extra_http_headers=BOTH_LANGUAGES
            )  # a phone
            context.clock.install(time=now)
            page = context.new_page()
            assert "真实有效" in verdict_of(page, link)
            page.evaluate("navigator.serviceWorker.ready.then(() => true)")
            context.set_offline(True)
            offline = context.new_page()
            shown = verdict_of(offline, link)
            assert "真实有效" in shown, shown
            assert "Offline, in this phone" in shown
            as_of = offline.locator("#verification dd").nth(1).inner_text()
            # In the issuer's time zone, named (decision 0049).
            assert as_of.endswith(" 北京时间（UTC+8） / Beijing time (UTC+8)"), as_of
            beijing = dt.timezone(dt.timedelta(hours=8))
            kept_at = dt.datetime.strptime(as_of[:19], "%Y-%m-%d %H:%M:%S").replace(tzinfo=beijing)
            assert abs(kept_at - now) < dt.timedelta(minutes=5), as_of
            # A day (TESSERA_VERIFY_KEYS_MAX_AGE_SECONDS) later, still offline.
            context.clock.set_system_time(now + dt.timedelta(days=1, hours=1))
            later = context.new_page()
            shown = verdict_of(later, link)
            assert "暂时无法核验" in shown
            assert "Could not be checked now" in shown
            assert "真实有效" not in shown
            assert "older than 24 h" in shown
        finally:
            browser.close()
