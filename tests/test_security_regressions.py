"""Security regressions: one test per known attack on JWT/VC verifiers.

Each test names the attack and its source (RFC 8725 "JWT Best Current Practices", CVEs)
and asserts ``verified`` is false with the exact check and error code (docs/errors.md).
"""

from __future__ import annotations

import base64
import datetime as dt
import gzip
import hashlib
import hmac
import json
from typing import Any

import httpx
import pytest
from cryptography.hazmat.primitives import serialization

from tests.verifier.kit import (
    NOW,
    IssuerKit,
    b64url,
    new_ed25519,
    new_es256,
    sign,
    sign_raw,
)
from verifier.errors import StatusRetrievalError
from verifier.result import VerificationResult
from verifier.sources.fetch import build_http_client
from verifier.sources.keys import StaticKeyResolver
from verifier.sources.status_lists import HttpStatusSource, StaticStatusSource
from verifier.trust import TrustedIssuers
from verifier.urls import IssuerUrls
from verifier.verification import Verifier


@pytest.fixture
def kit() -> IssuerKit:
    return IssuerKit()


def assert_rejected(result: VerificationResult, check: str, code: str) -> None:
    assert result.verified is False
    failed = result.failed_check()
    assert failed is not None
    assert (failed.code.value, failed.error) == (check, code)
    assert result.credential is None or check in ("validity", "status")


def header_of(kit: IssuerKit, **fields: Any) -> dict[str, Any]:
    header: dict[str, Any] = {"alg": "ES256", "kid": kit.key.kid, "typ": "vc+jwt"}
    header.update(fields)
    return {k: v for k, v in header.items() if v is not None}


def hs256(header: dict[str, Any], payload: dict[str, Any], secret: bytes) -> str:
    signing_input = (
        b64url(json.dumps(header).encode()) + "." + b64url(json.dumps(payload).encode())
    ).encode()
    mac = hmac.new(secret, signing_input, hashlib.sha256).digest()
    return f"{signing_input.decode()}.{b64url(mac)}"


# --- algorithm attacks (RFC 8725 §2.1, §3.1) ------------------------------------------------


def test_alg_none_is_rejected(kit: IssuerKit) -> None:
    token = sign_raw(header_of(kit, alg="none"), kit.credential(), None)
    assert_rejected(kit.verifier().verify(token), "header", "unsupported_algorithm")


def test_alg_none_case_variant_is_rejected(kit: IssuerKit) -> None:
    token = sign_raw(header_of(kit, alg="noNE"), kit.credential(), None)
    assert_rejected(kit.verifier().verify(token), "header", "unsupported_algorithm")


def test_hs256_keyed_with_public_key_bytes_is_rejected(kit: IssuerKit) -> None:
    public = kit.key.private.public_key()
    for secret in (
        public.public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        ),
        public.public_bytes(
            serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
        ),
        json.dumps(kit.key.jwk).encode(),
    ):
        token = hs256(header_of(kit, alg="HS256"), kit.credential(), secret)
        assert_rejected(kit.verifier().verify(token), "header", "unsupported_algorithm")


def test_rs256_and_es512_are_off_the_allowlist(kit: IssuerKit) -> None:
    for alg in ("RS256", "ES512", "PS256", "ES256K", "Ed25519"):
        token = sign_raw(header_of(kit, alg=alg), kit.credential(), None) + "AAAA"
        assert_rejected(kit.verifier().verify(token), "header", "unsupported_algorithm")


def test_eddsa_header_with_p256_kid_is_rejected(kit: IssuerKit) -> None:
    token = sign_raw(header_of(kit, alg="EdDSA", kid=kit.key.kid), kit.credential(), kit.ed_key)
    assert_rejected(kit.verifier().verify(token), "key", "algorithm_not_bound_to_key")


def test_es256_header_with_ed25519_kid_is_rejected(kit: IssuerKit) -> None:
    token = sign_raw(header_of(kit, alg="ES256", kid=kit.ed_key.kid), kit.credential(), kit.key)
    assert_rejected(kit.verifier().verify(token), "key", "algorithm_not_bound_to_key")


def test_psychic_signature_zero_r_s_is_rejected(kit: IssuerKit) -> None:
    """CVE-2022-21449: an ECDSA signature of r = s = 0 must never verify."""
    unsigned = sign_raw(header_of(kit), kit.credential(), None)
    assert_rejected(
        kit.verifier().verify(unsigned + b64url(bytes(64))), "signature", "bad_signature"
    )


# --- key lookup attacks (RFC 8725 §3.8, §3.10) ---------------------------------------------


def test_unknown_kid_is_rejected(kit: IssuerKit) -> None:
    stranger = new_es256()
    assert_rejected(kit.verifier().verify(sign(kit.credential(), stranger)), "key", "key_not_found")


@pytest.mark.parametrize(
    "kid",
    [
        "../../etc/passwd",
        "' OR 1=1 --",
        "key\x00",
        "a b",
        "https://evil.test/../keys",
        "..",
        "",
        "k" * 200,
        "file:///etc/passwd\\x",
    ],
)
def test_kid_injection_is_rejected_by_shape(kit: IssuerKit, kid: str) -> None:
    token = sign_raw(header_of(kit, kid=kid), kit.credential(), kit.key)
    assert_rejected(kit.verifier().verify(token), "header", "invalid_kid")


def test_non_string_kid_is_rejected(kit: IssuerKit) -> None:
    token = sign_raw(header_of(kit, kid=["x"]), kit.credential(), kit.key)
    assert_rejected(kit.verifier().verify(token), "header", "invalid_kid")


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("jku", "https://evil.test/jwks.json"),
        ("x5u", "https://evil.test/cert.pem"),
        ("x5c", ["MIIBszCCAVmgAwIBAgIUQ"]),
    ],
)
def test_header_key_sources_are_rejected(kit: IssuerKit, name: str, value: Any) -> None:
    attacker = new_es256()
    token = sign_raw(header_of(kit, kid=attacker.kid, **{name: value}), kit.credential(), attacker)
    assert_rejected(kit.verifier().verify(token), "header", "forbidden_header_parameter")


def test_attacker_key_in_jwk_header_with_valid_signature_is_rejected(kit: IssuerKit) -> None:
    attacker = new_es256()
    token = sign_raw(header_of(kit, jwk=attacker.jwk), kit.credential(), attacker)
    assert_rejected(kit.verifier().verify(token), "key", "header_jwk_mismatch")


def test_attacker_key_in_jwk_header_with_its_own_kid_is_rejected(kit: IssuerKit) -> None:
    attacker = new_es256()
    token = sign_raw(header_of(kit, kid=attacker.kid, jwk=attacker.jwk), kit.credential(), attacker)
    assert_rejected(kit.verifier().verify(token), "key", "key_not_found")


def test_stranger_signature_reusing_our_kid_is_rejected(kit: IssuerKit) -> None:
    stranger = new_es256()
    token = sign(kit.credential(), stranger, kid=kit.key.kid)
    assert_rejected(kit.verifier().verify(token), "signature", "bad_signature")


def test_untrusted_issuer_with_its_own_valid_keys_is_rejected(kit: IssuerKit) -> None:
    stranger = IssuerKit(base="https://stranger.test")
    assert_rejected(kit.verifier().verify(stranger.token()), "issuer_trusted", "untrusted_issuer")


def test_iss_claim_naming_another_issuer_is_rejected(kit: IssuerKit) -> None:
    token = kit.token(kit.credential(iss="https://stranger.test"))
    assert_rejected(kit.verifier().verify(token), "issuer_trusted", "issuer_mismatch")


def test_key_of_another_trusted_issuer_is_not_usable(kit: IssuerKit) -> None:
    """Keys are looked up per issuer: issuer B's key cannot sign as issuer A."""
    other = IssuerKit(base="https://other.test")
    resolver = StaticKeyResolver(
        {
            kit.base: {
                k.kid: k
                for k in StaticKeyResolver.from_jwks(kit.base, kit.jwks)._keys[kit.base].values()
            },
            other.base: StaticKeyResolver.from_jwks(other.base, other.jwks)._keys[other.base],
        }
    )
    verifier = Verifier(
        trusted_issuers=[kit.base, other.base],
        key_resolver=resolver,
        status_source=None,
        clock=lambda: NOW,
    )
    assert_rejected(verifier.verify(other.token(kit.credential())), "key", "key_not_found")


# --- crit and typ (RFC 7515 §4.1.11, RFC 8725 §3.11) ---------------------------------------


def test_unknown_crit_is_rejected(kit: IssuerKit) -> None:
    token = sign_raw(
        header_of(kit, crit=["urn:example:ext"], **{"urn:example:ext": 1}),
        kit.credential(),
        kit.key,
    )
    assert_rejected(kit.verifier().verify(token), "header", "unsupported_critical_header")


def test_empty_crit_is_rejected(kit: IssuerKit) -> None:
    token = sign_raw(header_of(kit, crit=[]), kit.credential(), kit.key)
    assert_rejected(kit.verifier().verify(token), "header", "unsupported_critical_header")


def test_b64_false_unencoded_payload_is_rejected(kit: IssuerKit) -> None:
    token = sign_raw(header_of(kit, crit=["b64"], b64=False), kit.credential(), kit.key)
    assert_rejected(kit.verifier().verify(token), "header", "unsupported_critical_header")


@pytest.mark.parametrize("typ", ["statuslist+jwt", "kb+jwt", "at+jwt", "bad+typ", "", 42])
def test_wrong_typ_is_rejected(kit: IssuerKit, typ: Any) -> None:
    token = sign_raw(header_of(kit, typ=typ), kit.credential(), kit.key)
    assert_rejected(kit.verifier().verify(token), "header", "wrong_typ")


@pytest.mark.parametrize("typ", ["vp+jwt", "dc+sd-jwt", "vc+sd-jwt"])
def test_other_token_kinds_are_rejected_as_unsupported(kit: IssuerKit, typ: str) -> None:
    assert_rejected(kit.verifier().verify(kit.token(typ=typ)), "header", "unsupported_token_type")


def test_jwt_typ_is_rejected_for_non_open_badge_credentials(kit: IssuerKit) -> None:
    generic = {
        "@context": ["https://www.w3.org/ns/credentials/v2"],
        "type": ["VerifiableCredential"],
        "issuer": kit.base,
        "credentialSubject": {"id": "did:example:1"},
    }
    assert_rejected(kit.verifier().verify(kit.token(generic, typ="JWT")), "header", "wrong_typ")


def test_status_list_credential_presented_as_credential_is_rejected(kit: IssuerKit) -> None:
    assert_rejected(
        kit.verifier().verify(kit.status_list_token()), "credential", "status_list_as_credential"
    )


# --- integrity and format (RFC 8725bis, VC-JOSE-COSE §3.1.2, §7.2) --------------------------


def test_tampered_payload_is_rejected(kit: IssuerKit) -> None:
    header, payload, signature = kit.token().split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    claims["credentialSubject"]["achievement"]["name"] = "高级技师 / Senior technician"
    forged = b64url(json.dumps(claims).encode())
    assert_rejected(
        kit.verifier().verify(f"{header}.{forged}.{signature}"), "signature", "bad_signature"
    )


def test_tampered_header_is_rejected(kit: IssuerKit) -> None:
    _, payload, signature = kit.token().split(".")
    header = b64url(json.dumps(header_of(kit, cty="vc")).encode())
    assert_rejected(
        kit.verifier().verify(f"{header}.{payload}.{signature}"), "signature", "bad_signature"
    )


def test_truncated_signature_is_rejected(kit: IssuerKit) -> None:
    token = kit.token()
    # A signature cut short is a damaged copy (unreadable), never accepted (decision 0033).
    assert_rejected(kit.verifier().verify(token[:-2]), "signature", "malformed_signature")
    assert_rejected(kit.verifier().verify(token[:-1]), "parse", "invalid_base64url")
    head, body, _ = token.split(".")
    assert_rejected(kit.verifier().verify(f"{head}.{body}."), "signature", "malformed_signature")


def test_non_canonical_base64url_signature_is_rejected(kit: IssuerKit) -> None:
    """Signature malleability: a 64-byte signature's last base64url character carries 4
    unused bits; a decoder that ignores them accepts a different string as the same
    signature (RFC 4648 §3.5). Every variant but the issued one must fail."""
    token = kit.token()
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
    last = alphabet.index(token[-1])
    variants = [token[:-1] + alphabet[(last & ~0b1111) | low] for low in range(1, 16)]
    assert kit.verifier().verify(token).verified
    for variant in variants:
        assert_rejected(kit.verifier().verify(variant), "parse", "invalid_base64url")


def test_expired_credential_is_rejected(kit: IssuerKit) -> None:
    token = kit.token(kit.credential(valid_until=NOW - dt.timedelta(minutes=5)))
    assert_rejected(kit.verifier().verify(token), "validity", "expired")


def test_not_yet_valid_credential_is_rejected(kit: IssuerKit) -> None:
    token = kit.token(kit.credential(valid_from=NOW + dt.timedelta(days=1)))
    assert_rejected(kit.verifier().verify(token), "validity", "not_yet_valid")


def test_oversized_token_is_rejected(kit: IssuerKit) -> None:
    token = kit.token(kit.credential(description="x" * 70_000))
    assert_rejected(kit.verifier().verify(token), "parse", "token_too_large")


def test_deeply_nested_json_is_rejected(kit: IssuerKit) -> None:
    payload = b'{"a":' * 5000 + b"1" + b"}" * 5000
    token = sign_raw(header_of(kit), payload, kit.key)
    assert_rejected(kit.verifier().verify(token), "parse", "json_too_deep")


def test_duplicate_json_keys_are_rejected(kit: IssuerKit) -> None:
    body = json.dumps(kit.credential()).encode()
    body = body[:-1] + b', "issuer": "https://stranger.test"}'
    token = sign_raw(header_of(kit), body, kit.key)
    assert_rejected(kit.verifier().verify(token), "parse", "duplicate_json_key")


def test_duplicate_header_keys_are_rejected(kit: IssuerKit) -> None:
    header = b'{"alg":"ES256","alg":"none","kid":"' + kit.key.kid.encode() + b'","typ":"vc+jwt"}'
    _, payload, signature = kit.token().split(".")
    assert_rejected(
        kit.verifier().verify(f"{b64url(header)}.{payload}.{signature}"),
        "parse",
        "duplicate_json_key",
    )


def test_jwe_is_rejected(kit: IssuerKit) -> None:
    jwe = ".".join(
        b64url(part) for part in (b'{"alg":"RSA-OAEP","enc":"A256GCM"}', b"k", b"iv", b"ct", b"tag")
    )
    assert_rejected(kit.verifier().verify(jwe), "parse", "encrypted_token_unsupported")


def test_json_serialization_is_rejected(kit: IssuerKit) -> None:
    head, payload, signature = kit.token().split(".")
    general = json.dumps(
        {"payload": payload, "signatures": [{"protected": head, "signature": signature}]}
    )
    assert_rejected(kit.verifier().verify(general), "parse", "json_serialization_unsupported")
    flattened = json.dumps({"payload": payload, "protected": head, "signature": signature})
    assert_rejected(kit.verifier().verify(flattened), "parse", "json_serialization_unsupported")


def test_non_base64url_characters_are_rejected(kit: IssuerKit) -> None:
    token = kit.token()
    for bad in (
        token.replace("-", "+", 1),
        token[:10] + "=" + token[10:],
        token[:10] + " " + token[10:],
    ):
        if bad != token:
            assert_rejected(kit.verifier().verify(bad), "parse", "malformed_token")


def test_nested_jwt_cty_is_rejected(kit: IssuerKit) -> None:
    assert_rejected(kit.verifier().verify(kit.token(cty="JWT")), "header", "unsupported_token_type")


def test_vc_and_vp_claims_are_rejected(kit: IssuerKit) -> None:
    assert_rejected(
        kit.verifier().verify(kit.token(kit.credential(vp={"x": 1}))),
        "credential",
        "vc_vp_claim_present",
    )


# --- status list attacks (BSL §3.2, RFC 8725bis decompression) ------------------------------


def verify_with_list(kit: IssuerKit, list_token: str) -> VerificationResult:
    verifier = Verifier(
        trusted_issuers=[kit.base],
        key_resolver=StaticKeyResolver.from_jwks(kit.base, kit.jwks),
        status_source=StaticStatusSource(list_token, NOW),
        clock=lambda: NOW,
    )
    return verifier.verify(kit.token())


def test_status_list_signed_by_stranger_is_rejected(kit: IssuerKit) -> None:
    stranger = new_es256()
    token = sign(kit.status_list_payload(), stranger, kid=kit.key.kid)
    assert_rejected(verify_with_list(kit, token), "status", "status_verification_error")


def test_status_list_of_another_issuer_is_rejected(kit: IssuerKit) -> None:
    stranger = IssuerKit(base="https://stranger.test")
    assert_rejected(
        verify_with_list(kit, stranger.status_list_token()), "status", "status_verification_error"
    )


def test_status_list_decompression_bomb_is_rejected(kit: IssuerKit) -> None:
    bomb = "u" + b64url(gzip.compress(bytes(64 * 1024 * 1024)))
    payload = kit.status_list_payload()
    payload["credentialSubject"]["encodedList"] = bomb
    assert_rejected(
        verify_with_list(kit, sign(payload, kit.key)), "status", "status_verification_error"
    )


def test_credential_as_status_list_is_rejected(kit: IssuerKit) -> None:
    assert_rejected(verify_with_list(kit, kit.token()), "status", "status_verification_error")


def test_eddsa_stranger_reusing_ed25519_kid_is_rejected(kit: IssuerKit) -> None:
    stranger = new_ed25519()
    token = sign(kit.credential(), stranger, kid=kit.ed_key.kid)
    assert_rejected(kit.verifier().verify(token), "signature", "bad_signature")


# --- verify URL (SSRF, RFC 8725 §3.10 in spirit) --------------------------------------------


@pytest.mark.parametrize(
    "url",
    [
        "http://169.254.169.254/latest/meta-data",
        "http://127.0.0.1:22/",
        "https://issuer.test@evil.test/v/1",
        "https://evil.test/?https://issuer.test/v/1",
        "javascript:alert(1)//https://issuer.test",
    ],
)
def test_verify_url_outside_trusted_issuers_is_never_fetched(kit: IssuerKit, url: str) -> None:
    fetched: list[str] = []

    class Locator:
        def locate_credential(self, verify_url: str) -> str:
            fetched.append(verify_url)
            return kit.token()

    result = kit.verifier(credential_locator=Locator()).verify_submission(url)
    assert fetched == []
    if url.startswith("javascript"):
        assert_rejected(result, "parse", "malformed_token")
    else:
        assert_rejected(result, "locate", "untrusted_verify_url")


# --- dot segments and encoded separators in URLs under a trusted issuer ----------------------

ISSUER_WITH_PATH = "https://issuer.test/org"
_ESCAPES = [
    "../x",
    "%2e%2e/x",
    "%2E%2e/x",
    ".%2e/x",
    "%2e./x",
    "./v/x",
    "%2e/v/x",
    "..%2fx",
    "..%2Fx",
    "%2e%2e%2fx",
    "..\\x",
    "%5c..%5cx",
    "..%5cx",
    "%252e%252e/x",
    "..;/x",
    "v/../../x",
]


@pytest.mark.parametrize("tail", _ESCAPES)
def test_dot_segment_urls_are_not_under_the_trusted_issuer(tail: str) -> None:
    trusted = TrustedIssuers([ISSUER_WITH_PATH, "https://other.test"])
    assert trusted.issuer_for_url(f"{ISSUER_WITH_PATH}/{tail}") is None
    assert trusted.issuer_for_url(f"https://other.test/{tail}") is None
    assert trusted.issuer_for_url(f"{ISSUER_WITH_PATH}/v/123") == ISSUER_WITH_PATH


@pytest.mark.parametrize("tail", _ESCAPES)
def test_dot_segment_verify_url_is_never_fetched(kit: IssuerKit, tail: str) -> None:
    fetched: list[str] = []

    class Locator:
        def locate_credential(self, verify_url: str) -> str:
            fetched.append(verify_url)
            return kit.token()

    verifier = Verifier(
        trusted_issuers=[ISSUER_WITH_PATH],
        key_resolver=StaticKeyResolver({}),
        status_source=None,
        credential_locator=Locator(),
    )
    result = verifier.verify_submission(f"{ISSUER_WITH_PATH}/{tail}")
    assert fetched == []
    assert_rejected(result, "locate", "untrusted_verify_url")


@pytest.mark.parametrize("tail", _ESCAPES)
def test_dot_segment_status_list_url_is_never_fetched(tail: str) -> None:
    asked: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        asked.append(str(request.url))
        return httpx.Response(404)

    source = HttpStatusSource(
        TrustedIssuers([ISSUER_WITH_PATH]),
        build_http_client(transport=httpx.MockTransport(handler)),
    )
    with pytest.raises(StatusRetrievalError, match="trusted issuers"):
        source.fetch_status_list(f"{ISSUER_WITH_PATH}/status/{tail}")
    assert asked == []


@pytest.mark.parametrize("tail", _ESCAPES)
def test_dot_segment_issuer_urls_do_not_parse(tail: str) -> None:
    urls = IssuerUrls(ISSUER_WITH_PATH)
    uuid = "0b5c3f7e-1d2a-4c8b-9e6f-3a2b1c0d9e8f"
    assert urls.parse_verify_page(f"{ISSUER_WITH_PATH}/v/{tail}/{uuid}") is None
    assert urls.parse_verify_page(f"{ISSUER_WITH_PATH}/{tail}/v/{uuid}") is None
    assert urls.parse_status_list(f"{ISSUER_WITH_PATH}/status/{tail}/1") is None
    assert urls.parse_verify_page(f"{ISSUER_WITH_PATH}/v/{uuid}") == uuid
