"""The verify page renderer: verdicts in both languages, escaping, accessibility basics."""

from __future__ import annotations

import datetime as dt
import re
from html.parser import HTMLParser
from importlib import resources

import pytest

from tests.verifier.kit import NOW, STATUS_INDEX, IssuerKit
from verifier.result import (
    Check,
    CheckCode,
    CredentialDisplay,
    CredentialStatus,
    StatusReport,
    VerificationResult,
)
from verifier.web.page import REASONS, VERDICTS, render_verify_page

_CSS = (resources.files("verifier.web") / "static" / "verify.css").read_text(encoding="utf-8")


class Outline(HTMLParser):
    """Collects tags, attributes and text to check structure without a browser."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def outline(html: str) -> Outline:
    parser = Outline()
    parser.feed(html)
    return parser


def result_with(status: CredentialStatus, **kwargs: object) -> VerificationResult:
    return VerificationResult(
        verified=status is CredentialStatus.VALID,
        status=status,
        checks=[Check(code=CheckCode.PARSE, passed=True)],
        problems=[],
        checked_at=NOW,
        **kwargs,
    )


@pytest.mark.parametrize("status", list(CredentialStatus))
def test_every_status_has_bilingual_verdict_with_symbol(status: CredentialStatus) -> None:
    html = render_verify_page(result_with(status))
    verdict = VERDICTS[status]
    assert verdict.zh in html
    assert verdict.en in html
    assert f'aria-hidden="true">{verdict.symbol}' in html


def test_page_structure_is_accessible() -> None:
    page = outline(render_verify_page(result_with(CredentialStatus.VALID), show_form=True))
    tags = [t for t, _ in page.tags]
    assert tags.count("h1") == 1
    assert "h2" in tags
    html_attrs = dict(page.tags)["html"]
    assert html_attrs["lang"] == "zh-CN"
    assert any(a.get("lang") == "en" for _, a in page.tags)
    viewport = [a for t, a in page.tags if t == "meta" and a.get("name") == "viewport"]
    assert viewport
    assert "width=device-width" in (viewport[0]["content"] or "")
    labels = [a.get("for") for t, a in page.tags if t == "label"]
    assert "credential" in labels
    assert not any(t in ("script", "style", "img", "iframe") for t in tags)
    # The only outside resource is the server's own stylesheet (no inline style: CSP).
    links = [a for t, a in page.tags if t == "link"]
    assert links == [{"rel": "stylesheet", "href": "/verify/verify.css"}]


def test_page_has_no_external_urls() -> None:
    html = render_verify_page(result_with(CredentialStatus.VALID), show_form=True)
    assert "http://" not in html
    assert "https://" not in html
    assert "@import" not in html


def test_page_escapes_everything() -> None:
    nasty = '<script>alert("x")</script>&'
    display = CredentialDisplay(
        holder_name=nasty, achievement_name=nasty, issuer_name=nasty, unit_name=nasty
    )
    html = render_verify_page(
        result_with(CredentialStatus.VALID, credential=display), show_form=True, submitted=nasty
    )
    assert "<script>" not in html
    assert "&lt;script&gt;" in html


def test_revoked_page_shows_reason_category() -> None:
    result = result_with(
        CredentialStatus.REVOKED, status_detail=StatusReport(reason="exam_misconduct")
    )
    html = render_verify_page(result)
    zh, en = REASONS["exam_misconduct"]
    assert zh in html
    assert en in html


def test_invalid_page_shows_reason_from_failed_check() -> None:
    kit = IssuerKit(base="https://stranger.test")
    result = IssuerKit().verifier().verify(kit.token())
    html = render_verify_page(result)
    assert "颁发机构不受信任" in html
    assert "Issuer not trusted" in html
    assert "张伟" not in html  # nothing from an unverified credential is shown


def test_valid_page_shows_holder_occupation_issuer_unit_dates_and_checked_at() -> None:
    kit = IssuerKit()
    result = kit.verifier().verify(
        kit.token(kit.credential(valid_until=NOW + dt.timedelta(days=700)))
    )
    text = " ".join(outline(render_verify_page(result)).text)
    for expected in (
        "张伟",
        "稀土冶炼工 三级",
        "稀土集团",
        "包头冶炼厂",
        "2026-11-20",
        "2028-10-27",
        "2026-11-27 20:00:00 北京时间（UTC+8）",
        "Checked at",
    ):
        assert expected in text


def test_revoked_credential_page() -> None:
    kit = IssuerKit()
    kit.revoked.add(STATUS_INDEX)
    html = render_verify_page(kit.verifier().verify(kit.token()))
    assert "已撤销" in html
    assert "Revoked" in html


def test_skipped_status_is_said_on_the_page() -> None:
    kit = IssuerKit()
    html = render_verify_page(kit.verifier(status=False).verify(kit.token()))
    assert "Revocation status not checked" in html


def _luminance(hex_colour: str) -> float:
    channels = [int(hex_colour[i : i + 2], 16) / 255 for i in (1, 3, 5)]
    linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def contrast(foreground: str, background: str) -> float:
    light, dark = sorted((_luminance(foreground), _luminance(background)), reverse=True)
    return (light + 0.05) / (dark + 0.05)


@pytest.mark.parametrize("tone", ["good", "bad", "warn"])
def test_verdict_colours_meet_wcag_aa_contrast(tone: str) -> None:
    rule = re.search(rf"\.{tone}\{{color:(#[0-9a-f]{{6}});background:(#[0-9a-f]{{6}})", _CSS)
    assert rule is not None
    assert contrast(rule.group(1), rule.group(2)) >= 4.5


def test_text_colours_meet_wcag_aa_contrast() -> None:
    for colour in re.findall(r"(?<!background:)color:(#[0-9a-f]{3,6})", _CSS):
        if colour == "#fff":
            continue  # the button's text, checked against the button below
        full = colour if len(colour) == 7 else "#" + "".join(ch * 2 for ch in colour[1:])
        assert contrast(full, "#ffffff") >= 4.5, colour
    assert contrast("#ffffff", "#1d4ed8") >= 4.5  # the button
