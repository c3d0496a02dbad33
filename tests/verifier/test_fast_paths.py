"""The first-sight fast paths answer exactly as the code they replaced (decision 0063):
the compact-JWS shape test as its regular expression, base64url decoding as the standard
library's strict reading, ES256 as PyJWT, and shared passed checks as fresh ones."""

from __future__ import annotations

import base64
import binascii
import re

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import ec, ed25519
from hypothesis import given
from hypothesis import strategies as st
from jwcrypto import jwk, jws

from verifier.encoding import b64url_decode
from verifier.errors import CredentialErrorCode, MalformedError, ParseError, SignatureError
from verifier.jws import _compact_parts, decode_unverified_jws, verify_jws_signature
from verifier.result import Check, CheckCode
from verifier.verification import _PASSED_MAX, _passed_check

_OLD_COMPACT = re.compile(r"[A-Za-z0-9_\-]+\.[A-Za-z0-9_\-]+\.[A-Za-z0-9_\-]*")
_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"


@given(st.text(alphabet=_ALPHABET + ".+/= é\n~", max_size=40))
def test_the_shape_test_is_the_regular_expression(text: str) -> None:
    parts = _compact_parts(text)
    assert (parts is not None) is bool(_OLD_COMPACT.fullmatch(text))
    if parts is not None:
        assert b".".join(parts) == text.encode("ascii")
        assert [p.decode("ascii") for p in parts] == text.split(".")


@pytest.mark.parametrize(
    "token",
    ["a.b.c", "a.b.", ".b.c", "a..c", "a.b.c=", "a.b.c+", "a.b.é", "ab.cd.ef", "a.b.c.d", "abc"],
)
def test_the_shape_test_on_edges(token: str) -> None:
    assert (_compact_parts(token) is not None) is bool(_OLD_COMPACT.fullmatch(token))


def _reference_decode(text: str) -> bytes:
    """The strict base64url reading before the SIMD decoder (stdlib), for comparison."""
    raw = text.encode("ascii")
    if raw.translate(None, _ALPHABET.encode()) or len(raw) % 4 == 1:
        raise MalformedError("not base64url")
    decoded = base64.urlsafe_b64decode(raw + b"=" * (-len(raw) % 4))
    if base64.urlsafe_b64encode(decoded).rstrip(b"=") != raw:
        raise MalformedError("not canonical base64url")
    return decoded


_SHAPE_CODES = {
    CredentialErrorCode.ENCRYPTED_TOKEN_UNSUPPORTED,
    CredentialErrorCode.MALFORMED_TOKEN,
    CredentialErrorCode.INVALID_BASE64URL,
}


def _expected_shape_code(token: str) -> CredentialErrorCode | None:
    """What the code before the one-pass split refused a token for, if for its shape."""
    if token.count(".") == 4:
        return CredentialErrorCode.ENCRYPTED_TOKEN_UNSUPPORTED
    if not _OLD_COMPACT.fullmatch(token):
        return CredentialErrorCode.MALFORMED_TOKEN
    try:
        for part in token.split("."):
            _reference_decode(part)
    except (MalformedError, binascii.Error):
        return CredentialErrorCode.INVALID_BASE64URL
    return None


@given(st.text(alphabet=_ALPHABET[:8] + "-_.+/=é", min_size=1, max_size=40))
def test_decoding_refuses_a_shape_as_before(token: str) -> None:
    try:
        decode_unverified_jws(token)
        code = None
    except ParseError as exc:
        code = exc.code
    expected = _expected_shape_code(token)
    if expected is not None:
        assert code == expected
    else:
        assert code not in _SHAPE_CODES  # the parts decoded; JSON may still fail


@given(st.binary(max_size=200))
def test_base64url_round_trips(data: bytes) -> None:
    text = base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")
    assert b64url_decode(text) == data


@given(st.text(alphabet=_ALPHABET + "+/=", max_size=30))
def test_base64url_refuses_what_the_strict_reference_refuses(text: str) -> None:
    try:
        expected: bytes | None = _reference_decode(text)
    except (MalformedError, binascii.Error):
        expected = None
    try:
        got: bytes | None = b64url_decode(text)
    except MalformedError:
        got = None
    assert got == expected


def _public(key: jwk.JWK) -> ec.EllipticCurvePublicKey:
    public = key.get_op_key("verify")
    assert isinstance(public, ec.EllipticCurvePublicKey)
    return public


def _es256_token() -> tuple[str, jwk.JWK]:
    key = jwk.JWK.generate(kty="EC", crv="P-256")
    signed = jws.JWS(b'{"a":1}')
    signed.add_signature(key, alg="ES256", protected={"alg": "ES256"})
    return signed.serialize(compact=True), key


def test_an_es256_signature_made_by_another_library_verifies() -> None:
    token, key = _es256_token()
    public = _public(key)
    verify_jws_signature(decode_unverified_jws(token), public, "ES256")
    assert jwt.decode(token, public, algorithms=["ES256"]) == {"a": 1}


@pytest.mark.parametrize(
    "other",
    [
        lambda: ec.generate_private_key(ec.SECP384R1()).public_key(),
        lambda: ec.generate_private_key(ec.SECP256R1()).public_key(),
        lambda: ed25519.Ed25519PrivateKey.generate().public_key(),
    ],
)
def test_es256_refuses_any_other_key(other: object) -> None:
    token, _key = _es256_token()
    with pytest.raises(SignatureError):
        verify_jws_signature(decode_unverified_jws(token), other(), "ES256")  # type: ignore[operator]


def test_es256_refuses_a_changed_signature() -> None:
    token, key = _es256_token()
    head, payload, signature = token.split(".")
    raw = bytearray(base64.urlsafe_b64decode(signature + "=="))
    raw[10] ^= 1
    changed = base64.urlsafe_b64encode(bytes(raw)).rstrip(b"=").decode()
    with pytest.raises(SignatureError):
        verify_jws_signature(
            decode_unverified_jws(f"{head}.{payload}.{changed}"), _public(key), "ES256"
        )


def test_a_token_of_other_characters_is_refused_as_before() -> None:
    with pytest.raises(ParseError) as refused:
        decode_unverified_jws("ab*c.def.ghi")
    assert refused.value.code == "malformed_token"


def test_shared_passed_checks_equal_fresh_ones_and_stay_bounded() -> None:
    shared = _passed_check(CheckCode.SIGNATURE, "the signature verifies")
    assert shared == Check(code=CheckCode.SIGNATURE, passed=True, detail="the signature verifies")
    assert _passed_check(CheckCode.SIGNATURE, "the signature verifies") is shared
    for n in range(_PASSED_MAX + 10):  # details an attacker could vary: never unbounded
        assert _passed_check(CheckCode.STATUS, f"{n} ignored").detail == f"{n} ignored"
    from verifier.verification import _PASSED

    assert len(_PASSED) <= _PASSED_MAX
