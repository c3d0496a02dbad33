"""Token Status List decoding against the draft's vectors (tests/vectors/token-status-list.json),
and the Status List Token's own checks."""

from __future__ import annotations

import base64
import datetime as dt
import json
import zlib
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric import ec

from tests.issuer.sd_jwt_helpers import b64url, public_jwk, sign_es256
from verifier.errors import MalformedError, StatusRangeError, StatusVerificationError
from verifier.sources.keys import StaticKeyResolver
from verifier.sources.status_lists import StaticStatusSource
from verifier.token_status_list import (
    TokenStatus,
    check_token_status,
    decode_token_status_list,
)

VECTORS = Path(__file__).resolve().parents[1] / "vectors"
DATA = json.loads((VECTORS / "token-status-list.json").read_text("utf-8"))
ISSUER = "https://issuer.example"
URI = f"{ISSUER}/status/1/tsl"
NOW = dt.datetime(2026, 12, 1, tzinfo=dt.UTC)


@pytest.mark.parametrize("example", DATA["small_examples"], ids=lambda e: f"{e['bits']}-bit")
def test_small_vectors_decode_index_by_index(example: dict[str, Any]) -> None:
    decoded = decode_token_status_list(example["status_list"])
    assert decoded.data.hex() == example["uncompressed_hex"]
    statuses = example["statuses_by_index"]
    assert [decoded.value_at(i) for i in range(len(statuses))] == statuses


@pytest.mark.parametrize("vector", DATA["long_vectors"], ids=lambda v: v["section"])
def test_long_vectors_decode_every_assignment(vector: dict[str, Any]) -> None:
    decoded = decode_token_status_list(vector["status_list"])
    assert decoded.size == vector["size_entries"]
    assigned = {a["index"]: int(a["value"], 2) for a in vector["assignments"]}
    for index, value in assigned.items():
        assert decoded.value_at(index) == value
    for index in (1, 2, 1992, 1994, 1_048_575):  # a few unassigned entries read VALID
        if index not in assigned:
            assert decoded.value_at(index) == 0


def test_index_order_is_least_significant_bit_first() -> None:
    # The 1-bit example: byte 0 is 0xB9 = 1011 1001; index 0 is its lowest bit (1),
    # index 1 the next (0). The Bitstring Status List would read index 0 from the top bit.
    decoded = decode_token_status_list({"bits": 1, "lst": "eNrbuRgAAhcBXQ"})
    assert decoded.data[0] == 0xB9
    assert [decoded.value_at(i) for i in range(8)] == [1, 0, 0, 1, 1, 1, 0, 1]


def test_index_outside_the_list_is_refused() -> None:
    decoded = decode_token_status_list(DATA["small_examples"][1]["status_list"])
    with pytest.raises(StatusRangeError):
        decoded.value_at(decoded.size)
    with pytest.raises(StatusRangeError):
        decoded.value_at(-1)


@pytest.mark.parametrize(
    "status_list",
    [
        {"bits": 3, "lst": "eNrbuRgAAhcBXQ"},
        {"bits": True, "lst": "eNrbuRgAAhcBXQ"},
        {"bits": 1},
        {"bits": 1, "lst": "not base64!"},
        {"bits": 1, "lst": b64url(b"not zlib at all")},
        {"bits": 1, "lst": b64url(zlib.compress(bytes(32 * 1024 * 1024), 9))},  # a zip bomb
        {"bits": 1, "lst": b64url(zlib.compress(b"\x01\x02\x03", 9)[:-3])},  # truncated
        ["bits", 1],
    ],
)
def test_malformed_lists_are_refused(status_list: Any) -> None:
    with pytest.raises(MalformedError):
        decode_token_status_list(status_list)


def test_the_drafts_token_example_carries_the_small_list() -> None:
    example = DATA["status_list_token_jwt_example"]
    payload_part = example["compact"].split(".")[1]
    payload = json.loads(base64.urlsafe_b64decode(payload_part + "=" * (-len(payload_part) % 4)))
    assert payload == example["decoded_payload"]
    decoded = decode_token_status_list(payload["status_list"])
    assert decoded.value_at(0) == 1
    assert decoded.value_at(1) == 0


# --- the Status List Token's checks --------------------------------------------------------


def _token(key: ec.EllipticCurvePrivateKey, **changes: Any) -> str:
    lst = b64url(zlib.compress(bytes([0b00_00_10_01]) + bytes(31), 9))  # idx0 1, idx1 2
    header = {"alg": "ES256", "kid": "k1", "typ": "statuslist+jwt", **changes.pop("header", {})}
    claims = {
        "iss": ISSUER,
        "sub": URI,
        "iat": int(NOW.timestamp()) - 60,
        "exp": int(NOW.timestamp()) + 3600,
        "ttl": 300,
        "status_list": {"bits": 2, "lst": lst},
        **changes,
    }
    return sign_es256(key, header, claims)


def _check(token: str, key: ec.EllipticCurvePrivateKey, idx: int = 0) -> TokenStatus:
    keys = StaticKeyResolver.from_jwks(ISSUER, {"keys": [{**public_jwk(key), "kid": "k1"}]})
    outcome = check_token_status(
        {"status_list": {"idx": idx, "uri": URI}},
        issuer_id=ISSUER,
        source=StaticStatusSource(token, NOW),
        keys=keys,
        now=NOW,
    )
    return outcome.status


def test_status_values_read_as_statuses() -> None:
    key = ec.generate_private_key(ec.SECP256R1())
    token = _token(key)
    assert _check(token, key, 0) is TokenStatus.REVOKED
    assert _check(token, key, 1) is TokenStatus.SUSPENDED
    assert _check(token, key, 2) is TokenStatus.VALID


@pytest.mark.parametrize(
    "changes",
    [
        {"sub": f"{ISSUER}/status/2/tsl"},
        {"exp": int(NOW.timestamp()) - 3600},
        {"iss": "https://other.example"},
        {"ttl": -5},
        {"header": {"typ": "JWT"}},
        {"header": {"alg": "HS256"}},
        {"header": {"jwk": {"kty": "EC"}}},
        {"status_list": {"bits": 2, "lst": "AAAA"}},
    ],
    ids=["sub", "expired", "iss", "ttl", "typ", "alg", "jwk", "lst"],
)
def test_status_list_token_is_checked(changes: dict[str, Any]) -> None:
    key = ec.generate_private_key(ec.SECP256R1())
    with pytest.raises(StatusVerificationError):
        _check(_token(key, **changes), key)


def test_status_list_token_signed_by_another_key_is_refused() -> None:
    key = ec.generate_private_key(ec.SECP256R1())
    with pytest.raises(StatusVerificationError):
        _check(_token(ec.generate_private_key(ec.SECP256R1())), key)
