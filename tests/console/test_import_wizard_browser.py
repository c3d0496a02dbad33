"""The import wizard in Chromium: a registrar uploads the sample campaign, reads the dry run,
confirms, watches the progress bar fill, builds the bundle and downloads it."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from playwright.sync_api import Browser, Page

from issuer.services import Services
from tests.accessibility import assert_accessible, check_focus_visible
from tests.console.helpers import DESKTOP, PHONE, browser_sign_in, make_user, screenshot
from tests.issuer.helpers import load_catalog

pytestmark = pytest.mark.browser

SAMPLE = Path(__file__).resolve().parents[2] / "docs" / "samples" / "campaign-sample.csv"
# Every unit of the sample's passed rows: this registrar may issue all twelve.
SAMPLE_UNITS = ["U02", "U05", "U07", "U09", "U10", "U11", "U12", "U15", "U16"]
EMAIL = "registrar@example.com"


def _fits(page: Page, width: int) -> None:
    assert page.evaluate("() => document.documentElement.scrollWidth") <= width


def test_a_registrar_imports_the_sample_campaign_in_the_browser(
    live_server: tuple[str, TestClient], services: Services, browser: Browser, tmp_path: Path
) -> None:
    base, _client = live_server
    load_catalog(services)
    make_user(services, EMAIL, "registrar", SAMPLE_UNITS, name="李娜")
    messages: list[str] = []
    context = browser.new_context(viewport=DESKTOP, accept_downloads=True)
    page = context.new_page()
    page.on("console", lambda message: messages.append(message.text))
    browser_sign_in(page, base, EMAIL)

    page.goto(f"{base}/console/imports")
    page.get_by_label("结果文件").set_input_files(str(SAMPLE))
    page.get_by_role("button", name="检查文件（试运行） Check the file (dry run)").click()
    page.wait_for_url(f"{base}/console/imports/*")
    assert page.get_by_role("heading", name="试运行报告 Dry-run report").is_visible()
    assert page.locator("#count-ok").inner_text() == "12"
    assert page.locator("#count-not-passed").inner_text() == "2"
    assert page.get_by_text("任俊峰").is_visible()  # the holder, from the file
    dry_run_url = page.url
    screenshot(page, "console-import-dry-run", tmp_path)

    page.get_by_role("button", name="确认并签发 Confirm and issue").click()
    page.wait_for_url("**/console/imports/*?done=confirmed")
    progress_url = page.url.split("?")[0]
    # The bar reaches 100% (by the script's polling, or at once if the import was quicker).
    page.wait_for_function("() => document.getElementById('bar').value === 100")
    page.wait_for_selector("#bundle-heading")
    assert page.locator("#count-issued").inner_text() == "12"
    screenshot(page, "console-import-progress", tmp_path)

    page.get_by_role("button", name="生成下载包 Build the bundle").click()
    link = page.get_by_role("link", name="下载下载包（zip） Download the bundle (zip)")
    link.wait_for(timeout=120_000)  # the script reloads the page when the bundle is ready
    with page.expect_download() as event:
        link.click()
    saved = tmp_path / "bundle.zip"
    event.value.save_as(saved)
    with zipfile.ZipFile(saved) as archive:
        names = archive.namelist()
        pdfs = [n for n in names if n.endswith(".pdf")]
        assert len(pdfs) == 12
        assert all(archive.read(n).startswith(b"%PDF-") for n in pdfs)
        assert "manifest.csv" in names

    pages = {"imports": f"{base}/console/imports", "dry run": dry_run_url}
    pages["import"] = progress_url
    for viewport in (PHONE, DESKTOP):
        page.set_viewport_size(viewport)
        for name, url in pages.items():
            page.goto(url)
            _fits(page, viewport["width"])
            assert_accessible(page, name=f"{name} at {viewport['width']} px")
            check_focus_visible(page)
    context.close()
    refused = [m for m in messages if "Content Security Policy" in m or "Refused" in m]
    assert refused == []
