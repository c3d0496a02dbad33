"""Second-factor test helpers: the secret a set-up page shows, codes an app would show."""

from __future__ import annotations

import datetime as dt
import re

import pyotp
from fastapi.testclient import TestClient
from httpx2 import Response

from tests.console.helpers import csrf_of

_SECRET = re.compile(r'<code class="totp-secret">([A-Z2-7 ]+)</code>')
_PENDING = re.compile(r'name="pending" value="([^"]+)"')
_FORM_TOKEN = re.compile(r'name="form_token" value="([^"]+)"')


def secret_of(html: str) -> str:
    """The base32 secret a set-up page shows (in groups of four)."""
    match = _SECRET.search(html)
    assert match is not None, "the page shows no secret"
    return match.group(1).replace(" ", "")


def pending_of(html: str) -> str:
    match = _PENDING.search(html)
    assert match is not None, "the page has no set-up form"
    return match.group(1)


def form_token_of(html: str) -> str:
    match = _FORM_TOKEN.search(html)
    assert match is not None, "the page has no one-time form token"
    return match.group(1)


def code_at(secret: str, when: dt.datetime, *, steps: int = 0) -> str:
    """What an authenticator app shows at ``when``, ``steps`` time steps later."""
    return pyotp.TOTP(secret).at(when + dt.timedelta(seconds=30 * steps))


def enrol(client: TestClient, when: dt.datetime) -> str:
    """Set up the second factor of the signed-in person as they would; returns the secret."""
    form = client.get("/console/account/second-factor")
    assert form.status_code == 200, form.text
    secret = secret_of(form.text)
    answer = client.post(
        "/console/account/second-factor",
        data={
            "csrf_token": csrf_of(form.text),
            "pending": pending_of(form.text),
            "code": code_at(secret, when),
        },
        follow_redirects=False,
    )
    assert answer.status_code == 303, answer.text
    return secret


def send_code(client: TestClient, code: str, *, next_path: str = "/console/") -> Response:
    """Open the code step of a sign-in and send ``code``."""
    form = client.get("/console/second-factor", follow_redirects=False)
    assert form.status_code == 200, form.text
    return client.post(
        "/console/second-factor",
        data={"csrf_token": csrf_of(form.text), "code": code, "next": next_path},
        follow_redirects=False,
    )
