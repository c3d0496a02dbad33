"""The verify page in each language: English shows no Chinese and Chinese no English, apart
from the credential's own values, the names of standards and the language switch; times are
in the issuer's time zone with the zone named; the packed-link page carries its words."""

from __future__ import annotations

import datetime as dt
import json
import re
from html.parser import HTMLParser
from zoneinfo import ZoneInfo

import httpx
import pytest
from fastapi.testclient import TestClient

from tests.verifier.kit import NOW, STATUS_INDEX, FakeIssuerServer, IssuerKit
from verifier.i18n import Lang
from verifier.local_time import UnknownTimeZoneError, local_date, say_moment, time_zone
from verifier.result import (
    Check,
    CheckCode,
    CredentialStatus,
    StatusReport,
    VerificationResult,
)
from verifier.settings import VerifierSettings
from verifier.web.app import create_app
from verifier.web.page import render_packed_page, render_verify_page

CJK = re.compile(r"[\u3000-\u303f\u3400-\u9fff\uff00-\uffef]")
ENGLISH_WORD = re.compile(r"[A-Za-z]{2,}")
# Names of standards, formats and units a Chinese page writes as they are.
NAMES = ("JSON", "SD-JWT", "JWT", "JWS", "VCDM", "vc/vp", "PDF", "CSV", "QR", "UTC", "JavaScript")


class Reader(HTMLParser):
    """The text a person reads: not the language switch, the footer or the page's data."""

    SKIPPED = ("nav", "footer", "script", "title")

    def __init__(self) -> None:
        super().__init__()
        self.depth = 0
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:  # noqa: ARG002
        if tag in self.SKIPPED:
            self.depth += 1

    def handle_endtag(self, tag: str) -> None:
        if tag in self.SKIPPED and self.depth:
            self.depth -= 1

    def handle_data(self, data: str) -> None:
        if not self.depth:
            self.text.append(data)


def read(html: str, result: VerificationResult) -> str:
    reader = Reader()
    reader.feed(html)
    text = " ".join(reader.text)
    shown = list(result.credential.model_dump().values()) if result.credential else []
    if result.status_detail is not None:
        shown.append(result.status_detail.superseded_by)
    for value in sorted((v for v in shown if isinstance(v, str)), key=len, reverse=True):
        text = text.replace(value, " ")
    return text


def results() -> list[VerificationResult]:
    """A genuine credential in force and in each other state, and every failure kind."""
    kit = IssuerKit()
    valid = kit.verifier().verify(
        kit.token(kit.credential(valid_until=NOW + dt.timedelta(days=700)))
    )
    kit.revoked.add(STATUS_INDEX)
    revoked = kit.verifier().verify(kit.token())
    revoked = revoked.model_copy(
        update={
            "status_detail": StatusReport(
                reason="exam_misconduct",
                changed_at=NOW - dt.timedelta(days=1),
                superseded_by="https://issuer.test/v/new",
            )
        }
    )
    untrusted = IssuerKit().verifier().verify(IssuerKit(base="https://stranger.test").token())
    others = [
        VerificationResult(
            verified=False,
            status=status,
            checks=[
                Check(code=CheckCode.PARSE, passed=True),
                Check(code=CheckCode.STATUS, passed=False, skipped=True),
            ],
            problems=[],
            checked_at=NOW,
            credential=valid.credential if status.genuine else None,
        )
        for status in CredentialStatus
    ]
    return [valid, revoked, untrusted, *others]


@pytest.mark.parametrize("result", results(), ids=lambda r: r.status.value)
def test_english_page_has_no_chinese_outside_the_credentials_values(
    result: VerificationResult,
) -> None:
    html = render_verify_page(result, lang=Lang.EN, page_path="/v/x", show_form=True)
    assert '<html lang="en"' in html
    text = read(html, result)
    assert not CJK.search(text), CJK.findall(text)


@pytest.mark.parametrize("result", results(), ids=lambda r: r.status.value)
def test_chinese_page_has_no_english_outside_values_and_names(result: VerificationResult) -> None:
    html = render_verify_page(result, lang=Lang.ZH, page_path="/v/x", show_form=True)
    assert '<html lang="zh-CN"' in html
    text = read(html, result)
    for name in NAMES:
        text = text.replace(name, " ")
    assert ENGLISH_WORD.findall(text) == []
    assert 'lang="en"' not in html.split("</nav>", 1)[1]


def test_both_languages_is_the_default_and_the_page_explains() -> None:
    valid = results()[0]
    html = render_verify_page(valid)
    for words in (
        "签名有效：证书内容未被改动",
        "Signature valid: the certificate has not been altered",
        "有效期至 2028-10-27",
        "Valid until 2028-10-27",
        "请核对姓名与持证人身份证件一致",
        "Compare the name with the person&#x27;s ID card",
        "National occupational standard, senior level.",
        "Passed the theory and practical exams.",
    ):
        assert words in html, words
    # The internal fields wait in a collapsed details; the language links need a path.
    internal = html.split('<details class="internal">', 1)[1].split("</details>", 1)[0]
    assert valid.credential is not None
    assert valid.credential.key_id
    assert valid.credential.key_id in internal
    assert "https://issuer.test" in internal
    assert valid.credential.key_id not in html.replace(internal, "")
    assert "<details open" not in html
    assert 'class="langs"' not in html


def test_a_credential_without_an_end_has_no_expiry() -> None:
    kit = IssuerKit()
    html = render_verify_page(kit.verifier().verify(kit.token()), lang=Lang.EN)
    assert "<p>No expiry</p>" in html
    assert "长期有效" in render_verify_page(kit.verifier().verify(kit.token()), lang=Lang.ZH)


def test_times_are_in_the_issuers_zone_with_the_zone_named() -> None:
    moment = dt.datetime(2026, 11, 20, 16, 30, tzinfo=dt.UTC)
    beijing = ZoneInfo("Asia/Shanghai")
    assert say_moment(moment, beijing, Lang.ZH) == "2026-11-21 00:30:00 北京时间（UTC+8）"
    assert say_moment(moment, beijing, Lang.EN) == "2026-11-21 00:30:00 Beijing time (UTC+8)"
    kolkata = ZoneInfo("Asia/Kolkata")
    assert (
        say_moment(moment, kolkata, Lang.EN) == "2026-11-20 22:00:00 Asia/Kolkata time (UTC+5:30)"
    )
    new_york = ZoneInfo("America/New_York")
    assert say_moment(moment, new_york, Lang.EN).endswith("(UTC-5)")
    # A validUntil at the end of a Beijing day is that day, not the UTC one.
    assert local_date("2028-10-27T15:59:59Z", beijing) == "2028-10-27"
    assert local_date("2028-10-27T16:00:00Z", beijing) == "2028-10-28"
    assert local_date("2026-11-20", beijing) == "2026-11-20"
    assert local_date("not a date at all", beijing) == "not a date"
    with pytest.raises(UnknownTimeZoneError):
        time_zone("Mars/Olympus")


def test_the_standalone_verifier_shows_times_in_its_configured_zone() -> None:
    kit = IssuerKit()
    token = kit.token()
    with pytest.raises(ValueError, match="Mars/Olympus"):
        VerifierSettings(trusted_issuers=[kit.base], verifier_time_zone="Mars/Olympus")
    settings = VerifierSettings(trusted_issuers=[kit.base], verifier_time_zone="Europe/Berlin")
    app = create_app(settings, transport=httpx.MockTransport(FakeIssuerServer(kit).handler))
    with TestClient(app) as client:
        page = client.post("/verify?lang=en", data={"credential": token})
        assert page.status_code == 200
        assert "Europe/Berlin time (UTC+1)" in page.text
        assert "Beijing" not in page.text
        chosen = client.get("/verify", headers={"Accept-Language": "zh-CN,zh;q=0.9"})
        assert '<html lang="zh-CN"' in chosen.text
        assert "Paste a credential" not in chosen.text
        assert chosen.headers["vary"] == "Accept-Language"


@pytest.mark.parametrize("lang", list(Lang))
def test_the_packed_link_page_carries_its_words_in_its_language(lang: Lang) -> None:
    html = render_packed_page(lang, "Asia/Shanghai")
    block = html.split('<script type="application/json" id="words">', 1)[1].split("</script>")[0]
    words = json.loads(block)
    assert (words["lang"], words["time_zone"]) == (lang.value, "Asia/Shanghai")
    signature = words["words"]["check.signature.passed"]
    expected = {
        Lang.BOTH: [
            "签名有效：证书内容未被改动",
            "Signature valid: the certificate has not been altered",
        ],
        Lang.ZH: ["签名有效：证书内容未被改动"],
        Lang.EN: ["Signature valid: the certificate has not been altered"],
    }
    assert signature == expected[lang]
    assert "<" not in block
