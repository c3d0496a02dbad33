"""The accessibility checks themselves: they find what they are for, under the strict CSP.

Small pages, served through Playwright's routing with Tessera's own Content-Security-Policy,
each break one rule: ``assert_accessible`` names the serious and critical violations and lets
lesser ones pass; ``check_focus_visible`` names a control with no focus indicator, one whose
indicator has too little contrast, and one the Tab key cannot reach. The vendored axe-core
is the file its PROVENANCE.md records.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterator
from typing import TYPE_CHECKING

import pytest

from tests.accessibility import (
    AXE_SCRIPT,
    assert_accessible,
    axe_violations,
    check_focus_visible,
    contrast_ratio,
)
from tests.browser import CHROMIUM, CHROMIUM_ARGS, require_chromium
from verifier.web.security_headers import CONTENT_SECURITY_POLICY

if TYPE_CHECKING:
    from playwright.sync_api import Page, Route

SITE = "http://tessera.test"
VENDORED = AXE_SCRIPT.parent
HEAD = '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>Test page</title>'


def test_vendored_axe_core_matches_the_digests_and_version_in_its_provenance() -> None:
    provenance = (VENDORED / "PROVENANCE.md").read_text("utf-8")
    recorded = dict(re.findall(r"^\| `([^`]+)` \| `([0-9a-f]{64})` \|$", provenance, re.MULTILINE))
    present = {path.name for path in VENDORED.iterdir()} - {"PROVENANCE.md"}
    assert set(recorded) == present
    for name, digest in recorded.items():
        assert hashlib.sha256((VENDORED / name).read_bytes()).hexdigest() == digest, name
    assert "/package/axe-core) **4.14.1**" in provenance
    assert AXE_SCRIPT.read_text("utf-8").startswith("/*! axe v4.14.1\n")


def test_contrast_ratio_is_wcag_2() -> None:
    assert contrast_ratio((0, 0, 0), (255, 255, 255)) == pytest.approx(21)
    assert contrast_ratio((255, 255, 255), (255, 255, 255)) == pytest.approx(1)
    assert contrast_ratio((0x76, 0x76, 0x76), (255, 255, 255)) == pytest.approx(4.54, abs=0.01)


@pytest.fixture
def site() -> Iterator[tuple[Page, dict[str, str]]]:
    """A browser tab whose requests to ``SITE`` get the pages in the dict (path: body), HTML
    with Tessera's CSP, ``.css`` as stylesheets."""
    require_chromium()
    from playwright.sync_api import sync_playwright

    pages: dict[str, str] = {}

    def serve(route: Route) -> None:
        path = route.request.url.removeprefix(SITE)
        if path not in pages:
            route.fulfill(status=404, body="")
        elif path.endswith(".css"):
            route.fulfill(body=pages[path], content_type="text/css")
        else:
            headers = {"Content-Security-Policy": CONTENT_SECURITY_POLICY}
            route.fulfill(body=pages[path], content_type="text/html", headers=headers)

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            page = browser.new_page()
            page.route(f"{SITE}/**", serve)
            yield page, pages
        finally:
            browser.close()


def _open(site: tuple[Page, dict[str, str]], body: str, css: str = "") -> Page:
    page, pages = site
    pages["/page.css"] = css
    pages["/"] = f'{HEAD}<link rel="stylesheet" href="/page.css"></head><body>{body}</body></html>'
    page.goto(f"{SITE}/")
    return page


@pytest.mark.browser
def test_serious_and_critical_violations_fail_and_are_each_named(
    site: tuple[Page, dict[str, str]],
) -> None:
    page, pages = site
    pages["/page.css"] = ".faint{color:#bbb}"
    pages["/"] = (
        '<!DOCTYPE html><html><head><meta charset="utf-8"><title>Bad page</title>'
        '<link rel="stylesheet" href="/page.css"></head><body><main><h1>Bad</h1>'
        '<p class="faint">Grey on white</p><img src="/nothing.png"><a href="/x"></a>'
        "<script>window.inlineRan = true</script></main></body></html>"
    )
    messages: list[str] = []
    page.on("console", lambda message: messages.append(message.text))
    page.goto(f"{SITE}/")
    with pytest.raises(AssertionError) as failed:
        assert_accessible(page, name="bad page")
    report = str(failed.value)
    assert report.startswith("bad page: 4 accessibility violation(s)")
    assert "html-has-lang (serious): <html> element must have a lang attribute at html" in report
    assert "color-contrast (serious): Elements must meet minimum color contrast" in report
    assert "image-alt (critical): Images must have alternative text at img" in report
    assert "link-name (serious): Links must have discernible text at a" in report
    # The page's CSP is in force (its inline script was refused), and axe tripped it not.
    assert page.evaluate("() => window.inlineRan") is None
    refused = [m for m in messages if "Content Security Policy" in m]
    assert len(refused) == 1
    assert "inline script" in refused[0]


@pytest.mark.browser
def test_moderate_violations_and_excluded_parts_do_not_fail(
    site: tuple[Page, dict[str, str]],
) -> None:
    # No main landmark (moderate); an image without alt text in the excluded widget.
    page = _open(site, '<h1>Fine</h1><p>Text</p><div id="widget"><img src="/x.png"></div>')
    found = {v.id: v.impact for v in axe_violations(page)}
    assert found["landmark-one-main"] == "moderate"
    assert found["image-alt"] == "critical"
    assert_accessible(page, name="fine page", exclude=("#widget",))
    with pytest.raises(AssertionError, match="image-alt"):
        assert_accessible(page, name="fine page")


@pytest.mark.browser
def test_focus_indicators_of_enough_contrast_pass(site: tuple[Page, dict[str, str]]) -> None:
    page = _open(
        site,
        '<main><h1>Focus</h1><a href="/a">Outline</a> <button>Shadow</button>'
        '<p class="dark"><a href="/b">On blue</a></p></main>',
        "a:focus{outline:3px solid #b45309;outline-offset:2px}"
        "button:focus{outline:none;box-shadow:0 0 0 3px #1d4ed8}"
        ".dark{background:#1d4ed8;padding:1rem}.dark a{color:#fff}"
        ".dark a:focus{outline:3px solid #fff}",
    )
    stops = check_focus_visible(page)
    assert [stop.element for stop in stops] == ['a "Outline"', 'button "Shadow"', 'a "On blue"']
    ratios = [stop.contrast for stop in stops]
    assert ratios == [pytest.approx(5.02, abs=0.01), pytest.approx(6.70, abs=0.01), ratios[2]]
    assert ratios[2] == pytest.approx(6.70, abs=0.01)  # white on the blue paragraph


@pytest.mark.browser
@pytest.mark.parametrize(
    ("css", "expected"),
    [
        ("a:focus{outline:none}", '1. a "Link": no visible focus indicator'),
        (
            "a:focus{outline:3px solid #f59e0b}",
            '1. a "Link": focus indicator contrast 2.15:1 (outline solid 3px rgb(245, 158, 11))',
        ),
        (
            "a:focus{outline:none;box-shadow:0 0 0 2px rgba(29,78,216,.2)}",
            '1. a "Link": focus indicator contrast 1.37:1',
        ),
    ],
)
def test_a_missing_or_faint_focus_indicator_fails(
    site: tuple[Page, dict[str, str]], css: str, expected: str
) -> None:
    page = _open(site, '<main><h1>Focus</h1><a href="/a">Link</a></main>', css)
    with pytest.raises(AssertionError) as failed:
        check_focus_visible(page)
    assert expected in str(failed.value)


@pytest.mark.browser
def test_a_control_the_tab_key_skips_fails(site: tuple[Page, dict[str, str]]) -> None:
    page = _open(
        site,
        '<main><h1>Focus</h1><a href="/a">Link</a><button tabindex="-1">Unreachable</button>'
        "</main>",
        "a:focus{outline:3px solid #1d4ed8}",
    )
    with pytest.raises(AssertionError, match="Tab reached 1 elements, the page has 2"):
        check_focus_visible(page)
