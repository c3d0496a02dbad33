"""A holder passes their credential on from a phone and a desktop (Chromium, 390 and 1280 px).

On the holder's own share page: the OpenGraph, Twitter and schema.org preview tags name the
occupation and level, the issuer and certificate number, and a 1200 x 630 picture that is
also the page's first image (WeChat's browser takes that one). The holder makes a view link
that works for one day; its QR code, as drawn, decodes to its address; "copy link" puts the
address on the clipboard, and where there is no clipboard it selects the address and says
so. An employer opens the view link (no controls; the holder's page then counts one
opening), the holder revokes it, and the employer's next visit answers 410. No page breaks
the strict CSP or scrolls sideways, and both pass the accessibility checks of decision 0039.
"""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from PIL import Image

from issuer.services import Services
from tests.accessibility import PageChecks
from tests.browser import CHROMIUM, CHROMIUM_ARGS, decode_qr, require_chromium
from tests.issuer.helpers import issue_body, load_catalog
from verifier.i18n import Lang, say

pytestmark = pytest.mark.browser

WIDTHS = [390, 1280]  # a phone, a desktop screen
# A phone set to Chinese that also reads English: the page shows both languages.
LANGUAGES = {"Accept-Language": "zh-CN,zh;q=0.9,en;q=0.8"}
NO_CLIPBOARD = "Object.defineProperty(navigator, 'clipboard', {value: undefined});"


@pytest.mark.parametrize("width", WIDTHS)
def test_holder_shares_through_a_view_link_with_preview_tags_qr_and_copy(
    live_server: tuple[str, TestClient],
    services: Services,
    admin_headers: dict[str, str],
    tmp_path: Path,
    width: int,
) -> None:
    require_chromium()
    from playwright.sync_api import sync_playwright

    base, client = live_server
    load_catalog(services)
    issued = client.post("/api/v1/credentials", json=issue_body(), headers=admin_headers).json()
    made = client.post(f"/api/v1/credentials/{issued['id']}/share-links", headers=admin_headers)
    holder = made.json()["url"]
    assert holder.startswith(f"{base}/s/")
    viewport = {"width": width, "height": 900}
    messages: list[str] = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            context = browser.new_context(
                viewport=viewport,  # type: ignore[arg-type]
                extra_http_headers=LANGUAGES,
                permissions=["clipboard-read", "clipboard-write"],
            )
            page = context.new_page()
            page.on("console", lambda message: messages.append(message.text))
            assert page.goto(holder).status == 200  # type: ignore[union-attr]

            def meta(selector: str) -> str | None:
                return page.locator(f"meta[{selector}]").get_attribute("content")

            assert meta('property="og:title"') == (
                "稀土湿法冶炼工 · 高级工 / Rare Earth Hydrometallurgy Operator · Senior"
            )
            description = meta('property="og:description"') or ""
            assert issued["number"] in description
            assert "证书编号" in description
            assert meta('property="og:url"') == holder
            assert meta('property="og:type"') == "website"
            assert meta('property="og:site_name"')
            image = meta('property="og:image"')
            assert image == f"{holder}/preview.png"
            assert meta('itemprop="image"') == image
            assert meta('itemprop="name"') == meta('property="og:title"')
            assert meta('itemprop="description"') == description
            assert meta('name="description"') == description
            assert meta('name="twitter:card"') == "summary_large_image"
            assert meta('name="robots"') == "noindex"
            picture = page.request.get(image)
            assert picture.status == 200
            assert Image.open(io.BytesIO(picture.body())).size == (1200, 630)
            first = page.evaluate(
                "() => [document.images[0].currentSrc, document.images[0].naturalWidth]"
            )
            assert first == [image, 1200]

            # Make a view link that works for a day.
            page.select_option("#lifetime", "1d")
            page.get_by_role("button", name=say("share.links.make", Lang.BOTH, sep=" ")).click()
            page.wait_for_url("**made=*")
            item = page.locator("li.view-link").first
            assert item.get_attribute("data-state") == "live"
            holder_checks = PageChecks(page)
            holder_checks.check("holder's page with a view link")
            assert say("share.lifetime.1d", Lang.EN) not in item.inner_text()  # a time, shown
            address = item.locator("input.address").input_value()
            assert address.startswith(f"{base}/s/")
            assert address != holder
            qr = item.locator("figure.qr img")
            qr.wait_for()
            assert decode_qr(qr.screenshot()) == address
            item.get_by_role("button", name=say("share.copy.button", Lang.BOTH, sep=" ")).click()
            copied = item.locator("p.copied")
            copied.filter(has_text="Link copied.").wait_for()
            assert page.evaluate("() => navigator.clipboard.readText()") == address
            width_used = page.evaluate("() => document.documentElement.scrollWidth")
            assert width_used <= width
            page.screenshot(path=str(tmp_path / f"holder-{width}.png"), full_page=True)

            # Without a clipboard, the address is selected and the page says to copy it.
            bare = browser.new_context(viewport=viewport, extra_http_headers=LANGUAGES)  # type: ignore[arg-type]
            bare.add_init_script(NO_CLIPBOARD)
            fallback = bare.new_page()
            fallback.goto(page.url)
            button = fallback.locator("li.view-link").first.locator("button.copy-link")
            button.click()
            fallback.locator("p.copied", has_text="Could not copy").first.wait_for()
            selected = fallback.evaluate(
                "() => { const e = document.activeElement;"
                " return [e.className, e.selectionStart, e.selectionEnd, e.value.length]; }"
            )
            assert selected == ["address", 0, len(address), len(address)]
            bare.close()

            # The employer (a browser in English) opens the view link: the credential, its own
            # QR code, no controls.
            employer = browser.new_context(viewport=viewport)  # type: ignore[arg-type]
            visit = employer.new_page()
            visit.on("console", lambda message: messages.append(message.text))
            assert visit.goto(address).status == 200  # type: ignore[union-attr]
            assert visit.locator("form").count() == 0
            assert visit.locator("a[href*='linkedin']").count() == 0
            assert "王小明" in visit.locator("dl").inner_text()
            assert decode_qr(visit.locator("figure.qr img").screenshot()) == address
            assert visit.evaluate("() => document.documentElement.scrollWidth") <= width
            view_checks = PageChecks(visit)
            view_checks.check("view link's page")
            visit.screenshot(path=str(tmp_path / f"view-{width}.png"), full_page=True)

            page.reload()
            item = page.locator("li.view-link").first
            assert item.locator(".opens").inner_text() == "1"
            item.get_by_role("button", name=say("share.links.revoke", Lang.BOTH, sep=" ")).click()
            page.wait_for_url("**revoked=1*")
            assert page.locator("li.view-link").first.get_attribute("data-state") == "revoked"
            assert page.locator("li.view-link input.address").count() == 0

            gone = visit.goto(address)
            assert gone is not None
            assert gone.status == 410
            # The employer's browser asks for English only, and gets it.
            assert visit.locator("h1").inner_text() == "This share link has been revoked"
            employer.close()
            context.close()
        finally:
            browser.close()
    # axe-core's rules and the keyboard walk (decision 0039) on both pages.
    failures = holder_checks.failures + view_checks.failures
    assert failures == [], "\n".join(failures)
    refused = [m for m in messages if "Content Security Policy" in m or "Refused" in m]
    assert refused == [], refused
