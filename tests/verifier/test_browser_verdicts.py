"""Every verdict on the verify page, in a real browser at phone (390 px) and desktop width.

One standalone verifier app (uvicorn on a free localhost port) and one Chromium serve every
case. Its HTTP sources reach two fake issuers through ``httpx.MockTransport``: one that
answers (keys, revocation and suspension lists, status details, a verify link that names no
credential) and one that is down, so nothing leaves the machine.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest

from tests.browser import BOTH_LANGUAGES, CHROMIUM, CHROMIUM_ARGS, require_chromium
from tests.servers import serving
from tests.verifier.kit import FakeIssuerServer, IssuerKit, sign
from verifier.result import CredentialStatus
from verifier.settings import VerifierSettings
from verifier.web.app import create_app
from verifier.web.page import VERDICTS

pytestmark = pytest.mark.browser

DOWN = "https://down.test"
REVOKED, SUSPENDED, SUPERSEDED = 2_002, 3_003, 4_004
CHANGED_AT = "2026-11-20T09:30:00Z"
MISSING = "00000000-0000-4000-8000-000000000000"
WIDTHS = {"phone": 390, "desktop": 1280}
SUCCESSOR = "https://issuer.test/v/1b4e28ba-2fa1-41d2-883f-0016d3cca427"


class LifecycleIssuer(FakeIssuerServer):
    """The kit's issuer, also publishing a suspension twin and per-credential status detail;
    a verify link under it names no credential."""

    def __init__(self, kit: IssuerKit) -> None:
        super().__init__(kit)
        self.details: dict[str, dict[str, Any]] = {}

    def handler(self, request: httpx.Request) -> httpx.Response:
        path = request.url.path
        if request.url.host == "down.test":
            return httpx.Response(503)
        if path.startswith("/status/") and path.endswith("/suspension"):
            list_no, url = int(path.split("/")[2]), str(request.url)
            twin = self.kit.status_list_payload(list_no, purpose="suspension", id=url, jti=url)
            token = sign(twin, self.kit.key)
            return httpx.Response(200, text=token, headers={"content-type": "application/vc+jwt"})
        if path.startswith("/credentials/") and path.endswith("/status"):
            detail = self.details.get(path.split("/")[2])
            return httpx.Response(200, json=detail) if detail else httpx.Response(404)
        if path.startswith("/v/"):
            return httpx.Response(404)
        return super().handler(request)


def _token(kit: IssuerKit, issuer: LifecycleIssuer, index: int, **detail: Any) -> str:
    payload = kit.credential(index=index)
    if detail:
        uuid = payload["id"].removeprefix("urn:uuid:")
        issuer.details[uuid] = {"id": payload["id"], "changed_at": CHANGED_AT, **detail}
    return kit.token(payload)


def _submissions(kit: IssuerKit, issuer: LifecycleIssuer) -> dict[CredentialStatus, str]:
    valid = kit.token(kit.credential(index=1_001))
    head, signature = valid.rsplit(".", 1)
    flipped = "B" if signature[10] == "A" else "A"
    tampered = f"{head}.{signature[:10]}{flipped}{signature[11:]}"  # same length, wrong
    long_ago, ended = dt.datetime(2020, 1, 1, tzinfo=dt.UTC), dt.datetime(2021, 1, 1, tzinfo=dt.UTC)
    down_payload = kit.credential(index=1_001)
    down_payload["issuer"] = {**down_payload["issuer"], "id": DOWN}
    down_payload["iss"] = DOWN
    other_payload = kit.credential(index=1_001)
    other_payload["issuer"] = "https://elsewhere.test"
    other_payload["iss"] = "https://elsewhere.test"
    return {
        CredentialStatus.VALID: valid,
        CredentialStatus.REVOKED: _token(kit, issuer, REVOKED, reason="exam_misconduct"),
        CredentialStatus.SUSPENDED: _token(kit, issuer, SUSPENDED, reason="holder_request"),
        CredentialStatus.EXPIRED: kit.token(
            kit.credential(index=1_001, valid_from=long_ago, valid_until=ended)
        ),
        CredentialStatus.NOT_YET_VALID: kit.token(
            kit.credential(index=1_001, valid_from=dt.datetime(2999, 1, 1, tzinfo=dt.UTC))
        ),
        CredentialStatus.SUPERSEDED: _token(
            kit,
            issuer,
            SUPERSEDED,
            reason="data_correction",
            superseded_by=SUCCESSOR,
        ),
        CredentialStatus.INVALID: tampered,
        CredentialStatus.UNTRUSTED_ISSUER: kit.token(other_payload),
        CredentialStatus.UNAVAILABLE: kit.token(down_payload),
        CredentialStatus.UNREADABLE: "这不是证书 not a credential",
        CredentialStatus.NOT_FOUND: f"{kit.base}/v/{MISSING}",
    }


# What each verdict's section says beyond its headline (both languages), and never says.
EXPECTED: dict[CredentialStatus, tuple[str, ...]] = {
    CredentialStatus.VALID: (),
    CredentialStatus.REVOKED: ("考试违纪", "Exam misconduct", "撤销时间", "Revoked on"),
    CredentialStatus.SUSPENDED: ("持证人申请", "At the holder's request", "Suspended on"),
    CredentialStatus.EXPIRED: ("过期日期：2021-01-01", "Expired on: 2021-01-01"),
    CredentialStatus.NOT_YET_VALID: ("生效日期：2999-01-01", "Valid from: 2999-01-01"),
    CredentialStatus.SUPERSEDED: ("新证书", "New credential", "Replaced on", "1b4e28ba"),
    CredentialStatus.INVALID: ("签名验证失败", "Signature does not verify"),
    CredentialStatus.UNTRUSTED_ISSUER: ("未核验其签名", "its signature was not checked"),
    CredentialStatus.UNAVAILABLE: ("公钥", "The issuer's keys could not be had", "请稍后重试"),
    CredentialStatus.UNREADABLE: ("不是有效的签名证书格式", "Not a compact JWS"),
    CredentialStatus.NOT_FOUND: ("此链接下没有证书", "No credential at this link"),
}


@pytest.fixture(scope="module")
def served() -> Iterator[tuple[str, dict[CredentialStatus, str]]]:
    require_chromium()
    kit = IssuerKit()
    kit.revoked.update({REVOKED, SUPERSEDED})
    kit.suspended.add(SUSPENDED)
    issuer = LifecycleIssuer(kit)
    submissions = _submissions(kit, issuer)
    settings = VerifierSettings(trusted_issuers=[kit.base, DOWN])
    app = create_app(settings, transport=httpx.MockTransport(issuer.handler))
    with serving(app, log_level="warning", ws="none", lifespan="off") as base:
        yield base, submissions


@pytest.fixture(scope="module")
def open_page(
    served: tuple[str, dict[CredentialStatus, str]],
) -> Iterator[Callable[[CredentialStatus], dict[str, dict[str, Any]]]]:
    """Submit one case's credential through the form on a phone; what the result page shows
    at each width (the same page, resized)."""
    from playwright.sync_api import sync_playwright

    base_url, submissions = served
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        page = browser.new_page(extra_http_headers=BOTH_LANGUAGES)

        def show(status: CredentialStatus) -> dict[str, dict[str, Any]]:
            page.set_viewport_size({"width": WIDTHS["phone"], "height": 844})
            page.goto(f"{base_url}/verify")
            page.get_by_label("粘贴证书或核验链接").fill(submissions[status])
            with page.expect_navigation():
                page.get_by_role("button", name="核验").click()
            seen = {}
            for name, width in WIDTHS.items():
                page.set_viewport_size({"width": width, "height": 844})
                seen[name] = {
                    "verdict": page.locator("section.verdict").inner_text(),
                    "body": page.locator("main").inner_text(),
                    "scroll_width": page.evaluate("document.documentElement.scrollWidth"),
                    "links": page.locator("section.verdict a").evaluate_all(
                        "links => links.map(a => a.href)"
                    ),
                    "stylesheets": page.evaluate("document.styleSheets.length"),
                }
            return seen

        try:
            yield show
        finally:
            browser.close()


@pytest.mark.parametrize("status", list(CredentialStatus), ids=lambda s: s.value)
def test_each_verdict_reads_right_on_a_phone_and_a_desktop(
    open_page: Callable[[CredentialStatus], dict[str, dict[str, Any]]],
    status: CredentialStatus,
) -> None:
    verdict = VERDICTS[status]
    seen = open_page(status)
    for width, shown in seen.items():
        assert shown["stylesheets"] == 1, width
        assert verdict.symbol in shown["verdict"]
        assert verdict.zh in shown["verdict"]
        assert verdict.en in shown["verdict"]
        for text in EXPECTED[status]:
            assert text in shown["verdict"], (status, width, text, shown["verdict"])
        # "Not genuine" is said of a forged credential only, never of one not checked.
        says_fake = "非真实证书" in shown["body"] or "Not genuine" in shown["body"]
        assert says_fake == (status is CredentialStatus.INVALID)
        assert ("真实有效" in shown["body"]) == (status is CredentialStatus.VALID)
        if status is CredentialStatus.SUPERSEDED:
            assert shown["links"] == [SUCCESSOR]
        if status in (CredentialStatus.REVOKED, CredentialStatus.SUSPENDED):
            assert "2026-11-20 17:30:00 北京时间（UTC+8）" in shown["verdict"]  # the issuer's zone
    assert seen["phone"]["scroll_width"] <= WIDTHS["phone"]
    assert seen["desktop"]["scroll_width"] <= WIDTHS["desktop"]


def test_the_cases_are_what_the_api_says(
    served: tuple[str, dict[CredentialStatus, str]],
) -> None:
    """Each case is the verdict it stands for (so the page test shows the right thing)."""
    base_url, submissions = served
    with httpx.Client(base_url=base_url) as client:
        for status, submission in submissions.items():
            body = client.post(
                "/api/v1/verify",
                content=json.dumps({"credential": submission}),
                headers={"content-type": "application/json"},
            ).json()
            assert body["status"] == status.value, (status, body["checks"])
