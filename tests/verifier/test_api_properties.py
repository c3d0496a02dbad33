"""Property-based tests: whatever is posted to ``/api/v1/verify``, never a 5xx, always a
well-formed answer. Time is bounded with hypothesis' ``deadline`` (no timed assertions)."""

from __future__ import annotations

import base64
import datetime as dt
import json
from functools import cache
from typing import Any

from fastapi import FastAPI
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.verifier.kit import IssuerKit, sign
from verifier.result import CredentialStatus, VerificationResult
from verifier.web.api import create_verify_router

PROPERTY_SETTINGS = settings(
    max_examples=150,
    deadline=dt.timedelta(seconds=2),
    suppress_health_check=[HealthCheck.too_slow],
    derandomize=True,
)
MEDIA_TYPES = st.sampled_from(
    ["application/json", "application/vc+jwt", "text/plain", "application/xml", ""]
)
JSON_VALUES = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=20),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4)
    ),
    max_leaves=12,
)


@cache
def kit() -> IssuerKit:
    return IssuerKit()


@cache
def client() -> TestClient:
    app = FastAPI()
    app.include_router(create_verify_router(kit().verifier(), run_in_thread=False))
    return TestClient(app, raise_server_exceptions=False)


@cache
def valid_token() -> str:
    return kit().token()


def assert_well_formed(response: Any) -> None:
    assert response.status_code < 500
    if response.status_code != 200:
        assert response.status_code in (400, 413, 415, 422)
        assert response.headers["content-type"] == "application/problem+json"
        assert {"type", "title", "status", "detail"} <= set(response.json())
        return
    result = VerificationResult.model_validate(response.json())
    assert result.checks, "a result always reports at least one check"
    assert result.verified == (result.status is CredentialStatus.VALID)
    assert all(c.error != "internal_error" for c in result.checks)
    if not result.verified:
        assert result.failed_check() is not None or result.status is not CredentialStatus.INVALID


@PROPERTY_SETTINGS
@given(body=st.binary(max_size=4096), media_type=MEDIA_TYPES)
def test_random_bytes_never_5xx(body: bytes, media_type: str) -> None:
    headers = {"content-type": media_type} if media_type else {}
    assert_well_formed(client().post("/api/v1/verify", content=body, headers=headers))


@PROPERTY_SETTINGS
@given(text=st.text(alphabet=st.sampled_from('ABCxyz019-_.~{}"= \n/:'), max_size=400))
def test_token_alphabet_text_never_5xx(text: str) -> None:
    assert_well_formed(client().post("/api/v1/verify", json={"credential": text}))


@PROPERTY_SETTINGS
@given(data=st.data())
def test_mutated_valid_tokens_never_5xx_and_never_verify(data: st.DataObject) -> None:
    token = bytearray(valid_token().encode())
    kind = data.draw(st.sampled_from(["flip", "truncate", "insert", "swap"]))
    if kind == "flip":
        position = data.draw(st.integers(0, len(token) - 1))
        token[position] = data.draw(st.sampled_from(b"ABCDEFabcdef0123456789-_.~=!"))
    elif kind == "truncate":
        token = token[: data.draw(st.integers(0, len(token) - 1))]
    elif kind == "insert":
        position = data.draw(st.integers(0, len(token)))
        token[position:position] = data.draw(st.binary(min_size=1, max_size=8)).hex().encode()
    else:
        parts = bytes(token).split(b".")
        order = data.draw(st.permutations(range(3)))
        token = bytearray(b".".join(parts[i] for i in order))
    mutated = token.decode("ascii", errors="replace")
    response = client().post(
        "/api/v1/verify", content=mutated.encode(), headers={"content-type": "text/plain"}
    )
    assert_well_formed(response)
    if mutated != valid_token():
        assert response.json()["verified"] is False


@PROPERTY_SETTINGS
@given(
    path=st.sampled_from(
        [
            ("issuer",),
            ("credentialSubject",),
            ("credentialSubject", "achievement"),
            ("credentialSubject", "identifier"),
            ("credentialStatus",),
            ("credentialStatus", "statusListIndex"),
            ("credentialStatus", "statusListCredential"),
            ("validFrom",),
            ("nbf",),
            ("type",),
            ("@context",),
            ("id",),
            ("name",),
            ("credentialSubject", "source"),
        ]
    ),
    value=JSON_VALUES,
)
def test_validly_signed_odd_payloads_never_5xx(path: tuple[str, ...], value: Any) -> None:
    payload = kit().credential()
    target = payload
    for name in path[:-1]:
        target = target[name]
    target[path[-1]] = value
    response = client().post("/api/v1/verify", json={"credential": sign(payload, kit().key)})
    assert_well_formed(response)


@PROPERTY_SETTINGS
@given(
    header=st.dictionaries(
        st.sampled_from(["alg", "typ", "kid", "crit", "jwk", "cty", "jku", "b64"]),
        JSON_VALUES,
        max_size=5,
    )
)
def test_random_headers_never_5xx(header: dict[str, Any]) -> None:
    body = valid_token().split(".")[1]
    head = base64.urlsafe_b64encode(json.dumps(header).encode()).rstrip(b"=").decode()
    response = client().post("/api/v1/verify", json={"credential": f"{head}.{body}.AAAA"})
    assert_well_formed(response)
    assert response.json()["verified"] is False
