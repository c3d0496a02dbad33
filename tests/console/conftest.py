"""Console fixtures: an app whose clock the test moves (session time-outs, lock-outs)."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from playwright.sync_api import Browser, sync_playwright

from issuer.app import create_app
from issuer.config import Settings
from issuer.services import Services
from tests.browser import CHROMIUM, CHROMIUM_ARGS, require_chromium
from tests.console.helpers import Clock


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
