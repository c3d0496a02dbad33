"""Console test helpers: users with passwords, signing in through the real form."""

from __future__ import annotations

import datetime as dt
import os
import re
from pathlib import Path

from fastapi.testclient import TestClient
from httpx2 import Response
from playwright.sync_api import Page, ViewportSize

from issuer.access.users import create_user
from issuer.services import Services
from issuer.store.audit import Actor
from issuer.store.engine import session_scope

PASSWORD = "correct horse battery staple"
PHONE: ViewportSize = {"width": 390, "height": 844}
DESKTOP: ViewportSize = {"width": 1280, "height": 900}


class Clock:
    """A clock the test sets; starts at the real time."""

    def __init__(self, start: dt.datetime) -> None:
        self.now = start

    def __call__(self) -> dt.datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += dt.timedelta(**delta)


_CSRF = re.compile(r'name="csrf_token" value="([0-9a-f]{64})"')


def make_user(
    services: Services,
    email: str,
    role: str = "admin",
    units: list[str] | None = None,
    *,
    password: str = PASSWORD,
    name: str | None = None,
) -> int:
    """A console user, created as the operator's CLI would; returns the principal id."""
    with session_scope(services.sessions) as session:
        record = create_user(
            session,
            email=email,
            role=role,
            units=units or [],
            name=name,
            password=password,
            actor=Actor(name="cli:test"),
            now=services.clock(),
        )
        return record.id


def csrf_of(html: str) -> str:
    """The CSRF token a page's forms carry."""
    match = _CSRF.search(html)
    assert match is not None, "the page has no form with a CSRF token"
    return match.group(1)


def sign_in(client: TestClient, email: str, password: str = PASSWORD) -> Response:
    """Open the sign-in form and submit it, as a browser would; returns the answer."""
    form = client.get("/console/login")
    assert form.status_code == 200, form.text
    return client.post(
        "/console/login",
        data={"csrf_token": csrf_of(form.text), "email": email, "password": password},
        follow_redirects=False,
    )


def signed_in(client: TestClient, email: str, password: str = PASSWORD) -> str:
    """Sign in; returns the CSRF token of the signed-in pages."""
    answer = sign_in(client, email, password)
    assert answer.status_code == 303, answer.text
    return csrf_of(client.get("/console/account").text)


def browser_sign_in(page: Page, base: str, email: str, password: str = PASSWORD) -> None:
    """Sign in through the form, by its labels, as a person would."""
    page.goto(f"{base}/console/login")
    page.get_by_label("邮箱 Email").fill(email)
    page.get_by_label("密码 Password").fill(password)
    page.get_by_role("button", name="登录 Sign in").click()
    page.wait_for_url(f"{base}/console/**")
    assert "/console/login" not in page.url, "sign-in failed"


def screenshot(page: Page, name: str, tmp_path: Path) -> None:
    """A full-page screenshot in the test's directory; also into ``TESSERA_SCREENSHOTS_DIR``
    when set (``make screenshots`` refreshes the guide's pictures in docs/images/)."""
    page.screenshot(path=str(tmp_path / f"{name}.png"), full_page=True)
    target = os.environ.get("TESSERA_SCREENSHOTS_DIR")
    if target:
        page.screenshot(path=str(Path(target) / f"{name}.png"), full_page=False)
