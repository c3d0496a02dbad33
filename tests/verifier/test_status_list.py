"""Bitstring Status List decoding: the W3C vector, derived vectors, an independent decoder,
and the status list credential's own checks."""

from __future__ import annotations

import base64
import datetime as dt
import gzip
import json
import zlib
from pathlib import Path
from typing import Any

import pytest

from tests.verifier.kit import NOW, STATUS_INDEX, IssuerKit, encode_list, new_es256, sign
from verifier.errors import StatusError, StatusListLengthError, StatusRangeError
from verifier.result import CredentialStatus, VerificationResult
from verifier.sources.keys import StaticKeyResolver
from verifier.sources.status_lists import StaticStatusSource
from verifier.status_list import (
    MAX_BITSTRING_BYTES,
    decode_encoded_list,
    parse_status_index,
    parse_status_size,
    read_status,
)
from verifier.verification import Verifier

VECTORS = Path(__file__).resolve().parents[1] / "vectors"
BSL_VECTOR = json.loads((VECTORS / "bitstring-status-list.json").read_text())


def independent_status(encoded_list: str, index: int) -> int:
    """Written straight from BSL §2.2/§3.2/§7.1 without the verifier's code: strip the
    multibase 'u', base64url-decode (re-pad), gunzip, then index 0 is the left-most bit."""
    assert encoded_list[0] == "u"
    raw = encoded_list[1:]
    compressed = base64.urlsafe_b64decode(raw + "=" * (-len(raw) % 4))
    bits = "".join(format(byte, "08b") for byte in gzip.decompress(compressed))
    return int(bits[index])


def test_w3c_example_decodes_to_131072_zero_bits() -> None:
    example = BSL_VECTOR["spec_example"]
    encoded = example["statusListCredential"]["credentialSubject"]["encodedList"]
    bitstring = decode_encoded_list(encoded)
    assert len(bitstring) == example["expected"]["uncompressed_bytes"] == 16_384
    assert len(bitstring) * 8 == example["expected"]["bit_length"]
    assert not any(bitstring)
    index = parse_status_index(example["credentialStatus_entry"]["statusListIndex"])
    assert read_status(bitstring, index) == example["expected"]["status_at_94567"] == 0
    assert independent_status(encoded, index) == 0


def test_derived_vector_sets_bits_0_and_94567_msb_first() -> None:
    derived = BSL_VECTOR["derived_vectors_NOT_from_spec"]
    bitstring = decode_encoded_list(derived["encodedList"])
    assert bitstring[0] == int(derived["byte_0_hex"], 16) == 0x80
    assert bitstring[11820] == int(derived["byte_11820_hex"], 16) == 0x01
    set_bits = [i for i in range(len(bitstring) * 8) if read_status(bitstring, i)]
    assert set_bits == derived["set_indices"] == [0, 94567]
    for index in (0, 1, 7, 8, 94566, 94567, 94568, 131_071):
        assert read_status(bitstring, index) == independent_status(derived["encodedList"], index)


@pytest.mark.parametrize(
    "indices", [set(), {0}, {131_071}, {5, 94_567, 100_000}, set(range(0, 131_072, 997))]
)
def test_decoder_agrees_with_independent_decoder(indices: set[int]) -> None:
    encoded = encode_list(indices)
    bitstring = decode_encoded_list(encoded)
    for index in sorted(indices | {1, 2, 94_567, 131_070}):
        assert (
            read_status(bitstring, index)
            == independent_status(encoded, index)
            == int(index in indices)
        )


def test_decoder_refuses_lists_shorter_than_minimum() -> None:
    bitstring = decode_encoded_list(encode_list(set(), entries=131_064))
    with pytest.raises(StatusListLengthError):
        read_status(bitstring, 3)


def test_decoder_refuses_index_out_of_range() -> None:
    bitstring = decode_encoded_list(encode_list())
    with pytest.raises(StatusRangeError):
        read_status(bitstring, 131_072)


def test_multi_bit_status_size_reads_msb_first() -> None:
    bits = bytearray(32_768)
    bits[0] = 0b1001_0000  # entry 0 = 0b10, entry 1 = 0b01
    assert read_status(bytes(bits), 0, status_size=2) == 2
    assert read_status(bytes(bits), 1, status_size=2) == 1
    assert read_status(bytes(bits), 2, status_size=2) == 0


@pytest.mark.parametrize(
    "encoded",
    [
        "H4sIAAAA",  # no multibase prefix
        "z" + encode_list()[1:],  # base58btc prefix
        "u!!!",
        "u"
        + base64.urlsafe_b64encode(zlib.compress(bytes(16_384)))
        .decode()
        .rstrip("="),  # zlib, not gzip
        encode_list()[:-8],  # truncated member
        "u"
        + base64.urlsafe_b64encode(gzip.compress(bytes(16_384), mtime=0) + b"junk")
        .decode()
        .rstrip("="),
        12345,
    ],
)
def test_decoder_refuses_malformed_encoded_lists(encoded: Any) -> None:
    with pytest.raises(StatusError) as caught:
        decode_encoded_list(encoded)
    assert caught.value.code == "malformed_status_list"


def test_decoder_caps_inflated_size() -> None:
    bomb = "u" + base64.urlsafe_b64encode(
        gzip.compress(bytes(MAX_BITSTRING_BYTES + 1))
    ).decode().rstrip("=")
    assert len(bomb) < 10_000
    with pytest.raises(StatusError) as caught:
        decode_encoded_list(bomb)
    assert caught.value.code == "malformed_status_list"


@pytest.mark.parametrize("value", ["-1", "01", "1.0", " 1", 5, None, "1" * 30, "٣"])
def test_status_index_must_be_a_decimal_string(value: Any) -> None:
    with pytest.raises(StatusError):
        parse_status_index(value)


@pytest.mark.parametrize(("value", "size"), [(None, 1), (1, 1), (2, 2)])
def test_status_size(value: Any, size: int) -> None:
    assert parse_status_size(value) == size


@pytest.mark.parametrize("value", [0, -1, True, "1", 9])
def test_status_size_refuses(value: Any) -> None:
    with pytest.raises(StatusError):
        parse_status_size(value)


# --- the status list credential's own checks, through the verifier ------------------------


def verify_with_list(kit: IssuerKit, list_token: str) -> Any:
    verifier = Verifier(
        trusted_issuers=[kit.base],
        key_resolver=StaticKeyResolver.from_jwks(kit.base, kit.jwks),
        status_source=StaticStatusSource(list_token, NOW),
        clock=lambda: NOW,
    )
    return verifier.verify(kit.token())


def status_error(result: VerificationResult) -> str | None:
    assert result.status is CredentialStatus.UNAVAILABLE, "the status could not be checked"
    failed = result.failed_check()
    assert failed is not None
    assert failed.code.value == "status"
    return failed.error


def test_status_list_accepts_issuer_as_profile_object() -> None:
    kit = IssuerKit()
    token = sign(kit.status_list_payload(issuer={"id": kit.base, "type": ["Profile"]}), kit.key)
    assert verify_with_list(kit, token).verified


@pytest.mark.parametrize(
    ("overrides", "code"),
    [
        ({"issuer": "https://other.test"}, "status_verification_error"),
        ({"iss": "https://other.test"}, "status_verification_error"),
        ({"type": ["VerifiableCredential"]}, "status_verification_error"),
        ({"id": "https://issuer.test/status/99"}, "status_verification_error"),
        ({"validUntil": "2026-01-01T00:00:00Z"}, "status_verification_error"),
        ({"@context": ["https://www.w3.org/2018/credentials/v1"]}, "status_verification_error"),
    ],
)
def test_status_list_own_checks(overrides: dict[str, Any], code: str) -> None:
    kit = IssuerKit()
    token = sign(kit.status_list_payload(**overrides), kit.key)
    assert status_error(verify_with_list(kit, token)) == code


def test_status_list_with_other_purpose_fails() -> None:
    kit = IssuerKit()
    assert status_error(verify_with_list(kit, kit.status_list_token(purpose="suspension"))) == (
        "status_verification_error"
    )


def test_status_list_too_short_fails_with_length_error() -> None:
    kit = IssuerKit()
    result = verify_with_list(kit, kit.status_list_token(entries=65_536))
    assert status_error(result) == "status_list_length_error"
    assert result.problems[0].type.endswith("status-list#STATUS_LIST_LENGTH_ERROR")


def test_status_index_beyond_list_fails_with_range_error() -> None:
    kit = IssuerKit()
    token = kit.token(kit.credential(index=131_072))
    verifier = Verifier(
        trusted_issuers=[kit.base],
        key_resolver=StaticKeyResolver.from_jwks(kit.base, kit.jwks),
        status_source=StaticStatusSource(kit.status_list_token(), NOW),
        clock=lambda: NOW,
    )
    result = verifier.verify(token)
    assert status_error(result) == "status_index_out_of_range"
    assert result.problems[0].type.endswith("#RANGE_ERROR")


def test_status_list_signed_by_stranger_fails() -> None:
    kit = IssuerKit()
    stranger = new_es256()
    token = sign(kit.status_list_payload(), stranger, kid=kit.key.kid)
    assert status_error(verify_with_list(kit, token)) == "status_verification_error"


def test_status_list_with_wrong_typ_fails() -> None:
    kit = IssuerKit()
    token = sign(kit.status_list_payload(), kit.key, typ="JWT")
    assert status_error(verify_with_list(kit, token)) == "status_verification_error"


def test_status_list_garbage_fails_verification() -> None:
    kit = IssuerKit()
    assert status_error(verify_with_list(kit, "garbage")) == "status_verification_error"


def test_status_list_expiry_window_checked_with_now() -> None:
    kit = IssuerKit()
    fresh = kit.status_list_payload(
        validUntil=(NOW + dt.timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
    )
    assert verify_with_list(kit, sign(fresh, kit.key)).verified


def test_revoked_bit_in_list_gives_revoked_through_static_source() -> None:
    kit = IssuerKit()
    token = kit.status_list_token(set_indices={STATUS_INDEX})
    assert verify_with_list(kit, token).status is CredentialStatus.REVOKED
