"""Every console page each role can reach passes the accessibility checks (decision 0039).

Chromium signs in as an admin, a registrar of U01 and an auditor, opens every section of the
navigation and every console page linked from those (a credential, a search, an import, a
user, a unit...), at 390 and 1280 px, under the strict CSP: axe-core finds no serious or
critical violation and tabbing shows a focus indicator of 3:1 contrast on every control.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

import pytest
from fastapi.testclient import TestClient
from playwright.sync_api import Browser

from issuer.services import Services
from tests.accessibility import PageChecks
from tests.console.helpers import browser_sign_in, make_user
from tests.issuer.helpers import issue_body, load_catalog
from tests.issuer.reissue_helpers import compromise_active_key

pytestmark = pytest.mark.browser

USERS = {
    "admin": ("admin@example.com", "admin", []),
    "registrar": ("registrar@example.com", "registrar", ["U01"]),
    "auditor": ("auditor@example.com", "auditor", []),
}
# Links that are not pages: files, sign-out, single sign-on hand-offs.
NOT_A_PAGE = re.compile(r"\.(pdf|png|svg|jwt|csv|zip|json)$|/logout|/sso/|/download|/bundle$")
MAX_LINKED_PAGES = 25


def _register(client: TestClient, headers: dict[str, str]) -> None:
    """Credentials in U01 and U02 in several states, and a request awaiting approval."""
    made = []
    for n, unit in enumerate(["U01", "U01", "U01", "U02"]):
        body = issue_body(holder={"name": f"持证人{n}", "employee_number": f"E-{n}"}, unit=unit)
        answer = client.post("/api/v1/credentials", json=body, headers=headers)
        assert answer.status_code == 201, answer.text
        made.append(answer.json()["id"])
    revoke = {"reason": "exam_misconduct"}
    assert client.post(f"/api/v1/credentials/{made[1]}/revoke", json=revoke, headers=headers)
    suspend = {"reason": "holder_request"}
    assert client.post(f"/api/v1/credentials/{made[2]}/suspend", json=suspend, headers=headers)
    rotate = client.post("/api/v1/keys/rotate", json={}, headers=headers)
    assert rotate.status_code == 202, rotate.text


def _pages(checks: PageChecks, base: str) -> list[str]:
    """The navigation's sections, then the console pages they link to."""
    page = checks.page
    sections = [
        href
        for href in page.eval_on_selector_all("header nav a", "els => els.map(e => e.href)")
        if href.startswith(f"{base}/console/")
    ]
    assert len(sections) >= 3
    linked: list[str] = []
    for section in sections:
        page.goto(section)
        for href in page.eval_on_selector_all("main a[href]", "els => els.map(e => e.href)"):
            path = urlsplit(href).path
            if not href.startswith(f"{base}/console/") or NOT_A_PAGE.search(path):
                continue
            if href not in sections and href not in linked:
                linked.append(href)
    # One page per route shape is enough: a table's rows all open the same page.
    shapes: dict[str, str] = {}
    for href in linked:
        shape = re.sub(r"/[0-9a-f-]{8,}|/\d+|/U\d+|/\d-[\d-]+", "/{id}", urlsplit(href).path)
        shapes.setdefault(shape + "?" * bool(urlsplit(href).query), href)
    return sections + list(shapes.values())[:MAX_LINKED_PAGES]


@pytest.mark.parametrize("role", list(USERS))
def test_every_console_page_of_each_role_is_accessible(
    live_server: tuple[str, TestClient],
    services: Services,
    admin_headers: dict[str, str],
    browser: Browser,
    role: str,
) -> None:
    base, client = live_server
    load_catalog(services)
    _register(client, admin_headers)
    compromise_active_key(services)  # so an admin's keys page links to a re-issue request
    email, role_name, units = USERS[role]
    make_user(services, email, role_name, units)
    messages: list[str] = []
    checked: list[str] = []
    failures: list[str] = []
    for width in (390, 1280):
        context = browser.new_context(viewport={"width": width, "height": 900})
        page = context.new_page()
        page.on("console", lambda message: messages.append(message.text))
        checks = PageChecks(page)
        page.goto(f"{base}/console/login")
        checks.check(f"sign-in at {width}px")
        browser_sign_in(page, base, email)
        for url in _pages(checks, base):
            checks.goto(url)
            scroll = page.evaluate("() => document.documentElement.scrollWidth")
            if scroll > width:
                failures.append(f"{url} at {width}px scrolls sideways ({scroll}px)")
            checks.check(f"{urlsplit(url).path} at {width}px")
        checked += checks.checked
        failures += checks.failures
        context.close()
    assert len(checked) >= 10, checked
    if role == "admin":
        assert any(c.endswith("/reissue at 390px") for c in checked), checked
    refused = [m for m in messages if "Content Security Policy" in m]
    assert refused == []
    assert failures == [], "\n".join(failures)
