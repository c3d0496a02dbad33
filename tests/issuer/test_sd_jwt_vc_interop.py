"""Tessera's SD-JWT VC with software others wrote: the SD-JWT reference implementation (PyPI
``sd-jwt``) and ``@sd-jwt/sd-jwt-vc`` (npm) verify it and make presentations with chosen
disclosures and key binding; Tessera's verifier takes theirs; tampering fails everywhere."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric import ec
from fastapi.testclient import TestClient
from jwcrypto.jwk import JWK, JWKSet
from sd_jwt.holder import SDJWTHolder
from sd_jwt.verifier import SDJWTVerifier

from issuer.credentials.sd_jwt_vc import build_sd_jwt_vc
from issuer.services import Services
from issuer.store.engine import session_scope
from issuer.store.models import Credential
from issuer.web.local_verifier import build_local_sd_jwt_vc_verifier
from tests.issuer.helpers import issue_body, load_catalog
from tests.issuer.lifecycle_helpers import post
from tests.issuer.sd_jwt_helpers import (
    holder_key,
    issue_sd_jwt_vc,
    private_jwk,
    public_jwk,
    unb64url,
)
from tests.issuer.sd_jwt_node import run_sd_jwt_node
from verifier.sd_jwt import encode_disclosure
from verifier.sd_jwt_vc import KeyBindingPolicy, SdJwtVcVerifier
from verifier.sources.fetch import build_http_client
from verifier.sources.keys import HttpKeyResolver
from verifier.sources.status_lists import HttpStatusSource, ttl_of
from verifier.token_status_list import STATUS_LIST_JWT_MEDIA_TYPE, TokenStatus
from verifier.trust import TrustedIssuers

NONCE = "interop-nonce-4f1b"
AUD = "https://employer.example/verify"
POLICY = KeyBindingPolicy(nonce=NONCE, audience=AUD)
SELECTIVE = {"score", "exam_session", "exam_date", "employee_number", "birth_date"}


@pytest.fixture(autouse=True)
def _catalog(services: Services) -> None:
    load_catalog(services)


def _issuer_key_callback(jwks: dict[str, Any]) -> Any:
    keys = JWKSet.from_json(json.dumps(jwks))

    def key_for(issuer: str, header: dict[str, Any]) -> JWK:
        assert issuer
        key = keys.get_key(header["kid"])
        assert key is not None
        return key

    return key_for


def _tamper(sd_jwt_or_presentation: str, name: str, value: Any) -> str:
    parts = sd_jwt_or_presentation.split("~")
    for i, d in enumerate(parts[1:-1], start=1):
        salt, claim, _ = json.loads(unb64url(d))
        if claim == name:
            parts[i] = encode_disclosure(salt, claim, value)
            return "~".join(parts)
    raise AssertionError(f"no disclosure of {name}")


# --- PyPI sd-jwt (the reference implementation) --------------------------------------------


def test_reference_implementation_verifies_the_issued_sd_jwt_vc(
    client: TestClient, admin_headers: dict[str, str], services: Services
) -> None:
    _, sd_jwt = issue_sd_jwt_vc(client, admin_headers, services, public_jwk(holder_key()))
    jwks = client.get("/.well-known/jwks.json").json()
    payload = SDJWTVerifier(sd_jwt, _issuer_key_callback(jwks)).get_verified_payload()
    assert payload["holder_name"] == "王小明"
    assert payload["level"]["code"] == "senior"
    assert payload["score"] == 91
    assert payload["birth_date"] == "1990-03-07"
    assert "_sd" not in payload


def test_reference_holder_presentation_verifies_in_the_reference_and_in_tessera(
    client: TestClient, admin_headers: dict[str, str], services: Services
) -> None:
    key = holder_key()
    _, sd_jwt = issue_sd_jwt_vc(client, admin_headers, services, public_jwk(key))
    holder = SDJWTHolder(sd_jwt)
    holder.create_presentation(
        {"score": True, "exam_session": True},
        nonce=NONCE,
        aud=AUD,
        holder_key=JWK.from_json(json.dumps(private_jwk(key))),
        sign_alg="ES256",
    )
    presentation = holder.sd_jwt_presentation
    jwks = client.get("/.well-known/jwks.json").json()
    verified = SDJWTVerifier(
        presentation, _issuer_key_callback(jwks), expected_aud=AUD, expected_nonce=NONCE
    ).get_verified_payload()
    assert verified["score"] == 91
    assert verified["exam_session"] == "2026-Q4-D3-R05"
    assert "employee_number" not in verified
    assert "birth_date" not in verified

    result = build_local_sd_jwt_vc_verifier(services).verify(presentation, key_binding=POLICY)
    assert result.verified, result.reason
    assert result.disclosed == {"score", "exam_session"}
    assert result.status is TokenStatus.VALID


def test_tampered_disclosure_fails_in_the_reference_and_in_tessera(
    client: TestClient, admin_headers: dict[str, str], services: Services
) -> None:
    key = holder_key()
    _, sd_jwt = issue_sd_jwt_vc(client, admin_headers, services, public_jwk(key))
    jwks = client.get("/.well-known/jwks.json").json()
    holder = SDJWTHolder(sd_jwt)
    holder.create_presentation(
        {"score": True},
        nonce=NONCE,
        aud=AUD,
        holder_key=JWK.from_json(json.dumps(private_jwk(key))),
        sign_alg="ES256",
    )
    tampered = _tamper(holder.sd_jwt_presentation, "score", 100)
    with pytest.raises(ValueError, match="digest"):  # sd_hash no longer covers it
        SDJWTVerifier(tampered, _issuer_key_callback(jwks), expected_aud=AUD, expected_nonce=NONCE)
    local = build_local_sd_jwt_vc_verifier(services)
    assert local.verify(tampered, key_binding=POLICY).reason == "unreferenced_disclosure"

    # Tampered before any key binding: the reference drops the disclosure its digests do
    # not list (the score is not accepted); Tessera refuses the whole SD-JWT.
    tampered_issuance = _tamper(sd_jwt, "score", 100)
    payload = SDJWTVerifier(tampered_issuance, _issuer_key_callback(jwks)).get_verified_payload()
    assert "score" not in payload
    result = local.verify(tampered_issuance, key_binding=None)
    assert (result.verified, result.reason) == (False, "unreferenced_disclosure")


# --- npm @sd-jwt/sd-jwt-vc, against a live server (status list and type metadata over HTTP) --


def _issue_live(
    base: str, client: TestClient, headers: dict[str, str], services: Services, key: Any
) -> tuple[str, str]:
    issued = client.post("/api/v1/credentials", json=issue_body(), headers=headers)
    assert issued.status_code == 201, issued.text
    credential_id = issued.json()["id"]
    with session_scope(services.sessions) as session:
        credential = session.get(Credential, credential_id)
        assert credential is not None
        sd_jwt = build_sd_jwt_vc(
            session,
            credential,
            base_url=base,
            signer=services.signer(session),
            holder_jwk=public_jwk(key),
            now=services.clock(),
        )
    return credential_id, sd_jwt


def test_npm_library_verifies_presents_and_tessera_accepts_its_presentation(
    live_server: tuple[str, TestClient], services: Services, admin_headers: dict[str, str]
) -> None:
    base, client = live_server
    key: ec.EllipticCurvePrivateKey = holder_key()
    _, sd_jwt = _issue_live(base, client, admin_headers, services, key)
    jwks = client.get("/.well-known/jwks.json").json()

    issued = run_sd_jwt_node({"command": "verify", "presentation": sd_jwt, "jwks": jwks})
    assert issued["ok"], issued.get("error")
    assert issued["header"]["typ"] == "dc+sd-jwt"
    assert issued["claims"].keys() >= SELECTIVE
    assert issued["type_metadata"]["vct"] == f"{base}/types/skill-certificate"

    made = run_sd_jwt_node(
        {
            "command": "present",
            "sd_jwt": sd_jwt,
            "frame": {"score": True},
            "holder_jwk": private_jwk(key),
            "nonce": NONCE,
            "aud": AUD,
        }
    )
    assert made["ok"], made.get("error")
    presentation = made["presentation"]
    checked = run_sd_jwt_node(
        {
            "command": "verify",
            "presentation": presentation,
            "jwks": jwks,
            "nonce": NONCE,
            "aud": AUD,
        }
    )
    assert checked["ok"], checked.get("error")
    assert checked["claims"]["score"] == 91
    assert "employee_number" not in checked["claims"]
    assert checked["kb"]["nonce"] == NONCE

    app_verifier: SdJwtVcVerifier = client.app.state.sd_jwt_vc_verifier  # type: ignore[attr-defined]
    result = app_verifier.verify(presentation, key_binding=POLICY)
    assert result.verified, result.reason
    assert result.disclosed == {"score"}


def test_npm_library_and_tessera_refuse_tampered_and_revoked(
    live_server: tuple[str, TestClient], services: Services, admin_headers: dict[str, str]
) -> None:
    base, client = live_server
    key = holder_key()
    credential_id, sd_jwt = _issue_live(base, client, admin_headers, services, key)
    jwks = client.get("/.well-known/jwks.json").json()
    live_services: Services = client.app.state.services  # type: ignore[attr-defined]
    local = build_local_sd_jwt_vc_verifier(live_services)

    made = run_sd_jwt_node(
        {
            "command": "present",
            "sd_jwt": sd_jwt,
            "frame": {"score": True, "employee_number": True},
            "holder_jwk": private_jwk(key),
            "nonce": NONCE,
            "aud": AUD,
        }
    )
    assert made["ok"], made.get("error")
    tampered = _tamper(made["presentation"], "employee_number", "E-9999")
    refused = run_sd_jwt_node(
        {"command": "verify", "presentation": tampered, "jwks": jwks, "nonce": NONCE, "aud": AUD}
    )
    assert not refused["ok"]
    assert not local.verify(tampered, key_binding=POLICY).verified

    wrong_nonce = run_sd_jwt_node(
        {"command": "verify", "presentation": made["presentation"], "jwks": jwks, "nonce": "other"}
    )
    assert not wrong_nonce["ok"]

    revoked = post(
        client,
        f"/api/v1/credentials/{credential_id}/revoke",
        admin_headers,
        {"reason": "exam_misconduct"},
    )
    assert revoked.status_code == 200
    after = run_sd_jwt_node(
        {
            "command": "verify",
            "presentation": made["presentation"],
            "jwks": jwks,
            "nonce": NONCE,
            "aud": AUD,
        }
    )
    assert not after["ok"]
    assert "status" in after["error"].lower()
    result = local.verify(made["presentation"], key_binding=POLICY)
    assert (result.verified, result.reason, result.status) == (
        False,
        "revoked",
        TokenStatus.REVOKED,
    )


def test_standalone_verifier_fetches_keys_and_token_status_list_over_http(
    live_server: tuple[str, TestClient], services: Services, admin_headers: dict[str, str]
) -> None:
    """An outside verifier (no database): the issuer's keys through
    ``/.well-known/jwt-vc-issuer`` and the Token Status List over HTTP."""
    base, client = live_server
    key = holder_key()
    credential_id, sd_jwt = _issue_live(base, client, admin_headers, services, key)
    trusted = TrustedIssuers([base])
    with build_http_client(timeout=10) as http:
        outside = SdJwtVcVerifier(
            trusted_issuers=trusted,
            key_resolver=HttpKeyResolver(trusted, http),
            status_source=HttpStatusSource(trusted, http, accept=STATUS_LIST_JWT_MEDIA_TYPE),
            clock=services.clock,
        )
        result = outside.verify(sd_jwt, key_binding=None)
        assert result.verified, result.reason
        assert result.status is TokenStatus.VALID
        revoked = post(
            client,
            f"/api/v1/credentials/{credential_id}/revoke",
            admin_headers,
            {"reason": "exam_misconduct"},
        )
        assert revoked.status_code == 200
        fresh = dataclasses.replace(
            outside,
            status_source=HttpStatusSource(trusted, http, accept=STATUS_LIST_JWT_MEDIA_TYPE),
        )
        assert fresh.verify(sd_jwt, key_binding=None).status is TokenStatus.REVOKED


def test_token_status_list_ttl_is_read_in_seconds(
    live_server: tuple[str, TestClient], services: Services, admin_headers: dict[str, str]
) -> None:
    base, client = live_server
    _, sd_jwt = _issue_live(base, client, admin_headers, services, holder_key())
    uri = json.loads(unb64url(sd_jwt.split(".")[1]))["status"]["status_list"]["uri"]
    token = client.get(uri.removeprefix(base)).text
    ttl = json.loads(unb64url(token.split(".")[1]))["ttl"]
    day = dt.timedelta(days=1)
    assert ttl_of(token, dt.timedelta(minutes=5), day) == dt.timedelta(seconds=ttl)
