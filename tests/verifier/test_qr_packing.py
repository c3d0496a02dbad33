"""QR packing (issue 7): lossless, versioned, published, and refused cleanly when damaged."""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import json
import re
from pathlib import Path
from typing import Any

import pytest
import zxingcpp
from fastapi import FastAPI
from fastapi.testclient import TestClient
from hypothesis import given, settings
from hypothesis import strategies as st
from jwcrypto import jwk, jws
from PIL import Image
from typer.testing import CliRunner

from tests.verifier.kit import IssuerKit, sign_raw
from verifier import cli
from verifier.encoding import b64url_decode
from verifier.errors import LocatorError
from verifier.qr_packing import (
    DICTIONARIES,
    DICTIONARY,
    DICTIONARY_SHA256,
    MAX_PACKED_DIGITS,
    VERSION,
    pack_credential,
    packed_credential_in,
    packed_length,
    packed_length_of,
    packed_verify_url,
    unpack_credential,
)
from verifier.result import CheckCode
from verifier.sources.keys import StaticKeyResolver
from verifier.web.api import create_verify_router

ROOT = Path(__file__).resolve().parents[2]
# One file per format version: version 1's is frozen (codes printed with it keep verifying).
VECTOR_FILES: dict[int, dict[str, Any]] = {
    1: json.loads((ROOT / "docs/qr-packing-vectors.json").read_text("utf-8")),
    2: json.loads((ROOT / "docs/qr-packing-vectors-v2.json").read_text("utf-8")),
}
VECTORS = VECTOR_FILES[VERSION]
ALL_VECTORS = [
    (version, vector) for version, file in VECTOR_FILES.items() for vector in file["vectors"]
]


def _vector_id(item: tuple[int, dict[str, Any]]) -> str:
    return f"v{item[0]} {item[1]['description']}"


def _verify_independently(token: str, public_jwk: dict[str, Any]) -> None:
    signed = jws.JWS()
    signed.deserialize(token)
    signed.verify(jwk.JWK(**public_jwk), alg=signed.jose_header["alg"])


@pytest.mark.parametrize("item", ALL_VECTORS, ids=_vector_id)
def test_vector_unpacks_to_the_exact_jws_which_jwcrypto_verifies(
    item: tuple[int, dict[str, Any]],
) -> None:
    version, vector = item
    assert vector["packed"][0] == str(version)
    token = unpack_credential(vector["packed"])
    assert token == vector["jws"]
    assert vector["qr_text"].endswith(f"/c#{vector['packed']}")
    assert unpack_credential(packed_credential_in(vector["qr_text"]) or "") == vector["jws"]
    _verify_independently(token, vector["jwk"])
    assert unpack_credential(pack_credential(vector["jws"])) == vector["jws"]


@pytest.mark.parametrize("item", ALL_VECTORS, ids=_vector_id)
def test_packing_reproduces_the_published_vector(item: tuple[int, dict[str, Any]]) -> None:
    # The compressor's settings are not part of the format, but changing them must not move
    # a single digit of what the issuer prints (docs/qr-packing-vectors*.json).
    version, vector = item
    assert pack_credential(vector["jws"], version=version) == vector["packed"]
    assert packed_length(vector["jws"], version=version) == len(vector["packed"])


@pytest.mark.parametrize("version", sorted(VECTOR_FILES))
def test_dictionary_is_the_published_one(version: int) -> None:
    dictionary = DICTIONARIES[version]
    published = VECTOR_FILES[version]["dictionary"]
    assert VECTOR_FILES[version]["version"] == version
    assert (ROOT / published["path"]).read_bytes() == dictionary
    assert published["sha256"] == hashlib.sha256(dictionary).hexdigest()
    assert published["bytes"] == len(dictionary)
    assert published["sha256"] in (ROOT / "docs/credential-format.md").read_text("utf-8")
    assert hashlib.sha256(DICTIONARY).hexdigest() == DICTIONARY_SHA256


def test_version_2_dictionary_is_version_1_with_todays_context_list() -> None:
    # Decision 0053: the one change in the credential text is its last context.
    v1, v2 = DICTIONARIES[1], DICTIONARIES[2]
    added = b',"https://www.w3.org/ns/credentials/undefined-terms/v2"'
    assert v2 == v1.replace(b'context-3.0.3.json"]', b'context-3.0.3.json"' + added + b"]")
    assert v2 != v1


@pytest.mark.parametrize("version", sorted(VECTOR_FILES))
def test_dictionary_is_served_immutable(version: int) -> None:
    app = FastAPI()
    app.include_router(create_verify_router(IssuerKit().verifier(status=False)))
    response = TestClient(app).get(VECTOR_FILES[version]["dictionary"]["url_path"])
    assert response.status_code == 200
    assert response.content == DICTIONARIES[version]
    assert "immutable" in response.headers["cache-control"]


def test_a_code_printed_with_version_1_keeps_verifying() -> None:
    kit = IssuerKit()
    token = kit.token()
    old = pack_credential(token, version=1)
    new = pack_credential(token)
    assert (old[0], new[0]) == ("1", "2")
    for packed in (old, new):
        assert unpack_credential(packed) == token
        result = kit.verifier(status=False).verify_submission(f"{kit.base}/c#{packed}")
        assert result.verified, result.problems


def test_packing_refuses_a_version_it_has_no_dictionary_for() -> None:
    with pytest.raises(LocatorError) as caught:
        pack_credential(IssuerKit().token(), version=3)
    assert caught.value.code == "invalid_packed_credential"


def test_digits_read_with_the_other_version_dictionary_never_verify() -> None:
    kit = IssuerKit()
    token = kit.token()
    for packed in (pack_credential(token, version=1), pack_credential(token, version=2)):
        swapped = ("2" if packed[0] == "1" else "1") + packed[1:]
        result = kit.verifier(status=False).verify_submission(swapped)
        assert not result.verified
        assert result.status.value in ("unreadable", "invalid")


def test_every_header_form_round_trips() -> None:
    kit = IssuerKit()
    payload = kit.credential()
    tokens = [
        kit.token(payload),
        kit.token(payload, key=kit.ed_key),
        kit.token(payload, typ="JWT"),
        sign_raw(
            {"alg": "ES256", "kid": "https://x.example/k#1", "typ": "vc+jwt"}, payload, kit.key
        ),
    ]
    for token in tokens:
        packed = pack_credential(token)
        assert packed.isdigit()
        assert packed[0] == str(VERSION) == "2"
        assert len(packed) == packed_length(token)
        assert packed_length_of(*(b64url_decode(part) for part in token.split("."))) == len(packed)
        assert unpack_credential(packed) == token


def test_packed_link_verifies_without_fetching_the_credential() -> None:
    kit = IssuerKit()
    token = kit.token()
    verifier = kit.verifier(status=False)  # no credential locator: nothing to fetch
    for submitted in (packed_verify_url(kit.base, token), pack_credential(token)):
        result = verifier.verify_submission(submitted)
        assert result.verified, result.problems
        assert result.checks[0].code is CheckCode.LOCATE
        assert result.checks[0].passed
        assert result.checks[1].code is CheckCode.PARSE


def test_packed_link_of_a_forged_credential_is_not_verified() -> None:
    kit, stranger = IssuerKit(), IssuerKit()
    token = stranger.token(kit.credential(), key=stranger.key)  # right issuer, wrong key
    result = kit.verifier(status=False).verify_submission(packed_verify_url(kit.base, token))
    assert not result.verified
    assert result.status.value == "invalid"


@pytest.mark.parametrize(
    ("packed", "why"),
    [
        ("3" + "7" * 300, "unknown version"),
        ("0" + "7" * 300, "version zero"),
        ("10" + "7" * 300, "leading zero"),
        ("1", "empty"),
        ("1" + "9" * 300, "unknown header form"),
        ("1" + "7" * (MAX_PACKED_DIGITS + 1), "longer than any QR code"),
    ],
)
def test_damaged_packed_forms_are_refused_with_a_code(packed: str, why: str) -> None:
    with pytest.raises(LocatorError) as caught:
        unpack_credential(packed)
    assert caught.value.code == "invalid_packed_credential", why


def test_truncated_or_extended_packed_form_is_refused() -> None:
    packed = VECTORS["vectors"][0]["packed"]
    for damaged in (packed[:-40], packed + "000"):
        with pytest.raises(LocatorError):
            unpack_credential(damaged)
    result = IssuerKit().verifier(status=False).verify_submission(packed[:-40])
    assert not result.verified
    assert result.checks[0].code is CheckCode.LOCATE
    assert result.checks[0].error == "invalid_packed_credential"


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet="0123456789", min_size=1, max_size=2000))
def test_any_digits_unpack_or_raise_locator_error(digits: str) -> None:
    with contextlib.suppress(LocatorError):
        unpack_credential(digits)


@settings(max_examples=50, deadline=None)
@given(st.integers(min_value=0, max_value=1069), st.sampled_from("0123456789"))
def test_one_changed_digit_never_verifies(position: int, digit: str) -> None:
    vector = VECTORS["vectors"][0]
    packed = vector["packed"]
    changed = packed[:position] + digit + packed[position + 1 :]
    if changed == packed:
        return
    verifier = IssuerKit(base=VECTORS["base_url"]).verifier(status=False)
    verifier.key_resolver = _vector_keys(vector)
    assert not verifier.verify_submission(changed).verified


def _vector_keys(vector: dict[str, Any]) -> StaticKeyResolver:
    return StaticKeyResolver.from_jwks(VECTORS["base_url"], {"keys": [vector["jwk"]]})


def test_vector_verifies_through_the_verifier() -> None:
    vector = VECTORS["vectors"][0]
    kit = IssuerKit(base=VECTORS["base_url"])
    verifier = kit.verifier(status=False, clock_now=dt.datetime(2026, 11, 1, tzinfo=dt.UTC))
    verifier.key_resolver = _vector_keys(vector)
    result = verifier.verify_submission(vector["qr_text"])
    assert result.verified, result.problems


def test_other_submissions_are_not_taken_for_packed_forms() -> None:
    kit = IssuerKit()
    assert packed_credential_in(kit.token()) is None
    assert packed_credential_in(f"{kit.base}/v/0b7f3c2e-5a41-4d3b-9c1e-7d2f6a8b9c10") is None
    assert packed_credential_in(f"{kit.base}/c#not-digits") is None


def test_packed_link_page_loads_its_script_from_the_verifier_only() -> None:
    app = FastAPI()
    app.include_router(create_verify_router(IssuerKit().verifier(status=False)))
    client = TestClient(app)
    page = client.get("/c")
    assert page.status_code == 200
    scripts = re.findall(r"<script[^>]*>", page.text)
    # No inline script: the one other element is the page's words, data the browser never runs.
    assert scripts == [
        '<script type="module" src="verify/verify.js">',
        '<script type="application/json" id="words">',
    ]
    script = client.get("/verify/verify.js")
    assert script.status_code == 200
    assert script.headers["content-type"].startswith("text/javascript")
    assert "location.hash" in script.text
    assert 'from "./verify-core.mjs"' in script.text  # verified in the page (decision 0028)
    assert client.get("/verify/verify-core.mjs").status_code == 200
    assert client.get("/verify/other.mjs").status_code == 404


def test_cli_verifies_a_packed_qr_image_and_a_packed_link(tmp_path: Path) -> None:
    kit = IssuerKit()
    text = packed_verify_url(kit.base, kit.token())
    barcode = zxingcpp.create_barcode(text, zxingcpp.BarcodeFormat.QRCode, ec_level="M")
    pixels = barcode.to_image(scale=6)
    height, width = pixels.shape
    picture = tmp_path / "qr.png"
    # zxingcpp.Image exports the buffer protocol; its stub does not declare __buffer__.
    raw = bytes(memoryview(pixels))  # type: ignore[arg-type]
    Image.frombuffer("L", (width, height), raw, "raw", "L", 0, 1).save(picture)
    jwks = tmp_path / "jwks.json"
    jwks.write_text(json.dumps(kit.jwks))
    runner = CliRunner()
    for source in (["--qr", str(picture)], [text]):
        result = runner.invoke(cli.app, [*source, "--jwks", str(jwks), "--no-status"])
        assert result.exit_code == 0, result.output
        assert "locate" in result.stdout
        assert "VALID" in result.stdout
