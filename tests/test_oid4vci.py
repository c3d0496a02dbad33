"""OpenID4VCI 1.0, pre-authorised code flow: the metadata, offers, and every refusal.

Proofs are made with jwcrypto, which Tessera does not use; copies are checked with jwcrypto
and with Tessera's own verifier. The end-to-end run with a wallet's client library is
tests/test_oid4vci_client.py.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import threading
import time
from typing import Any

import pytest
from fastapi.testclient import TestClient
from jwcrypto.jwk import JWKSet
from sd_jwt.verifier import SDJWTVerifier
from sqlalchemy import select

from issuer.credentials.wallet_offers import (
    TX_CODE_TRIES,
    WalletProtocolError,
    create_offer,
    redeem_pre_authorized_code,
)
from issuer.services import Services
from issuer.store.audit import Actor, verify_chain
from issuer.store.models import (
    AuditEvent,
    Credential,
    WalletIssuance,
    WalletNonce,
    WalletOffer,
)
from issuer.web.routes.oid4vci_offers import wallet_secrets
from tests.helpers import BASE_URL, make_token
from tests.issuer.helpers import verify_with_jwcrypto
from tests.oid4vci_helpers import (
    PRE_AUTHORIZED_GRANT,
    access_token,
    code_of,
    credential_request,
    did_jwk_key,
    holder_key,
    issue,
    make_offer,
    new_nonce,
    offer_of,
    proof,
    token_request,
    unsigned_proof,
)

W3C = "open_badge_jwt_vc_json"
SD_JWT = "skill_certificate_sd_jwt"


@pytest.fixture
def offered(
    client: TestClient, services: Services, admin_headers: dict[str, str]
) -> tuple[dict[str, Any], dict[str, Any]]:
    credential = issue(client, services, admin_headers)
    return credential, make_offer(client, credential["id"], admin_headers)


def _error(answer: Any, status: int, error: str) -> None:
    assert answer.status_code == status, answer.text
    assert answer.json()["error"] == error, answer.text
    assert answer.headers["cache-control"] == "no-store"


def test_metadata_names_the_endpoints_formats_and_languages(client: TestClient) -> None:
    metadata = client.get("/.well-known/openid-credential-issuer").json()
    assert metadata["credential_issuer"] == BASE_URL
    assert metadata["credential_endpoint"] == f"{BASE_URL}/oid4vci/credential"
    assert metadata["nonce_endpoint"] == f"{BASE_URL}/oid4vci/nonce"
    assert {d["locale"] for d in metadata["display"]} == {"zh", "en"}
    configurations = metadata["credential_configurations_supported"]
    assert configurations[SD_JWT]["format"] == "dc+sd-jwt"
    assert configurations[SD_JWT]["vct"] == f"{BASE_URL}/types/skill-certificate"
    assert configurations[SD_JWT]["cryptographic_binding_methods_supported"] == ["jwk"]
    w3c = configurations[W3C]
    assert w3c["format"] == "jwt_vc_json"
    assert w3c["credential_definition"]["type"] == ["VerifiableCredential", "OpenBadgeCredential"]
    assert "did:jwk" in w3c["cryptographic_binding_methods_supported"]
    for configuration in configurations.values():
        assert configuration["credential_signing_alg_values_supported"] == ["ES256"]
        jwt_proofs = configuration["proof_types_supported"]["jwt"]
        assert jwt_proofs["proof_signing_alg_values_supported"] == ["ES256", "EdDSA"]
        locales = {d["locale"] for d in configuration["credential_metadata"]["display"]}
        assert locales == {"zh", "en"}
    server = client.get("/.well-known/oauth-authorization-server").json()
    assert server["issuer"] == BASE_URL
    assert server["token_endpoint"] == f"{BASE_URL}/oid4vci/token"
    assert server["pre-authorized_grant_anonymous_access_supported"] is True


def test_an_offer_holds_a_pre_authorised_code_and_a_numeric_transaction_code(
    client: TestClient,
    services: Services,
    offered: tuple[dict[str, Any], dict[str, Any]],
) -> None:
    credential, offer = offered
    document = offer_of(offer["offer"])
    assert document["credential_issuer"] == BASE_URL
    assert document["credential_configuration_ids"] == [SD_JWT, W3C]
    grant = document["grants"][PRE_AUTHORIZED_GRANT]
    assert grant["tx_code"]["input_mode"] == "numeric"
    assert grant["tx_code"]["length"] == 6
    assert " / " in grant["tx_code"]["description"]  # Chinese / English
    assert offer["tx_code"].isdigit()
    assert len(offer["tx_code"]) == 6
    # By reference, served by Tessera: the same offer.
    assert offer["offer_by_reference"].startswith(
        "openid-credential-offer://?credential_offer_uri="
    )
    by_reference = client.get(offer["credential_offer_uri"].removeprefix(BASE_URL))
    assert by_reference.status_code == 200
    assert by_reference.json() == document
    # Nothing secret is stored or audited in the clear.
    with services.sessions() as session:
        row = session.scalars(select(WalletOffer)).one()
        stored = " ".join(str(v) for v in vars(row).values())
        events = session.scalars(select(AuditEvent)).all()
        audited = " ".join(str(e.details) for e in events)
    for secret in (code_of(offer), offer["tx_code"], offer["credential_offer_uri"].rsplit("/")[-1]):
        assert secret not in stored
        assert secret not in audited
    assert any(e.action == "wallet_offer.create" and e.target == credential["id"] for e in events)


def test_the_spec_name_of_the_offer_route_answers_too(
    client: TestClient, services: Services, admin_headers: dict[str, str]
) -> None:
    credential = issue(client, services, admin_headers)
    answer = client.post(f"/api/v1/credentials/{credential['id']}/offers", headers=admin_headers)
    assert answer.status_code == 201
    assert {"offer", "tx_code"} <= answer.json().keys()


def test_only_writers_of_the_credentials_unit_make_offers(
    client: TestClient, services: Services, admin_headers: dict[str, str]
) -> None:
    credential = issue(client, services, admin_headers)
    path = f"/api/v1/credentials/{credential['id']}/wallet-offers"
    assert client.post(path).status_code == 401
    for role, units in (("auditor", []), ("registrar", ["U02"])):
        headers = {"Authorization": f"Bearer {make_token(services, role, units)}"}
        assert client.post(path, headers=headers).json()["code"] == "forbidden"
    own = {"Authorization": f"Bearer {make_token(services, 'registrar', ['U01'])}"}
    assert client.post(path, headers=own).status_code == 201
    unknown = client.post(path, json={"credential_configuration_ids": ["x"]}, headers=own)
    assert unknown.status_code == 422


def test_a_revoked_credential_is_not_offered(
    client: TestClient, services: Services, admin_headers: dict[str, str]
) -> None:
    credential = issue(client, services, admin_headers)
    revoked = client.post(
        f"/api/v1/credentials/{credential['id']}/revoke",
        json={"reason": "issued_in_error"},
        headers=admin_headers,
    )
    assert revoked.status_code == 200
    answer = client.post(
        f"/api/v1/credentials/{credential['id']}/wallet-offers", headers=admin_headers
    )
    assert answer.status_code == 409
    assert answer.json()["code"] == "credential_not_in_force"


def test_a_wrong_transaction_code_costs_a_try_not_the_offer(
    client: TestClient, offered: tuple[dict[str, Any], dict[str, Any]]
) -> None:
    _credential, offer = offered
    wrong = "000000" if offer["tx_code"] != "000000" else "111111"
    answer = token_request(client, code_of(offer), wrong)
    _error(answer, 400, "invalid_grant")
    assert f"{TX_CODE_TRIES - 1} tries left" in answer.json()["error_description"]
    _error(token_request(client, code_of(offer), None), 400, "invalid_request")
    good = token_request(client, code_of(offer), offer["tx_code"])
    assert good.status_code == 200, good.text
    assert good.json()["token_type"] == "Bearer"
    assert good.headers["cache-control"] == "no-store"
    # Single use: the same code again is refused, and the offer is no longer served.
    _error(token_request(client, code_of(offer), offer["tx_code"]), 400, "invalid_grant")
    assert client.get(offer["credential_offer_uri"].removeprefix(BASE_URL)).status_code == 404


def test_when_the_tries_run_out_the_offer_is_dead(
    client: TestClient, services: Services, offered: tuple[dict[str, Any], dict[str, Any]]
) -> None:
    _credential, offer = offered
    wrong = "000000" if offer["tx_code"] != "000000" else "111111"
    for _ in range(TX_CODE_TRIES):
        _error(token_request(client, code_of(offer), wrong), 400, "invalid_grant")
    answer = token_request(client, code_of(offer), offer["tx_code"])
    _error(answer, 400, "invalid_grant")
    assert "exhausted" in answer.json()["error_description"]
    with services.sessions() as session:
        actions = session.scalars(select(AuditEvent.action)).all()
        assert actions.count("wallet_offer.exhausted") == 1
        assert verify_chain(session).ok


def test_an_expired_code_is_refused(
    client: TestClient, services: Services, offered: tuple[dict[str, Any], dict[str, Any]]
) -> None:
    _credential, offer = offered
    later = services.clock() + dt.timedelta(minutes=16)
    services.clock = lambda: later
    answer = token_request(client, code_of(offer), offer["tx_code"])
    _error(answer, 400, "invalid_grant")
    assert "expired" in answer.json()["error_description"]


def test_the_token_endpoint_wants_its_grant_type(
    client: TestClient, offered: tuple[dict[str, Any], dict[str, Any]]
) -> None:
    _credential, offer = offered
    _error(
        token_request(client, code_of(offer), offer["tx_code"], grant="authorization_code"),
        400,
        "unsupported_grant_type",
    )
    _error(client.post("/oid4vci/token", json={"grant_type": "x"}), 400, "invalid_request")
    _error(token_request(client, "not-a-code", "123456"), 400, "invalid_grant")


def test_a_code_is_redeemed_once_even_by_racing_requests(
    services: Services, offered: tuple[dict[str, Any], dict[str, Any]]
) -> None:
    _credential, offer = offered
    secrets = wallet_secrets(services)
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def redeem() -> None:
        with services.sessions() as session:
            barrier.wait()
            try:
                redeem_pre_authorized_code(
                    session,
                    code=code_of(offer),
                    tx_code=offer["tx_code"],
                    wallet_secrets=secrets,
                    actor_for=lambda offer_id: Actor(f"wallet:offer:{offer_id}"),
                    now=services.clock(),
                )
                session.commit()
                outcomes.append("token")
            except WalletProtocolError as exc:
                session.rollback()
                outcomes.append(exc.error)

    threads = [threading.Thread(target=redeem) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert sorted(outcomes) == ["invalid_grant", "token"]


def test_the_nonce_endpoint_gives_single_use_nonces(client: TestClient) -> None:
    answer = client.post("/oid4vci/nonce")
    assert answer.status_code == 200
    assert answer.headers["cache-control"] == "no-store"
    assert answer.json()["c_nonce_expires_in"] > 0
    assert new_nonce(client) != answer.json()["c_nonce"]


def test_a_wallet_gets_one_bound_copy_per_proof(
    client: TestClient,
    services: Services,
    admin_headers: dict[str, str],
    offered: tuple[dict[str, Any], dict[str, Any]],
) -> None:
    credential, offer = offered
    token = access_token(client, offer)
    nonce = new_nonce(client)
    keys = [holder_key("EC"), holder_key("OKP")]
    proofs = [proof(key, nonce=nonce, aud=BASE_URL) for key in keys]
    answer = credential_request(client, token, W3C, proofs)
    assert answer.status_code == 200, answer.text
    assert answer.headers["cache-control"] == "no-store"
    copies = [item["credential"] for item in answer.json()["credentials"]]
    assert len(copies) == 2
    jwks = client.get("/.well-known/jwks.json").json()
    _header, stored = verify_with_jwcrypto(credential["credential"], jwks)
    for key, copy in zip(keys, copies, strict=True):
        header, payload = verify_with_jwcrypto(copy, jwks)
        assert header["typ"] == "vc+jwt"
        subject = payload["credentialSubject"]["id"]
        assert payload["sub"] == subject
        assert did_jwk_key(subject) == {
            k: v
            for k, v in key.export_public(as_dict=True).items()
            if k in {"kty", "crv", "x", "y"}
        }
        assert payload["id"] == payload["jti"] == stored["id"]
        assert payload["credentialStatus"] == stored["credentialStatus"]
        verdict = client.post("/api/v1/verify", json={"credential": copy}).json()
        assert verdict["verified"] is True, verdict
        assert verdict["status"] == "valid"
    with services.sessions() as session:
        rows = session.scalars(select(WalletIssuance)).all()
        assert [(r.credential_id, r.format) for r in rows] == [
            (credential["id"], "jwt_vc_json")
        ] * 2
        actions = session.scalars(select(AuditEvent.action)).all()
        assert actions.count("wallet_offer.issue") == 2
        assert actions.count("wallet_offer.redeem") == 1
    # The nonce was used up: the same proofs again are refused.
    _error(credential_request(client, token, W3C, proofs), 400, "invalid_nonce")
    # Revoking the credential revokes every copy.
    revoked = client.post(
        f"/api/v1/credentials/{credential['id']}/revoke",
        json={"reason": "exam_misconduct"},
        headers=admin_headers,
    )
    assert revoked.status_code == 200
    for copy in copies:
        verdict = client.post("/api/v1/verify", json={"credential": copy}).json()
        assert (verdict["verified"], verdict["status"]) == (False, "revoked")
    # ... and nothing more is issued for it.
    denied = credential_request(
        client, token, W3C, [proof(keys[0], nonce=new_nonce(client), aud=BASE_URL)]
    )
    _error(denied, 400, "credential_request_denied")


def test_the_credential_endpoint_wants_a_valid_access_token(client: TestClient) -> None:
    key = holder_key()
    proofs = [proof(key, nonce=new_nonce(client), aud=BASE_URL)]
    answer = credential_request(client, None, W3C, proofs)
    _error(answer, 401, "invalid_token")
    assert answer.headers["www-authenticate"].startswith("Bearer")
    _error(credential_request(client, "forged", W3C, proofs), 401, "invalid_token")


def test_an_access_token_expires(
    client: TestClient, services: Services, offered: tuple[dict[str, Any], dict[str, Any]]
) -> None:
    _credential, offer = offered
    token = access_token(client, offer)
    nonce = new_nonce(client)
    later = services.clock() + dt.timedelta(minutes=11)
    services.clock = lambda: later
    answer = credential_request(
        client, token, W3C, [proof(holder_key(), nonce=nonce, aud=BASE_URL)]
    )
    _error(answer, 401, "invalid_token")


def _broken_proofs(nonce: str) -> dict[str, str]:
    key = holder_key()
    private = key.export(as_dict=True)  # with "d": a private key must never be sent
    return {
        "wrong aud": proof(key, nonce=nonce, aud="https://elsewhere.example"),
        "wrong typ": proof(key, nonce=nonce, aud=BASE_URL, typ="JWT"),
        "alg none": unsigned_proof(key, nonce=nonce, aud=BASE_URL),
        "private key in jwk": proof(key, nonce=nonce, aud=BASE_URL, public=private),
        "a kid to resolve": proof(key, nonce=nonce, aud=BASE_URL, header={"kid": "did:web:x#1"}),
        "x5c": proof(key, nonce=nonce, aud=BASE_URL, header={"x5c": ["MIIB"]}),
        "too old": proof(key, nonce=nonce, aud=BASE_URL, iat=int(time.time()) - 3600),
        "from the future": proof(key, nonce=nonce, aud=BASE_URL, iat=int(time.time()) + 3600),
        "iat not a time": proof(key, nonce=nonce, aud=BASE_URL, iat=-(10**15)),
        "another key's jwk": proof(
            key, nonce=nonce, aud=BASE_URL, public=holder_key().export_public(as_dict=True)
        ),
        "not a jwt": "not.a.jwt",
    }


@pytest.mark.parametrize("case", list(_broken_proofs("n")))
def test_a_bad_proof_is_refused_and_changes_nothing(
    case: str,
    client: TestClient,
    services: Services,
    offered: tuple[dict[str, Any], dict[str, Any]],
) -> None:
    _credential, offer = offered
    token = access_token(client, offer)
    nonce = new_nonce(client)
    _error(
        credential_request(client, token, W3C, [_broken_proofs(nonce)[case]]), 400, "invalid_proof"
    )
    with services.sessions() as session:
        assert session.scalars(select(WalletIssuance)).all() == []
        assert session.scalars(select(WalletNonce.used_at)).all() == [None]
    # The nonce was not used up by the refusal: a good proof with it works.
    good = credential_request(client, token, W3C, [proof(holder_key(), nonce=nonce, aud=BASE_URL)])
    assert good.status_code == 200, good.text


def test_a_nonce_is_used_once_and_must_be_ours(
    client: TestClient, offered: tuple[dict[str, Any], dict[str, Any]]
) -> None:
    _credential, offer = offered
    token = access_token(client, offer)
    key = holder_key()
    _error(
        credential_request(client, token, W3C, [proof(key, nonce="made-up", aud=BASE_URL)]),
        400,
        "invalid_nonce",
    )
    nonce = new_nonce(client)
    first = credential_request(client, token, W3C, [proof(key, nonce=nonce, aud=BASE_URL)])
    assert first.status_code == 200
    again = credential_request(client, token, W3C, [proof(key, nonce=nonce, aud=BASE_URL)])
    _error(again, 400, "invalid_nonce")
    two = [proof(key, nonce=new_nonce(client), aud=BASE_URL) for _ in range(2)]
    _error(credential_request(client, token, W3C, two), 400, "invalid_proof")


def test_malformed_credential_requests_are_refused(
    client: TestClient, offered: tuple[dict[str, Any], dict[str, Any]]
) -> None:
    _credential, offer = offered
    token = access_token(client, offer)
    headers = {"Authorization": f"Bearer {token}"}
    good = proof(holder_key(), nonce=new_nonce(client), aud=BASE_URL)
    _error(
        credential_request(client, token, "no_such_configuration", [good]),
        400,
        "unknown_credential_configuration",
    )
    cases: list[Any] = [
        {"credential_configuration_id": W3C, "proof": {"proof_type": "cwt", "cwt": good}},
        {
            "credential_configuration_id": W3C,
            "proof": {"proof_type": "jwt", "jwt": good},
            "proofs": {"jwt": [good]},
        },
        {"credential_configuration_id": W3C, "proofs": {"jwt": []}},
        {"credential_configuration_id": W3C, "proofs": {"jwt": [good] * 6}},
        {"credential_configuration_id": W3C, "proofs": {"attestation": [good]}},
        {"credential_identifier": "x", "proofs": {"jwt": [good]}},
        {"proofs": {"jwt": [good]}},
        [1, 2],
    ]
    for body in cases:
        answer = client.post("/oid4vci/credential", json=body, headers=headers)
        _error(answer, 400, "invalid_credential_request")
    raw = client.post(
        "/oid4vci/credential",
        content=b"{not json",
        headers={**headers, "Content-Type": "application/json"},
    )
    _error(raw, 400, "invalid_credential_request")


def test_an_offer_of_one_format_gives_only_that_format(
    client: TestClient, services: Services, admin_headers: dict[str, str]
) -> None:
    credential = issue(client, services, admin_headers)
    offer = make_offer(client, credential["id"], admin_headers, credential_configuration_ids=[W3C])
    assert offer_of(offer["offer"])["credential_configuration_ids"] == [W3C]
    token = access_token(client, offer)
    good = proof(holder_key(), nonce=new_nonce(client), aud=BASE_URL)
    _error(
        credential_request(client, token, SD_JWT, [good]), 400, "unknown_credential_configuration"
    )


def test_a_wallet_gets_sd_jwt_vcs_bound_to_its_keys(
    client: TestClient, services: Services, offered: tuple[dict[str, Any], dict[str, Any]]
) -> None:
    _credential, offer = offered
    token = access_token(client, offer)
    nonce = new_nonce(client)
    keys = [holder_key("OKP"), holder_key("EC")]
    answer = credential_request(
        client, token, SD_JWT, [proof(key, nonce=nonce, aud=BASE_URL) for key in keys]
    )
    assert answer.status_code == 200, answer.text
    keyset = JWKSet.from_json(json.dumps(client.get("/.well-known/jwks.json").json()))
    for key, item in zip(keys, answer.json()["credentials"], strict=True):
        payload = SDJWTVerifier(
            item["credential"], lambda _issuer, header: keyset.get_key(header["kid"])
        ).get_verified_payload()
        public = key.export_public(as_dict=True)
        assert payload["cnf"]["jwk"] == {
            k: public[k] for k in ("kty", "crv", "x", "y") if k in public
        }
        assert payload["iss"] == BASE_URL
    with services.sessions() as session:
        formats = session.scalars(select(WalletIssuance.format)).all()
    assert formats == ["dc+sd-jwt", "dc+sd-jwt"]


def test_transaction_codes_are_uniform_digits_from_the_given_randomness(
    client: TestClient, services: Services, admin_headers: dict[str, str]
) -> None:
    """Bytes of 250 and above would favour 0-5: they are drawn again, not folded."""
    credential = issue(client, services, admin_headers)
    stream = iter([bytes(16), bytes(32), bytes([255, 251, 250, 249, 13, 7]), bytes([1, 2, 3, 4])])
    with services.sessions() as session:
        row = session.get(Credential, credential["id"])
        assert row is not None
        offer = create_offer(
            session,
            [row],
            configuration_ids=None,
            wallet_secrets=wallet_secrets(services),
            actor=Actor("cli:test"),
            now=services.clock(),
            random_bytes=lambda _n: next(stream),
        )
        session.rollback()
    assert offer.tx_code == "937123"
    assert offer.offer_id == "00000000-0000-4000-8000-000000000000"


def test_no_code_token_or_nonce_reaches_the_logs(
    client: TestClient,
    offered: tuple[dict[str, Any], dict[str, Any]],
    caplog: pytest.LogCaptureFixture,
) -> None:
    _credential, offer = offered
    caplog.set_level(logging.DEBUG)
    wrong = "000000" if offer["tx_code"] != "000000" else "111111"
    token_request(client, code_of(offer), wrong)
    token = access_token(client, offer)
    nonce = new_nonce(client)
    answer = credential_request(
        client, token, W3C, [proof(holder_key(), nonce=nonce, aud=BASE_URL)]
    )
    assert answer.status_code == 200
    assert any("wallet" in record.getMessage() for record in caplog.records)
    standard = set(logging.makeLogRecord({}).__dict__)  # times, line numbers: not ours
    logged = "\n".join(
        f"{record.getMessage()} {[v for k, v in vars(record).items() if k not in standard]}"
        for record in caplog.records
    )
    for secret in (code_of(offer), offer["tx_code"], wrong, token, nonce):
        assert secret not in logged


def test_an_offer_of_several_credentials_of_one_holder_names_each(
    client: TestClient, services: Services, admin_headers: dict[str, str]
) -> None:
    first = issue(client, services, admin_headers)
    exam = {"date": "2026-10-15", "session": "2026-Q4-D4-R01", "score": 80}
    second = issue(client, services, admin_headers, level="intermediate", exam=exam)
    stranger = issue(
        client, services, admin_headers, holder={"name": "李四", "employee_number": "E-0002"}
    )
    path = f"/api/v1/credentials/{first['id']}/wallet-offers"
    refused = client.post(path, json={"credential_ids": [stranger["id"]]}, headers=admin_headers)
    assert refused.status_code == 422
    assert refused.json()["code"] == "invalid_input"
    # By id or by certificate number, as everywhere in the registrar API.
    offer = make_offer(client, first["id"], admin_headers, credential_ids=[second["number"]])
    assert offer["credential_ids"] == [first["id"], second["id"]]
    token_answer = token_request(client, code_of(offer), offer["tx_code"])
    assert token_answer.status_code == 200, token_answer.text
    details = token_answer.json()["authorization_details"]
    assert [d["credential_configuration_id"] for d in details] == [SD_JWT, W3C]
    [w3c] = [d for d in details if d["credential_configuration_id"] == W3C]
    assert all(d["type"] == "openid_credential" for d in details)
    assert len(w3c["credential_identifiers"]) == 2
    token = token_answer.json()["access_token"]
    headers = {"Authorization": f"Bearer {token}"}
    key = holder_key()
    by_configuration = credential_request(
        client, token, W3C, [proof(key, nonce=new_nonce(client), aud=BASE_URL)]
    )
    _error(by_configuration, 400, "invalid_credential_request")
    jwks = client.get("/.well-known/jwks.json").json()
    for identifier, expected in zip(w3c["credential_identifiers"], (first, second), strict=True):
        body = {
            "credential_identifier": identifier,
            "proofs": {"jwt": [proof(key, nonce=new_nonce(client), aud=BASE_URL)]},
        }
        answer = client.post("/oid4vci/credential", json=body, headers=headers)
        assert answer.status_code == 200, answer.text
        [item] = answer.json()["credentials"]
        _header, payload = verify_with_jwcrypto(item["credential"], jwks)
        assert payload["jti"] == f"urn:uuid:{expected['id']}"
    unknown = {
        "credential_identifier": f"{W3C}:{stranger['id']}",
        "proofs": {"jwt": [proof(key, nonce=new_nonce(client), aud=BASE_URL)]},
    }
    _error(
        client.post("/oid4vci/credential", json=unknown, headers=headers),
        400,
        "unknown_credential_identifier",
    )
    with services.sessions() as session:
        offered = session.scalars(
            select(AuditEvent.target).where(AuditEvent.action == "wallet_offer.create")
        ).all()
    assert set(offered) == {first["id"], second["id"]}
    assert len(offered) == 2
