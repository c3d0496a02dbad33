"""Tessera's SD-JWT VC verifier on Tessera-issued credentials: disclosures, key binding,
validity and the Token Status List, through the issuer app's own keys and lists."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric import ec
from fastapi.testclient import TestClient

from issuer.credentials.sd_jwt_vc import DIGEST_COUNT
from issuer.services import Services
from issuer.store.engine import session_scope
from issuer.web.local_verifier import build_local_sd_jwt_vc_verifier
from tests.helpers import BASE_URL
from tests.issuer.helpers import load_catalog
from tests.issuer.lifecycle_helpers import post
from tests.issuer.sd_jwt_helpers import (
    b64url,
    holder_key,
    issue_sd_jwt_vc,
    jwt_parts,
    present,
    public_jwk,
    unb64url,
)
from verifier.sd_jwt import disclosure_digest, encode_disclosure
from verifier.sd_jwt_vc import KeyBindingPolicy, SdJwtVcVerification, SdJwtVcVerifier
from verifier.token_status_list import TokenStatus

NONCE = "n-0S6_WzA2Mj"
AUD = "https://employer.example"
POLICY = KeyBindingPolicy(nonce=NONCE, audience=AUD)


@pytest.fixture(autouse=True)
def _catalog(services: Services) -> None:
    load_catalog(services)


@pytest.fixture
def holder() -> ec.EllipticCurvePrivateKey:
    return holder_key()


@pytest.fixture
def issued(
    client: TestClient,
    admin_headers: dict[str, str],
    services: Services,
    holder: ec.EllipticCurvePrivateKey,
) -> tuple[str, str]:
    return issue_sd_jwt_vc(client, admin_headers, services, public_jwk(holder))


def verifier(services: Services) -> SdJwtVcVerifier:
    return build_local_sd_jwt_vc_verifier(services)


def now_ts(services: Services) -> int:
    return int(services.clock().timestamp())


def check(services: Services, presentation: str, **kwargs: Any) -> SdJwtVcVerification:
    kwargs.setdefault("key_binding", POLICY)
    return verifier(services).verify(presentation, **kwargs)


def resign(
    services: Services,
    sd_jwt: str,
    *,
    header: dict[str, Any] | None = None,
    claims: dict[str, Any] | None = None,
    typ: str = "dc+sd-jwt",
) -> str:
    """``sd_jwt`` with its JWT re-signed by the issuer's own key after a change."""
    parts = sd_jwt.split("~")
    _, payload = jwt_parts(parts[0])
    payload.update(claims or {})
    with session_scope(services.sessions) as session:
        signer = services.signer(session)
    if header is not None:
        signer = dataclasses.replace(signer)  # same key; the header is rebuilt below
        from tests.issuer.sd_jwt_helpers import sign_es256

        full = {"alg": "ES256", "kid": signer.kid, "typ": typ, **header}
        jwt = sign_es256(signer.private_key, full, payload)  # type: ignore[arg-type]
    else:
        jwt = signer.sign(payload, typ=typ)
    return "~".join([jwt, *parts[1:]])


def test_presentation_with_chosen_disclosures_verifies(
    services: Services, issued: tuple[str, str], holder: ec.EllipticCurvePrivateKey
) -> None:
    _, sd_jwt = issued
    presentation = present(sd_jwt, {"score"}, holder, nonce=NONCE, aud=AUD, iat=now_ts(services))
    result = check(services, presentation)
    assert result.verified, result.reason
    assert result.reason is None
    assert result.status is TokenStatus.VALID
    assert result.disclosed == frozenset({"score"})
    assert result.claims["score"] == 91
    assert result.claims["holder_name"] == "王小明"
    assert result.claims["occupation"]["code"] == "6-17-05-01"
    assert result.claims["level"]["code"] == "senior"
    assert result.claims["iss"] == BASE_URL
    for absent in (
        "employee_number",
        "birth_date",
        "exam_session",
        "_sd",
        "_sd_alg",
        "cnf",
        "status",
    ):
        assert absent not in result.claims
    assert result.issuer == BASE_URL
    assert result.vct == f"{BASE_URL}/types/skill-certificate"


def test_presentation_with_no_disclosures_verifies(
    services: Services, issued: tuple[str, str], holder: ec.EllipticCurvePrivateKey
) -> None:
    _, sd_jwt = issued
    presentation = present(sd_jwt, set(), holder, nonce=NONCE, aud=AUD, iat=now_ts(services))
    result = check(services, presentation)
    assert result.verified, result.reason
    assert result.disclosed == frozenset()


def test_issuance_without_key_binding_verifies_when_none_is_asked(
    services: Services, issued: tuple[str, str]
) -> None:
    _, sd_jwt = issued
    result = check(services, sd_jwt, key_binding=None)
    assert result.verified, result.reason
    assert result.disclosed == {
        "score",
        "exam_session",
        "exam_date",
        "employee_number",
        "birth_date",
    }


def test_key_binding_is_required_when_asked(services: Services, issued: tuple[str, str]) -> None:
    assert check(services, issued[1]).reason == "key_binding_missing"


def _tampered_disclosure(sd_jwt: str, name: str, value: Any) -> str:
    parts = sd_jwt.split("~")
    for i, d in enumerate(parts[1:-1], start=1):
        salt, claim, _ = json.loads(unb64url(d))
        if claim == name:
            parts[i] = encode_disclosure(salt, claim, value)
    return "~".join(parts)


def test_tampered_disclosure_fails(
    services: Services, issued: tuple[str, str], holder: ec.EllipticCurvePrivateKey
) -> None:
    _, sd_jwt = issued
    tampered = _tampered_disclosure(sd_jwt, "score", 100)
    presentation = present(tampered, {"score"}, holder, nonce=NONCE, aud=AUD, iat=now_ts(services))
    result = check(services, presentation)
    assert not result.verified
    assert result.reason == "unreferenced_disclosure"
    assert result.claims == {}


def test_duplicate_disclosure_fails(
    services: Services, issued: tuple[str, str], holder: ec.EllipticCurvePrivateKey
) -> None:
    _, sd_jwt = issued
    parts = sd_jwt.split("~")
    doubled = "~".join([parts[0], parts[1], parts[1], ""])
    presentation = present(
        doubled,
        {json.loads(unb64url(parts[1]))[1]},
        holder,
        nonce=NONCE,
        aud=AUD,
        iat=now_ts(services),
    )
    assert check(services, presentation).reason == "duplicate_digest"


def test_disclosure_of_a_plain_claim_name_fails(
    services: Services, issued: tuple[str, str], holder: ec.EllipticCurvePrivateKey
) -> None:
    _, sd_jwt = issued
    parts = sd_jwt.split("~")
    extra = encode_disclosure(b64url(b"0123456789abcdef"), "holder_name", "someone else")
    _, payload = jwt_parts(parts[0])
    forged = resign(
        services, sd_jwt, claims={"_sd": sorted([*payload["_sd"], disclosure_digest(extra)])}
    )
    forged = forged + extra + "~"
    presentation = present(
        forged, {"holder_name"}, holder, nonce=NONCE, aud=AUD, iat=now_ts(services)
    )
    assert check(services, presentation).reason == "invalid_disclosure"


def test_digest_listed_twice_fails(
    services: Services, issued: tuple[str, str], holder: ec.EllipticCurvePrivateKey
) -> None:
    _, sd_jwt = issued
    _, payload = jwt_parts(sd_jwt.split("~")[0])
    forged = resign(services, sd_jwt, claims={"_sd": [*payload["_sd"], payload["_sd"][0]]})
    presentation = present(forged, set(), holder, nonce=NONCE, aud=AUD, iat=now_ts(services))
    assert check(services, presentation).reason == "duplicate_digest"


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"nonce": "another"}, "nonce_mismatch"),
        ({"aud": "https://someone-else.example"}, "audience_mismatch"),
        ({"iat_offset": -3600}, "key_binding_not_fresh"),
        ({"iat_offset": 3600}, "key_binding_not_fresh"),
    ],
)
def test_key_binding_claims_are_checked(
    services: Services,
    issued: tuple[str, str],
    holder: ec.EllipticCurvePrivateKey,
    change: dict[str, Any],
    reason: str,
) -> None:
    _, sd_jwt = issued
    presentation = present(
        sd_jwt,
        {"score"},
        holder,
        nonce=change.get("nonce", NONCE),
        aud=change.get("aud", AUD),
        iat=now_ts(services) + change.get("iat_offset", 0),
    )
    assert check(services, presentation).reason == reason


def test_key_binding_by_another_key_fails(services: Services, issued: tuple[str, str]) -> None:
    _, sd_jwt = issued
    presentation = present(
        sd_jwt, {"score"}, holder_key(), nonce=NONCE, aud=AUD, iat=now_ts(services)
    )
    assert check(services, presentation).reason == "key_binding_invalid"


def test_key_binding_with_wrong_typ_fails(
    services: Services, issued: tuple[str, str], holder: ec.EllipticCurvePrivateKey
) -> None:
    _, sd_jwt = issued
    presentation = present(
        sd_jwt,
        {"score"},
        holder,
        nonce=NONCE,
        aud=AUD,
        iat=now_ts(services),
        kb_header={"alg": "ES256", "typ": "JWT"},
    )
    assert check(services, presentation).reason == "key_binding_invalid"


def test_disclosure_dropped_after_key_binding_fails_sd_hash(
    services: Services, issued: tuple[str, str], holder: ec.EllipticCurvePrivateKey
) -> None:
    _, sd_jwt = issued
    presentation = present(
        sd_jwt, {"score", "exam_session"}, holder, nonce=NONCE, aud=AUD, iat=now_ts(services)
    )
    parts = presentation.split("~")
    shortened = "~".join([parts[0], parts[1], parts[-1]])
    assert check(services, shortened).reason == "sd_hash_mismatch"


@pytest.mark.parametrize(
    ("header", "typ", "reason"),
    [
        (None, "vc+sd-jwt", "wrong_typ"),
        (None, "vc+jwt", "wrong_typ"),
        ({"jwk": {"kty": "EC"}}, "dc+sd-jwt", "forbidden_header_parameter"),
        ({"x5c": ["AAAA"]}, "dc+sd-jwt", "forbidden_header_parameter"),
        ({"alg": "HS256"}, "dc+sd-jwt", "unsupported_algorithm"),
        ({"kid": "not-a-published-key"}, "dc+sd-jwt", "key_not_found"),
    ],
)
def test_issuer_jwt_header_is_checked(
    services: Services,
    issued: tuple[str, str],
    holder: ec.EllipticCurvePrivateKey,
    header: dict[str, Any] | None,
    typ: str,
    reason: str,
) -> None:
    forged = resign(services, issued[1], header=header, typ=typ)
    presentation = present(forged, set(), holder, nonce=NONCE, aud=AUD, iat=now_ts(services))
    assert check(services, presentation).reason == reason


def test_signature_by_a_key_the_issuer_does_not_publish_fails(
    services: Services, issued: tuple[str, str], holder: ec.EllipticCurvePrivateKey
) -> None:
    from tests.issuer.sd_jwt_helpers import sign_es256

    parts = issued[1].split("~")
    header, payload = jwt_parts(parts[0])
    forged_jwt = sign_es256(holder_key(), header, {**payload, "holder_name": "冒名者"})
    presentation = present(
        "~".join([forged_jwt, *parts[1:]]),
        set(),
        holder,
        nonce=NONCE,
        aud=AUD,
        iat=now_ts(services),
    )
    assert check(services, presentation).reason == "bad_signature"


def test_untrusted_issuer_is_refused_before_any_key_lookup(
    services: Services, issued: tuple[str, str], holder: ec.EllipticCurvePrivateKey
) -> None:
    local = verifier(services)
    other = dataclasses.replace(
        local, trusted_issuers=type(local.trusted_issuers)(["https://other.example"])
    )
    presentation = present(issued[1], set(), holder, nonce=NONCE, aud=AUD, iat=now_ts(services))
    assert other.verify(presentation, key_binding=POLICY).reason == "untrusted_issuer"


def test_wrong_vct_is_refused(
    services: Services, issued: tuple[str, str], holder: ec.EllipticCurvePrivateKey
) -> None:
    presentation = present(issued[1], set(), holder, nonce=NONCE, aud=AUD, iat=now_ts(services))
    result = check(services, presentation, expected_vct="https://example.com/other-type")
    assert result.reason == "wrong_vct"


def test_expired_credential_fails(
    client: TestClient,
    admin_headers: dict[str, str],
    services: Services,
    holder: ec.EllipticCurvePrivateKey,
) -> None:
    _, sd_jwt = issue_sd_jwt_vc(
        client, admin_headers, services, public_jwk(holder), valid_until="2031-01-01T00:00:00Z"
    )
    later = dt.datetime(2031, 6, 1, tzinfo=dt.UTC)
    local = dataclasses.replace(verifier(services), clock=lambda: later)
    presentation = present(sd_jwt, set(), holder, nonce=NONCE, aud=AUD, iat=int(later.timestamp()))
    result = local.verify(presentation, key_binding=POLICY)
    assert (result.verified, result.reason) == (False, "expired")
    assert result.claims["holder_name"] == "王小明"  # genuine, only out of date


def test_revoke_suspend_reinstate_show_in_the_token_status(
    client: TestClient,
    admin_headers: dict[str, str],
    services: Services,
    issued: tuple[str, str],
    holder: ec.EllipticCurvePrivateKey,
) -> None:
    credential_id, sd_jwt = issued
    url = f"/api/v1/credentials/{credential_id}"

    def status() -> tuple[bool, str | None, TokenStatus]:
        presentation = present(sd_jwt, set(), holder, nonce=NONCE, aud=AUD, iat=now_ts(services))
        result = check(services, presentation)
        return result.verified, result.reason, result.status

    assert status() == (True, None, TokenStatus.VALID)
    assert (
        post(client, f"{url}/suspend", admin_headers, {"reason": "holder_request"}).status_code
        == 200
    )
    assert status() == (False, "suspended", TokenStatus.SUSPENDED)
    assert post(client, f"{url}/reinstate", admin_headers).status_code == 200
    assert status() == (True, None, TokenStatus.VALID)
    assert (
        post(client, f"{url}/revoke", admin_headers, {"reason": "exam_misconduct"}).status_code
        == 200
    )
    assert status() == (False, "revoked", TokenStatus.REVOKED)


@pytest.mark.parametrize(
    "garbage",
    [
        "",
        "~",
        "~~",
        "a~b~",
        "not.a.jwt~",
        "eyJhbGciOiJub25lIn0.e30.~",
        "x" * 70_000,
        "eyJ~" * 100,
    ],
)
def test_garbage_is_refused_without_raising(services: Services, garbage: str) -> None:
    result = check(services, garbage)
    assert not result.verified
    assert result.reason
    assert result.claims == {}


def test_decoys_are_not_reported_as_disclosed(services: Services, issued: tuple[str, str]) -> None:
    _, payload = jwt_parts(issued[1].split("~")[0])
    assert len(payload["_sd"]) == DIGEST_COUNT
    result = check(services, issued[1], key_binding=None)
    assert len(result.disclosed) == 5
