"""Each check of ``Verifier.verify``, passing and failing, and the final status precedence."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from tests.verifier.kit import NOW, STATUS_INDEX, IssuerKit, iso, new_ed25519, sign, sign_raw
from verifier.errors import LocatorError
from verifier.result import CheckCode, CredentialStatus, VerificationResult
from verifier.sources.status_lists import StatusDetail, StatusListNotPublishedError
from verifier.verification import Verifier

ALL_CHECKS = [c.value for c in CheckCode if c is not CheckCode.LOCATE]


def codes(result: VerificationResult) -> list[str]:
    return [c.code.value for c in result.checks]


def failure(result: VerificationResult) -> tuple[str, str | None]:
    failed = result.failed_check()
    assert failed is not None, "expected a failed check"
    return failed.code.value, failed.error


def test_verify_accepts_valid_open_badge_credential(kit: IssuerKit) -> None:
    result = kit.verifier().verify(kit.token())
    assert result.verified is True
    assert result.status is CredentialStatus.VALID
    assert codes(result) == ALL_CHECKS
    assert all(c.passed for c in result.checks)
    assert result.problems == []
    assert result.credential is not None
    assert result.credential.holder_name == "张伟"
    assert result.credential.employee_number == "E10234"
    assert result.credential.achievement_code == "6-02-06-03"
    assert result.credential.unit_name == "包头冶炼厂 / Baotou Smelter"
    assert result.credential.key_id == kit.key.kid
    assert result.checked_at == NOW
    assert result.status_list_fetched_at == NOW


def test_verify_accepts_eddsa_signed_credential(kit: IssuerKit) -> None:
    assert kit.verifier().verify(kit.token(key=kit.ed_key)).verified


def test_verify_accepts_generic_vc_without_status(kit: IssuerKit) -> None:
    payload = {
        "@context": ["https://www.w3.org/ns/credentials/v2"],
        "type": ["VerifiableCredential", "ExampleCredential"],
        "issuer": kit.base,
        "credentialSubject": {"id": "did:example:123", "name": "x"},
    }
    result = kit.verifier().verify(kit.token(payload))
    assert result.verified
    assert result.checks[-1].detail == "the credential has no status list entry"
    assert result.credential is not None
    assert result.credential.issuer_id == kit.base


def test_parse_failure_stops_the_run(kit: IssuerKit) -> None:
    result = kit.verifier().verify("not a token")
    assert codes(result) == ["parse"]
    assert failure(result) == ("parse", "malformed_token")
    assert result.status is CredentialStatus.UNREADABLE
    assert result.credential is None
    assert result.problems[0].type == "https://www.w3.org/TR/vc-data-model#PARSING_ERROR"


@pytest.mark.parametrize(
    ("header", "code"),
    [
        ({"typ": "vp+jwt"}, "unsupported_token_type"),
        ({"typ": "statuslist+jwt"}, "wrong_typ"),
        ({"kid": None}, "missing_kid"),
        ({"crit": ["exp"], "exp": 1}, "unsupported_critical_header"),
        ({"jku": "https://evil.test/jwks"}, "forbidden_header_parameter"),
    ],
)
def test_header_failures(kit: IssuerKit, header: dict[str, Any], code: str) -> None:
    result = kit.verifier().verify(kit.token(**header))
    assert failure(result) == ("header", code)
    assert codes(result) == ["parse", "header"]


@pytest.mark.parametrize("typ", ["vc+jwt", "VC+JWT", "application/vc+jwt"])
def test_header_accepts_vc_jwt_spellings(kit: IssuerKit, typ: str) -> None:
    assert kit.verifier().verify(kit.token(typ=typ)).verified


@pytest.mark.parametrize("typ", ["JWT", None])
def test_header_accepts_jwt_or_absent_typ_for_open_badges_only(
    kit: IssuerKit, typ: str | None
) -> None:
    assert kit.verifier().verify(kit.token(typ=typ)).verified
    generic = {
        "@context": ["https://www.w3.org/ns/credentials/v2"],
        "type": ["VerifiableCredential"],
        "issuer": kit.base,
        "credentialSubject": {"id": "did:example:1"},
    }
    assert failure(kit.verifier().verify(kit.token(generic, typ=typ))) == ("header", "wrong_typ")


def test_issuer_trusted_fails_for_unknown_issuer(kit: IssuerKit) -> None:
    other = IssuerKit(base="https://stranger.test")
    result = kit.verifier().verify(other.token())
    assert failure(result) == ("issuer_trusted", "untrusted_issuer")
    assert result.problems[0].code == "untrusted_issuer"


def test_issuer_trusted_fails_when_iss_names_another_issuer(kit: IssuerKit) -> None:
    payload = kit.credential(iss="https://other.test")
    assert failure(kit.verifier().verify(kit.token(payload))) == (
        "issuer_trusted",
        "issuer_mismatch",
    )


def test_issuer_trusted_fails_without_issuer(kit: IssuerKit) -> None:
    payload = kit.credential()
    del payload["issuer"]
    assert failure(kit.verifier().verify(kit.token(payload))) == (
        "issuer_trusted",
        "missing_issuer",
    )


def test_key_fails_for_unknown_kid(kit: IssuerKit) -> None:
    result = kit.verifier().verify(kit.token(kid="A" * 43))
    assert failure(result) == ("key", "key_not_found")


def test_key_fails_when_algorithm_is_not_the_keys(kit: IssuerKit) -> None:
    token = sign_raw(
        {"alg": "EdDSA", "kid": kit.key.kid, "typ": "vc+jwt"}, kit.credential(), kit.ed_key
    )
    assert failure(kit.verifier().verify(token)) == ("key", "algorithm_not_bound_to_key")


def test_key_accepts_inline_jwk_equal_to_published_key(kit: IssuerKit) -> None:
    assert kit.verifier().verify(kit.token(jwk=kit.key.jwk)).verified


def test_signature_fails_for_tampered_payload(kit: IssuerKit) -> None:
    head, _, sig = kit.token().split(".")
    forged = kit.credential()
    other_body = kit.token(forged).split(".")[1]
    result = kit.verifier().verify(f"{head}.{other_body}.{sig}")
    assert failure(result) == ("signature", "bad_signature")
    assert result.credential is None
    assert result.problems[0].type.endswith("#CRYPTOGRAPHIC_SECURITY_ERROR")


@pytest.mark.parametrize(
    ("change", "code"),
    [
        ({"@context": ["https://www.w3.org/2018/credentials/v1"]}, "invalid_property"),
        ({"type": ["OpenBadgeCredential"]}, "invalid_property"),
        ({"id": "not a url"}, "invalid_property"),
        ({"jti": "urn:uuid:other"}, "claim_mismatch"),
        ({"sub": "urn:uuid:other"}, "claim_mismatch"),
        ({"nbf": 1}, "claim_mismatch"),
        ({"validFrom": "yesterday"}, "invalid_property"),
        ({"vc": {"x": 1}}, "vc_vp_claim_present"),
        ({"credentialSubject": {"type": ["AchievementSubject"]}}, "missing_property"),
    ],
)
def test_credential_shape_failures(kit: IssuerKit, change: dict[str, Any], code: str) -> None:
    payload = kit.credential(**change)
    result = kit.verifier().verify(kit.token(payload))
    assert failure(result) == ("credential", code)
    assert codes(result)[-1] == "credential"
    assert result.credential is None
    assert result.problems[0].type.endswith("#MALFORMED_VALUE_ERROR")


def test_credential_fails_for_missing_achievement_member(kit: IssuerKit) -> None:
    payload = kit.credential()
    del payload["credentialSubject"]["achievement"]["criteria"]
    assert failure(kit.verifier().verify(kit.token(payload))) == ("credential", "missing_property")


def test_credential_fails_when_exp_differs_from_valid_until(kit: IssuerKit) -> None:
    payload = kit.credential(valid_until=NOW + dt.timedelta(days=30))
    payload["exp"] += 3600
    assert failure(kit.verifier().verify(kit.token(payload))) == ("credential", "claim_mismatch")


def test_legacy_vc_claim_credential_is_reported_unsupported(kit: IssuerKit) -> None:
    legacy = {"iss": kit.base, "vc": {"@context": ["https://www.w3.org/2018/credentials/v1"]}}
    legacy["issuer"] = kit.base
    result = kit.verifier().verify(kit.token(legacy, typ="JWT"))
    assert failure(result) == ("credential", "unsupported_legacy_credential")


def test_validity_expired(kit: IssuerKit) -> None:
    payload = kit.credential(valid_until=NOW - dt.timedelta(days=1))
    result = kit.verifier().verify(kit.token(payload))
    assert result.status is CredentialStatus.EXPIRED
    assert result.verified is False
    assert failure(result) == ("validity", "expired")
    assert codes(result) == ALL_CHECKS  # status still checked
    assert result.credential is not None
    assert result.problems[0].type.endswith("#RANGE_ERROR")


def test_validity_not_yet_valid(kit: IssuerKit) -> None:
    payload = kit.credential(valid_from=NOW + dt.timedelta(hours=1))
    result = kit.verifier().verify(kit.token(payload))
    assert result.status is CredentialStatus.NOT_YET_VALID
    assert failure(result) == ("validity", "not_yet_valid")


def test_validity_allows_clock_skew(kit: IssuerKit) -> None:
    payload = kit.credential(valid_from=NOW + dt.timedelta(seconds=30))
    assert kit.verifier().verify(kit.token(payload)).verified
    strict = kit.verifier(clock_skew=dt.timedelta(0))
    assert strict.verify(kit.token(payload)).status is CredentialStatus.NOT_YET_VALID


def test_status_revoked(kit: IssuerKit) -> None:
    kit.revoked.add(STATUS_INDEX)
    result = kit.verifier().verify(kit.token())
    assert result.status is CredentialStatus.REVOKED
    assert result.verified is False
    assert failure(result) == ("status", "revoked")
    assert result.problems == []
    assert result.credential is not None


def test_status_revoked_wins_over_expired(kit: IssuerKit) -> None:
    kit.revoked.add(STATUS_INDEX)
    payload = kit.credential(valid_until=NOW - dt.timedelta(days=1))
    assert kit.verifier().verify(kit.token(payload)).status is CredentialStatus.REVOKED


def test_status_other_index_revoked_leaves_credential_valid(kit: IssuerKit) -> None:
    kit.revoked.update({0, STATUS_INDEX + 1, 131_071})
    assert kit.verifier().verify(kit.token()).verified


def test_status_suspended_by_second_entry(kit: IssuerKit) -> None:
    kit.suspended.add(7)
    payload = kit.credential()
    revocation = payload["credentialStatus"]
    suspension = {
        "id": f"{kit.base}/status/2#7",
        "type": "BitstringStatusListEntry",
        "statusPurpose": "suspension",
        "statusListIndex": "7",
        "statusListCredential": f"{kit.base}/status/2",
    }
    payload["credentialStatus"] = [revocation, suspension]

    def list_for(url: str) -> str:
        if url.endswith("/suspension"):
            raise StatusListNotPublishedError("this issuer lists suspensions in list 2")
        number = int(url.rsplit("/", 1)[1])
        purpose = "suspension" if number == 2 else "revocation"
        return kit.status_list_token(number, purpose=purpose)

    from verifier.sources.keys import StaticKeyResolver
    from verifier.sources.status_lists import CallableStatusSource

    verifier = Verifier(
        trusted_issuers=[kit.base],
        key_resolver=StaticKeyResolver.from_jwks(kit.base, kit.jwks),
        status_source=CallableStatusSource(list_for, clock=lambda: NOW),
        clock=lambda: NOW,
    )
    result = verifier.verify(kit.token(payload))
    assert result.status is CredentialStatus.SUSPENDED
    kit.revoked.add(STATUS_INDEX)
    assert verifier.verify(kit.token(payload)).status is CredentialStatus.REVOKED


def test_status_skipped_when_caller_disables_it(kit: IssuerKit) -> None:
    kit.revoked.add(STATUS_INDEX)
    result = kit.verifier(status=False).verify(kit.token())
    assert result.verified is True
    assert result.status is CredentialStatus.VALID
    last = result.checks[-1]
    assert (last.code, last.passed, last.skipped) == (CheckCode.STATUS, False, True)


def test_status_retrieval_failure_makes_result_invalid(kit: IssuerKit) -> None:
    def unavailable(_url: str) -> str:
        raise LocatorError("down")

    from verifier.sources.keys import StaticKeyResolver
    from verifier.sources.status_lists import CallableStatusSource

    verifier = Verifier(
        trusted_issuers=[kit.base],
        key_resolver=StaticKeyResolver.from_jwks(kit.base, kit.jwks),
        status_source=CallableStatusSource(unavailable),
        clock=lambda: NOW,
    )
    result = verifier.verify(kit.token())
    assert result.verified is False
    assert result.status is CredentialStatus.UNAVAILABLE
    assert failure(result) == ("status", "status_retrieval_error")
    assert (
        result.problems[0].type
        == "https://www.w3.org/ns/credentials/status-list#STATUS_RETRIEVAL_ERROR"
    )


def test_status_detail_source_supplies_reason(kit: IssuerKit) -> None:
    kit.revoked.add(STATUS_INDEX)
    payload = kit.credential()

    class Details:
        def get_status_detail(
            self, credential_id: str, status: str, *, issuer_id: str
        ) -> StatusDetail | None:
            assert (credential_id, status) == (payload["id"], "revoked")
            assert issuer_id == payload["issuer"]["id"]
            return StatusDetail(reason="exam_misconduct")

    result = kit.verifier(status_detail_source=Details()).verify(kit.token(payload))
    assert result.status_detail is not None
    assert result.status_detail.reason == "exam_misconduct"


def test_verify_never_raises_on_unexpected_error(kit: IssuerKit) -> None:
    class Broken:
        def resolve_key(self, _issuer_id: str, _kid: str) -> Any:
            raise RuntimeError("bug")

    verifier = Verifier(trusted_issuers=[kit.base], key_resolver=Broken(), status_source=None)
    result = verifier.verify(kit.token())
    assert failure(result) == ("key", "internal_error")
    assert result.status is CredentialStatus.UNAVAILABLE, "a fault here is not the credential's"


def test_verify_submission_resolves_verify_url_through_locator(kit: IssuerKit) -> None:
    token = kit.token()
    seen: list[str] = []

    class Locator:
        def locate_credential(self, verify_url: str) -> str:
            seen.append(verify_url)
            return token

    verifier = kit.verifier(credential_locator=Locator())
    result = verifier.verify_submission(f"  {kit.base}/v/123#frag ")
    assert result.verified
    assert codes(result)[0] == "locate"
    assert seen == [f"{kit.base}/v/123"]


@pytest.mark.parametrize(
    "url",
    [
        "https://evil.test/v/1",
        "https://issuer.test.evil.test/v/1",
        "http://issuer.test/v/1",
        "https://user@issuer.test/v/1",
    ],
)
def test_verify_submission_refuses_urls_outside_trusted_issuers(kit: IssuerKit, url: str) -> None:
    class Locator:
        def locate_credential(self, _verify_url: str) -> str:
            raise AssertionError("must not be called")

    result = kit.verifier(credential_locator=Locator()).verify_submission(url)
    assert failure(result) == ("locate", "untrusted_verify_url")


def test_verify_submission_without_locator_refuses_urls(kit: IssuerKit) -> None:
    result = kit.verifier().verify_submission(f"{kit.base}/v/1")
    assert failure(result) == ("locate", "untrusted_verify_url")


def test_problem_details_never_echo_token_content(kit: IssuerKit) -> None:
    secret = "SECRET-NAME-张伟"
    payload = kit.credential(validFrom=secret)
    result = kit.verifier().verify(kit.token(payload))
    dumped = result.model_dump_json()
    assert "SECRET" not in dumped


def test_result_dates_use_injected_clock(kit: IssuerKit) -> None:
    later = NOW + dt.timedelta(days=400)
    payload = kit.credential(valid_until=NOW + dt.timedelta(days=365))
    result = kit.verifier(clock_now=later).verify(kit.token(payload))
    assert result.status is CredentialStatus.EXPIRED
    assert result.checked_at == later
    assert iso(later) == result.checked_at.strftime("%Y-%m-%dT%H:%M:%SZ")


def test_stranger_ed25519_key_reusing_kid_fails_signature(kit: IssuerKit) -> None:
    stranger = new_ed25519()
    token = sign(kit.credential(), stranger, kid=kit.ed_key.kid)
    assert failure(kit.verifier().verify(token)) == ("signature", "bad_signature")
