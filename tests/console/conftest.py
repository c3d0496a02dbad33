"""Console fixtures: an app whose clock the test moves (session time-outs, lock-outs)."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from playwright.sync_api import Browser, sync_playwright

from issuer.app import create_app
from issuer.config import Settings
from issuer.services import Services
from tests.browser import CHROMIUM, CHROMIUM_ARGS, require_chromium
from tests.console.helpers import Clock
from tests.console.sso_provider import (
    CALLBACK_PATH,
    install_provider,
    running_provider,
    sso_settings,
)
from tests.helpers import BASE_URL
from tests.servers import free_port, in_process_server


@pytest.fixture
def clock(services: Services) -> Clock:
    return Clock(services.clock())


@pytest.fixture
def timed_services(services: Services, clock: Clock) -> Services:
    return dataclasses.replace(services, clock=clock)


@pytest.fixture
def console(settings: Settings, timed_services: Services) -> Iterator[TestClient]:
    """The app on the test's clock, with a browser-like client (cookies kept)."""
    with TestClient(create_app(settings, services=timed_services)) as client:
        yield client


@pytest.fixture
def browser() -> Iterator[Browser]:
    """Debian's Chromium, headless, through Playwright (tests/browser.py)."""
    require_chromium()
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield launched
        finally:
            launched.close()


@pytest.fixture(scope="session")
def oidc_provider_dir() -> Path:
    """node-oidc-provider installed (``npm ci``, once) for the single sign-on tests."""
    return install_provider()


@pytest.fixture(scope="session")
def oidc_provider(
    oidc_provider_dir: Path,  # noqa: ARG001 (installs it)
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[str]:
    """A real provider (ES256 ID tokens) for the test session, sending people back to the
    issuer's address (``BASE_URL``); its issuer URL."""
    log = tmp_path_factory.mktemp("oidc") / "provider.log"
    redirect_uri = f"{BASE_URL}{CALLBACK_PATH}"
    with running_provider(free_port(), redirect_uri, log, algorithm="ES256") as issuer:
        yield issuer


@pytest.fixture
def sso_console(
    settings: Settings, timed_services: Services, oidc_provider: str
) -> Iterator[tuple[TestClient, str]]:
    """The app on the test's clock with single sign-on through ``oidc_provider``:
    (client, the provider's issuer URL)."""
    sso = sso_settings(settings, oidc_provider)
    served = dataclasses.replace(timed_services, settings=sso)
    with TestClient(create_app(sso, services=served)) as client:
        yield client, oidc_provider


@pytest.fixture
def sso_live_server(
    settings: Settings,
    services: Services,  # noqa: ARG001 (migrates the database, creates the signing key)
    oidc_provider_dir: Path,  # noqa: ARG001 (installs it)
    tmp_path: Path,
) -> Iterator[tuple[str, TestClient]]:
    """``live_server`` with single sign-on through a real provider (RS256 ID tokens) at
    ``localhost``: another site than the console's 127.0.0.1, as a real provider is."""
    port = free_port()
    sso = sso_settings(settings, f"http://localhost:{port}")
    log = tmp_path / "provider.log"
    with (
        in_process_server(sso) as (base, client),
        running_provider(port, f"{base}{CALLBACK_PATH}", log, host="localhost"),
    ):
        yield base, client
