"""Verdicts a person can act on: each failure gives the right one, with what explains it.

Genuine but not in force carries its reason and date; ``unavailable`` says what could not be
checked and how old the cached copy was; an untrusted issuer's signature is said to be
unchecked; damaged copies are ``unreadable``, not forgeries (docs/decisions/0033-verdicts.md).
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import httpx
import pytest
from typer.testing import CliRunner

from tests.verifier.kit import NOW, STATUS_INDEX, FakeIssuerServer, IssuerKit, sign
from verifier import cli
from verifier.errors import CredentialErrorCode
from verifier.qr_packing import pack_credential
from verifier.result import CheckCode, CredentialStatus, StatusReport, VerificationResult
from verifier.sources.credential_locator import HttpCredentialLocator
from verifier.sources.fetch import build_http_client
from verifier.sources.keys import HttpKeyResolver, OfflineKeyResolver
from verifier.sources.offline_cache import OfflineCache
from verifier.sources.status_lists import (
    OfflineStatusSource,
    StatusDetail,
    parse_status_detail,
)
from verifier.trust import TrustedIssuers
from verifier.verdict import VERDICT_BY_CODE, verdict_for
from verifier.verification import Verifier
from verifier.web.app import create_app
from verifier.web.page import render_verify_page

DAY = dt.timedelta(days=1)


def _text(result: VerificationResult) -> str:
    return render_verify_page(result)


def test_every_truncation_of_a_credential_is_unreadable_never_forged(kit: IssuerKit) -> None:
    """A scan or copy cut short anywhere reads "not a readable credential", not "fake"."""
    verifier = kit.verifier()
    token = kit.token()
    cuts = [*range(1, len(token) - 120, 23), *range(len(token) - 120, len(token))]
    verdicts = {verifier.verify(token[:cut]).status for cut in cuts}
    assert verdicts == {CredentialStatus.UNREADABLE}


def test_a_truncated_signature_is_unreadable_and_a_wrong_one_invalid(kit: IssuerKit) -> None:
    verifier = kit.verifier()
    head, signature = kit.token().rsplit(".", 1)
    short = verifier.verify(f"{head}.{signature[:80]}")  # 60 bytes, canonical base64url
    assert short.status is CredentialStatus.UNREADABLE
    assert short.problems[0].code == CredentialErrorCode.MALFORMED_SIGNATURE
    flipped = "B" if signature[5] == "A" else "A"
    wrong = verifier.verify(f"{head}.{signature[:5]}{flipped}{signature[6:]}")
    assert wrong.status is CredentialStatus.INVALID
    assert wrong.problems[0].code == CredentialErrorCode.BAD_SIGNATURE


def test_a_truncated_qr_link_is_unreadable(kit: IssuerKit) -> None:
    verifier = kit.verifier()
    digits = pack_credential(kit.token())
    for cut in (len(digits) // 3, len(digits) // 2, len(digits) - 7):
        result = verifier.verify_submission(f"{kit.base}/c#{digits[:cut]}")
        assert result.status is CredentialStatus.UNREADABLE, cut


def test_header_and_algorithm_failures_are_invalid(kit: IssuerKit) -> None:
    verifier = kit.verifier()
    no_kid = kit.token(kid=None)
    crit = kit.token(crit=["exp"])
    wrong_typ = kit.token(typ="statuslist+jwt")
    for token in (no_kid, crit, wrong_typ):
        assert verifier.verify(token).status is CredentialStatus.INVALID


def test_a_signed_credential_that_does_not_conform_is_unreadable_not_fake(
    kit: IssuerKit,
) -> None:
    """Signed by the trusted issuer's key, so not a forgery; but nothing in it can be used."""
    payload = kit.credential()
    payload["jti"] = "urn:uuid:00000000-0000-4000-8000-000000000000"  # jti differs from id
    result = kit.verifier().verify(kit.token(payload))
    assert result.status is CredentialStatus.UNREADABLE
    assert result.problems[0].code == CredentialErrorCode.CLAIM_MISMATCH
    assert "非真实证书" not in _text(result)


def test_untrusted_issuer_says_its_signature_was_not_checked(kit: IssuerKit) -> None:
    payload = kit.credential(iss="https://elsewhere.test")
    payload["issuer"] = "https://elsewhere.test"
    result = kit.verifier().verify(kit.token(payload))
    assert result.status is CredentialStatus.UNTRUSTED_ISSUER
    assert result.credential is None  # nothing unverified is shown
    assert [c.code for c in result.checks][-1] is CheckCode.ISSUER_TRUSTED
    page = _text(result)
    assert "its signature was not checked" in page
    assert "未核验其签名" in page
    assert "Not genuine" not in page


def test_a_new_error_code_defaults_to_invalid() -> None:
    assert verdict_for("some_future_code") is CredentialStatus.INVALID
    assert verdict_for(None) is CredentialStatus.INVALID
    assert set(VERDICT_BY_CODE) == set(CredentialErrorCode)


def test_stale_cached_keys_say_how_old_and_that_trying_again_may_help(kit: IssuerKit) -> None:
    server = FakeIssuerServer(kit)
    now = [NOW]
    keys = HttpKeyResolver(TrustedIssuers([kit.base]), server.client(), clock=lambda: now[0])
    verifier = Verifier(
        trusted_issuers=[kit.base], key_resolver=keys, status_source=None, clock=lambda: now[0]
    )
    assert verifier.verify(kit.token()).status is CredentialStatus.VALID
    server.down = True
    now[0] = NOW + 3 * DAY
    result = verifier.verify(kit.token())
    assert result.status is CredentialStatus.UNAVAILABLE
    assert result.unavailable is not None
    assert result.unavailable.check is CheckCode.KEY
    assert result.unavailable.cached_at == NOW
    assert result.unavailable.cache_age_seconds == 3 * 86_400
    assert result.unavailable.max_age_seconds == 86_400
    detail = result.problems[0].detail
    assert "fetched 3 d ago, over the limit of 24 h" in detail
    assert "try again later" in detail
    page = _text(result)
    assert "The cached copy was fetched 3 d ago, over the limit of 24 h" in page
    assert "缓存数据获取于 3 天前，超过 24 小时的期限" in page  # each language its own units
    assert "trying again later may help" in page
    assert "Not genuine" not in page


def test_unreachable_keys_without_a_cache_are_unavailable_with_no_age(kit: IssuerKit) -> None:
    server = FakeIssuerServer(kit)
    server.down = True
    keys = HttpKeyResolver(TrustedIssuers([kit.base]), server.client(), clock=lambda: NOW)
    verifier = Verifier(
        trusted_issuers=[kit.base], key_resolver=keys, status_source=None, clock=lambda: NOW
    )
    result = verifier.verify(kit.token())
    assert result.status is CredentialStatus.UNAVAILABLE
    assert result.unavailable is not None
    assert (result.unavailable.check, result.unavailable.cached_at) == (CheckCode.KEY, None)
    assert "cached copy" not in _text(result)


def test_an_offline_status_list_past_its_validity_says_how_old(
    tmp_path: Path, kit: IssuerKit
) -> None:
    cache = OfflineCache(tmp_path)
    url = f"{kit.base}/status/1"
    ends = NOW + DAY
    listed = kit.status_list_payload(validUntil=ends.strftime("%Y-%m-%dT%H:%M:%SZ"))
    listed["exp"] = int(ends.timestamp())
    cache.store("status_list", url, sign(listed, kit.key), NOW - DAY)
    later = NOW + 2 * DAY
    verifier = kit.verifier(clock_now=later)
    verifier = Verifier(
        trusted_issuers=[kit.base],
        key_resolver=verifier.key_resolver,
        status_source=OfflineStatusSource(cache),
        clock=lambda: later,
    )
    result = verifier.verify(kit.token())
    assert result.status is CredentialStatus.UNAVAILABLE
    assert result.unavailable is not None
    assert result.unavailable.check is CheckCode.STATUS
    assert result.unavailable.cache_age_seconds == 3 * 86_400
    assert "fetched 3 d ago" in result.problems[0].detail
    assert "Whether it was revoked could not be checked" in _text(result)


def test_an_offline_status_list_missing_is_unavailable(tmp_path: Path, kit: IssuerKit) -> None:
    verifier = Verifier(
        trusted_issuers=[kit.base],
        key_resolver=kit.verifier().key_resolver,
        status_source=OfflineStatusSource(OfflineCache(tmp_path)),
        clock=lambda: NOW,
    )
    result = verifier.verify(kit.token())
    assert result.status is CredentialStatus.UNAVAILABLE
    assert result.unavailable is not None
    assert (result.unavailable.check, result.unavailable.cached_at) == (CheckCode.STATUS, None)


def test_a_link_naming_no_credential_is_not_found_and_an_outage_unavailable(
    kit: IssuerKit,
) -> None:
    answers = {"status": 404}

    def issuer(_request: httpx.Request) -> httpx.Response:
        return httpx.Response(answers["status"])

    client = build_http_client(transport=httpx.MockTransport(issuer))
    verifier = kit.verifier(credential_locator=HttpCredentialLocator(client))
    link = f"{kit.base}/v/1b4e28ba-2fa1-41d2-883f-0016d3cca427"
    missing = verifier.verify_submission(link)
    assert missing.status is CredentialStatus.NOT_FOUND
    answers["status"] = 503
    verifier = kit.verifier(credential_locator=HttpCredentialLocator(client))
    down = verifier.verify_submission(link)
    assert down.status is CredentialStatus.UNAVAILABLE
    assert down.problems[0].code == CredentialErrorCode.CREDENTIAL_STORE_UNAVAILABLE
    assert down.unavailable is not None
    assert down.unavailable.check is CheckCode.LOCATE


class _Details:
    def __init__(self, detail: StatusDetail) -> None:
        self.detail = detail

    def get_status_detail(
        self, credential_id: str, status: str, *, issuer_id: str
    ) -> StatusDetail | None:
        assert credential_id.startswith("urn:uuid:")
        assert (status, issuer_id) == ("revoked", "https://issuer.test")
        return self.detail


def test_a_revocation_carries_its_reason_and_date(kit: IssuerKit) -> None:
    kit.revoked.add(STATUS_INDEX)
    changed = dt.datetime(2026, 11, 20, 9, 30, tzinfo=dt.UTC)
    verifier = kit.verifier(
        status_detail_source=_Details(StatusDetail(reason="exam_misconduct", changed_at=changed))
    )
    result = verifier.verify(kit.token())
    assert result.status is CredentialStatus.REVOKED
    assert result.status_detail == StatusReport(reason="exam_misconduct", changed_at=changed)
    assert result.model_dump(mode="json")["status_detail"]["changed_at"] == "2026-11-20T09:30:00Z"
    page = _text(result)
    # In the issuer's time zone, named (decision 0049).
    assert "撤销时间：2026-11-20 17:30:00 北京时间（UTC+8）" in page
    assert "Revoked on: 2026-11-20 17:30:00 Beijing time (UTC+8)" in page


@pytest.mark.parametrize(
    ("document", "expected"),
    [
        ({"changed_at": "2026-11-20T09:30:00Z"}, dt.datetime(2026, 11, 20, 9, 30, tzinfo=dt.UTC)),
        (
            {"changed_at": "2026-11-20T17:30:00+08:00"},
            dt.datetime(2026, 11, 20, 9, 30, tzinfo=dt.UTC),
        ),
        ({"changed_at": "yesterday"}, None),
        ({"changed_at": 1_700_000_000}, None),
        ({"changed_at": "2026-11-20T09:30:00Z" + "0" * 60}, None),
        ({}, None),
    ],
)
def test_status_detail_dates_are_read_strictly(
    document: dict[str, object], expected: dt.datetime | None
) -> None:
    credential_id = "urn:uuid:1b4e28ba-2fa1-41d2-883f-0016d3cca427"
    text = json.dumps({"id": credential_id, "reason": "holder_request", **document})
    detail = parse_status_detail(text, credential_id)
    assert detail is not None
    assert detail.changed_at == expected
    assert detail.reason == "holder_request"  # a bad date never hides the reason


def test_expired_and_not_yet_valid_show_their_dates(kit: IssuerKit) -> None:
    verifier = kit.verifier(status=False)
    expired = verifier.verify(
        kit.token(
            kit.credential(
                valid_from=NOW - 400 * DAY, valid_until=dt.datetime(2026, 1, 31, tzinfo=dt.UTC)
            )
        )
    )
    assert expired.status is CredentialStatus.EXPIRED
    assert "过期日期：2026-01-31" in _text(expired)
    assert "Expired on: 2026-01-31" in _text(expired)
    early = verifier.verify(
        kit.token(kit.credential(valid_from=dt.datetime(2027, 3, 1, tzinfo=dt.UTC)))
    )
    assert early.status is CredentialStatus.NOT_YET_VALID
    assert "Valid from: 2027-03-01" in _text(early)


def test_the_openapi_schema_lists_every_verdict_and_the_new_fields() -> None:
    schema = create_app().openapi()["components"]["schemas"]
    assert set(schema["CredentialStatus"]["enum"]) == {s.value for s in CredentialStatus}
    assert "changed_at" in schema["StatusReport"]["properties"]
    assert "unavailable" in schema["VerificationResult"]["properties"]
    assert set(schema["Unavailability"]["properties"]) == {
        "check",
        "cached_at",
        "cache_age_seconds",
        "max_age_seconds",
    }


runner = CliRunner()


def test_the_cli_says_how_old_the_cache_is_and_exits_3_when_unavailable(
    tmp_path: Path, kit: IssuerKit, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in ("TESSERA_TRUSTED_ISSUERS", "TESSERA_BASE_URL", "TESSERA_VERIFY_CACHE_DIR"):
        monkeypatch.delenv(name, raising=False)
    cache = OfflineCache(tmp_path)
    fetched = dt.datetime.now(dt.UTC) - 3 * DAY
    cache.store("jwks", kit.base, json.dumps(kit.jwks), fetched)
    token = tmp_path / "credential.jwt"
    token.write_text(kit.token())
    args = [str(token), "--offline", "--no-status", "--cache-dir", str(tmp_path)]
    result = runner.invoke(cli.app, [*args, "--trusted-issuer", kit.base])
    assert result.exit_code == 3, result.output
    assert "UNAVAILABLE" in result.stdout
    assert "could not check: key" in result.stdout
    assert "cached copy: fetched 3 d ago" in result.stdout
    assert "over the limit of 24 h" in result.stdout
    assert "trying again later may help" in result.stdout


def test_the_cli_prints_the_date_of_a_revocation_and_the_untrusted_note(
    tmp_path: Path, kit: IssuerKit, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in ("TESSERA_TRUSTED_ISSUERS", "TESSERA_BASE_URL", "TESSERA_VERIFY_CACHE_DIR"):
        monkeypatch.delenv(name, raising=False)
    cache = OfflineCache(tmp_path)
    kit.revoked.add(STATUS_INDEX)
    payload = kit.credential()
    uuid = payload["id"].removeprefix("urn:uuid:")
    cache.store("jwks", kit.base, json.dumps(kit.jwks), dt.datetime.now(dt.UTC))
    cache.store("status_list", f"{kit.base}/status/1", kit.status_list_token(), NOW)
    cache.store(
        "status_detail",
        f"{kit.base}/credentials/{uuid}/status",
        json.dumps(
            {"id": payload["id"], "reason": "exam_misconduct", "changed_at": "2026-11-20T09:30:00Z"}
        ),
        NOW,
    )
    args = ["--offline", "--cache-dir", str(tmp_path), "--trusted-issuer", kit.base]
    result = runner.invoke(cli.app, [kit.token(payload), *args])
    assert result.exit_code == 1, result.output
    assert "REVOKED" in result.stdout
    assert "revoked on: 2026-11-20T09:30:00+00:00" in result.stdout

    elsewhere = kit.credential(iss="https://elsewhere.test")
    elsewhere["issuer"] = "https://elsewhere.test"
    result = runner.invoke(cli.app, [kit.token(elsewhere), "--no-status"])
    assert result.exit_code == 1, result.output
    assert "UNTRUSTED_ISSUER" in result.stdout
    assert "its signature was not checked" in result.stdout


def test_offline_key_resolver_refuses_old_keys_with_their_age(
    tmp_path: Path, kit: IssuerKit
) -> None:
    cache = OfflineCache(tmp_path)
    cache.store("jwks", kit.base, json.dumps(kit.jwks), NOW - 2 * DAY)
    keys = OfflineKeyResolver(cache, max_age=DAY, clock=lambda: NOW)
    verifier = Verifier(
        trusted_issuers=[kit.base], key_resolver=keys, status_source=None, clock=lambda: NOW
    )
    result = verifier.verify(kit.token())
    assert result.status is CredentialStatus.UNAVAILABLE
    assert result.unavailable is not None
    assert result.unavailable.cache_age_seconds == 2 * 86_400
    assert "the cached copy of the issuer's keys was fetched 2 d ago" in result.problems[0].detail
