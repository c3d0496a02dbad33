"""A real OpenID Connect provider for the single sign-on tests, and a way through its pages.

The provider is node-oidc-provider (pinned in tests/console/oidc_provider/package.json),
started by ``running_provider`` as its own process on a loopback port. Its development login
page accepts any login name with any password; the names in ``provider.mjs`` have claims.
"""

from __future__ import annotations

import contextlib
import os
import re
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urljoin, urlsplit

import httpx
from pydantic import SecretStr

from issuer.config import Settings
from tests.node_packages import npm_installed

PROVIDER_DIR = Path(__file__).resolve().parent / "oidc_provider"
CLIENT_ID = "tessera-console"
CLIENT_SECRET = "a client secret for the tests only"
LABEL = "Company sign-in"
CALLBACK_PATH = "/console/sso/callback"
# Login names provider.mjs knows: a verified registrar@example.com, the same address not
# verified, and a verified address no console user has.
REGISTRAR = "registrar"
UNVERIFIED = "unverified"
STRANGER = "stranger"
REGISTRAR_EMAIL = "registrar@example.com"
_FORM_ACTION = re.compile(r'<form[^>]*action="([^"]+)"')


def install_provider() -> Path:
    """``npm ci`` once (node_modules stays, ignored by git); one test process at a time."""
    return npm_installed(PROVIDER_DIR, "single sign-on")


def sso_settings(settings: Settings, issuer: str) -> Settings:
    """``settings`` with single sign-on through ``issuer`` as the tests' client."""
    return settings.model_copy(
        update={
            "oidc_issuer": issuer,
            "oidc_client_id": CLIENT_ID,
            "oidc_client_secret": SecretStr(CLIENT_SECRET),
            "oidc_label": LABEL,
        }
    )


@contextlib.contextmanager
def running_provider(
    port: int, redirect_uri: str, log: Path, *, algorithm: str = "RS256", host: str = "127.0.0.1"
) -> Iterator[str]:
    """The provider on ``port``, sending people back to ``redirect_uri``; its issuer URL,
    at ``host`` (``localhost`` makes it another site than the console on 127.0.0.1)."""
    issuer = f"http://{host}:{port}"
    env = {
        **os.environ,
        "PORT": str(port),
        "REDIRECT_URI": redirect_uri,
        "CLIENT_ID": CLIENT_ID,
        "CLIENT_SECRET": CLIENT_SECRET,
        "ID_TOKEN_ALG": algorithm,
        "ISSUER_HOST": host,
    }
    with log.open("wb") as sink:
        process = subprocess.Popen(
            ["node", "provider.mjs"],
            cwd=PROVIDER_DIR,
            env=env,
            stdout=sink,
            stderr=subprocess.STDOUT,
        )
    try:
        deadline = time.monotonic() + 30
        while True:
            if process.poll() is not None or time.monotonic() > deadline:
                raise AssertionError(f"the provider did not start: {log.read_text()[-2000:]}")
            try:
                discovery = f"http://127.0.0.1:{port}/.well-known/openid-configuration"
                if httpx.get(discovery).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        yield issuer
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)


def provider_sign_in(authorize_url: str, login: str) -> str:
    """Through the provider's login page as a browser would (any password does); the
    callback URL, with its code and state, that the provider sends the browser back to."""
    with httpx.Client(follow_redirects=False, timeout=10) as browser:
        url = authorize_url
        for _step in range(10):
            answer = browser.get(url)
            if answer.status_code == 200:
                match = _FORM_ACTION.search(answer.text)
                assert match is not None, "the provider showed no login form"
                action = urljoin(url, match.group(1))
                answer = browser.post(
                    action, data={"prompt": "login", "login": login, "password": "any"}
                )
                url = action
            assert answer.status_code in (302, 303), answer.text[:500]
            url = urljoin(url, answer.headers["location"])
            if urlsplit(url).path == CALLBACK_PATH:
                return url
    raise AssertionError("the provider did not send the browser back")


def local(url: str) -> str:
    """The path and query of ``url``, for the test client of the app."""
    parts = urlsplit(url)
    return f"{parts.path}?{parts.query}" if parts.query else parts.path
