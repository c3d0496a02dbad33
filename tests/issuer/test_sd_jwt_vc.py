"""The certificate as an SD-JWT VC: header, claims, disclosures, digests, holder keys."""

from __future__ import annotations

import hashlib
import json

import pytest
from cryptography.hazmat.primitives.asymmetric import ec, ed25519
from fastapi.testclient import TestClient
from jwcrypto import jwk, jws
from sqlalchemy import select

from issuer.credentials.sd_jwt_vc import DIGEST_COUNT, build_sd_jwt_vc, holder_public_jwk
from issuer.errors import ConflictError, InvalidInputError, IssuerErrorCode
from issuer.services import Services
from issuer.store.engine import session_scope
from issuer.store.models import Credential, StatusAllocation
from tests.helpers import BASE_URL
from tests.issuer.helpers import VECTORS, load_catalog
from tests.issuer.lifecycle_helpers import issue, post
from tests.issuer.sd_jwt_helpers import (
    b64url,
    disclosures_by_name,
    holder_key,
    issue_sd_jwt_vc,
    jwt_parts,
    private_jwk,
    public_jwk,
    unb64url,
)
from verifier.sd_jwt import disclosure_digest, encode_disclosure


@pytest.fixture(autouse=True)
def _catalog(services: Services) -> None:
    load_catalog(services)


def test_disclosure_digest_matches_rfc_9901_vectors() -> None:
    vector = json.loads((VECTORS / "sd-jwt-rfc9901-example.json").read_text("utf-8"))
    cases = vector["disclosures"] + vector["section_4_worked_examples"]
    assert len(cases) >= 10
    for case in cases:
        assert disclosure_digest(case["disclosure"]) == case["sha256_digest_b64url"]


def test_encode_disclosure_is_utf8_json_array() -> None:
    disclosure = encode_disclosure("c2FsdA", "holder_name", "王小明")
    assert json.loads(unb64url(disclosure)) == ["c2FsdA", "holder_name", "王小明"]
    expected = b64url(hashlib.sha256(disclosure.encode("ascii")).digest())
    assert disclosure_digest(disclosure) == expected


def test_sd_jwt_vc_header_claims_and_signature(
    client: TestClient, admin_headers: dict[str, str], services: Services
) -> None:
    holder = public_jwk(holder_key())
    credential_id, token = issue_sd_jwt_vc(client, admin_headers, services, holder)
    assert token.endswith("~")
    jwt = token.split("~")[0]
    header, payload = jwt_parts(jwt)
    assert header["typ"] == "dc+sd-jwt"
    assert header["alg"] == "ES256"
    published = client.get("/.well-known/jwks.json").json()
    assert header["kid"] in {k["kid"] for k in published["keys"]}
    # An independent JOSE library checks the signature with the published key.
    signed = jws.JWS()
    signed.deserialize(jwt)
    signed.verify(jwk.JWKSet.from_json(json.dumps(published)).get_key(header["kid"]), alg="ES256")

    assert payload["iss"] == BASE_URL
    assert payload["vct"] == f"{BASE_URL}/types/skill-certificate"
    assert payload["cnf"] == {"jwk": holder}
    assert payload["_sd_alg"] == "sha-256"
    assert isinstance(payload["iat"], int)
    assert isinstance(payload["nbf"], int)
    assert "exp" not in payload  # no validUntil asked for
    assert payload["holder_name"] == "王小明"
    assert payload["occupation"]["code"] == "6-17-05-01"
    assert payload["level"]["code"] == "senior"
    assert payload["unit"]["code"] == "U01"
    assert payload["issuer_name"]
    with session_scope(services.sessions) as session:
        credential = session.get(Credential, credential_id)
        assert credential is not None
        assert payload["certificate_number"] == credential.number
        allocation = session.scalars(
            select(StatusAllocation).where(StatusAllocation.credential_id == credential_id)
        ).one()
    assert payload["status"] == {
        "status_list": {
            "idx": allocation.index,
            "uri": f"{BASE_URL}/status/{allocation.list_id}/tsl",
        }
    }
    for hidden in ("score", "exam_session", "employee_number", "birth_date", "exam_date"):
        assert hidden not in payload


def test_selectively_disclosable_claims_are_disclosures_whose_digests_are_signed(
    client: TestClient, admin_headers: dict[str, str], services: Services
) -> None:
    _, token = issue_sd_jwt_vc(client, admin_headers, services, public_jwk(holder_key()))
    _, payload = jwt_parts(token.split("~")[0])
    disclosed = disclosures_by_name(token)
    assert set(disclosed) == {"score", "exam_session", "exam_date", "employee_number", "birth_date"}
    values = {name: json.loads(unb64url(d))[2] for name, d in disclosed.items()}
    assert values == {
        "score": 91,
        "exam_session": "2026-Q4-D3-R05",
        "exam_date": "2026-10-14",
        "employee_number": "E-0001",
        "birth_date": "1990-03-07",
    }
    salts = [json.loads(unb64url(d))[0] for d in disclosed.values()]
    assert len(set(salts)) == len(salts)
    assert all(len(unb64url(salt)) == 16 for salt in salts)  # 128 random bits
    assert len(payload["_sd"]) == DIGEST_COUNT  # padded with decoys
    assert payload["_sd"] == sorted(payload["_sd"])
    assert {disclosure_digest(d) for d in disclosed.values()} <= set(payload["_sd"])


def test_holder_without_birth_date_or_score_gets_no_such_disclosure(
    client: TestClient, admin_headers: dict[str, str], services: Services
) -> None:
    _, token = issue_sd_jwt_vc(
        client,
        admin_headers,
        services,
        public_jwk(holder_key()),
        holder={"name": "李四", "employee_number": "E-0002"},
        exam={"date": "2026-10-14", "session": "2026-Q4-D3-R06"},
    )
    _, payload = jwt_parts(token.split("~")[0])
    assert set(disclosures_by_name(token)) == {"exam_session", "exam_date", "employee_number"}
    assert len(payload["_sd"]) == DIGEST_COUNT  # the same count: absence is not revealed


def test_two_issuances_use_fresh_salts(
    client: TestClient, admin_headers: dict[str, str], services: Services
) -> None:
    holder = public_jwk(holder_key())
    credential_id, first = issue_sd_jwt_vc(client, admin_headers, services, holder)
    with session_scope(services.sessions) as session:
        credential = session.get(Credential, credential_id)
        assert credential is not None
        second = build_sd_jwt_vc(
            session,
            credential,
            base_url=services.base_url,
            signer=services.signer(session),
            holder_jwk=holder,
            now=services.clock(),
        )
    assert set(first.split("~")[1:-1]).isdisjoint(second.split("~")[1:-1])


def test_valid_until_becomes_exp(
    client: TestClient, admin_headers: dict[str, str], services: Services
) -> None:
    _, token = issue_sd_jwt_vc(
        client,
        admin_headers,
        services,
        public_jwk(holder_key()),
        valid_until="2031-01-01T00:00:00Z",
    )
    _, payload = jwt_parts(token.split("~")[0])
    assert payload["exp"] == 1924992000


def test_ed25519_holder_key_is_taken() -> None:
    key = public_jwk(ed25519.Ed25519PrivateKey.generate())
    assert holder_public_jwk({**key, "kid": "wallet-1", "use": "sig"}) == key


@pytest.mark.parametrize(
    "bad_key",
    [
        pytest.param(lambda: private_jwk(holder_key()), id="private-ec"),
        pytest.param(
            lambda: {"kty": "EC", "crv": "P-384", "x": b64url(b"\1" * 48), "y": b64url(b"\2" * 48)},
            id="p384",
        ),
        pytest.param(lambda: {"kty": "RSA", "n": "AQAB", "e": "AQAB"}, id="rsa"),
        pytest.param(lambda: {"kty": "oct", "k": "c2VjcmV0"}, id="symmetric"),
        pytest.param(
            lambda: {"kty": "EC", "crv": "P-256", "x": b64url(b"\1" * 32), "y": b64url(b"\2" * 32)},
            id="off-curve",
        ),
        pytest.param(lambda: {"kty": "EC", "crv": "P-256", "x": 1, "y": 2}, id="numbers"),
        pytest.param(lambda: {**public_jwk(holder_key()), "alg": "EdDSA"}, id="alg-mismatch"),
        pytest.param(lambda: ["not", "an", "object"], id="array"),
    ],
)
def test_refuses_holder_keys_outside_the_allowlist(bad_key: object) -> None:
    with pytest.raises(InvalidInputError) as caught:
        holder_public_jwk(bad_key())  # type: ignore[operator]
    assert caught.value.code == IssuerErrorCode.INVALID_HOLDER_KEY


def test_refuses_a_revoked_credential(
    client: TestClient, admin_headers: dict[str, str], services: Services
) -> None:
    issued = issue(client, admin_headers)
    revoked = post(
        client,
        f"/api/v1/credentials/{issued['id']}/revoke",
        admin_headers,
        {"reason": "exam_misconduct"},
    )
    assert revoked.status_code == 200
    with session_scope(services.sessions) as session:
        credential = session.get(Credential, issued["id"])
        assert credential is not None
        with pytest.raises(ConflictError) as caught:
            build_sd_jwt_vc(
                session,
                credential,
                base_url=services.base_url,
                signer=services.signer(session),
                holder_jwk=public_jwk(holder_key()),
                now=services.clock(),
            )
    assert caught.value.code == IssuerErrorCode.CREDENTIAL_NOT_IN_FORCE


def test_generated_p256_key_round_trips() -> None:
    key = ec.generate_private_key(ec.SECP256R1())
    assert holder_public_jwk(public_jwk(key)) == public_jwk(key)
