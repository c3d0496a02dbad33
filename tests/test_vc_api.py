"""The VC-API: issuing any VC 2.0 credential (admins), changing its status, and verifying
credentials and presentations (anyone), on SQLite and PostgreSQL.

Issued credentials are checked with jwcrypto against the published JWKS; presentations are
signed with jwcrypto by a holder's ``did:key``. Refusals change nothing stored.
"""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from fastapi.testclient import TestClient
from jwcrypto import jwk, jws
from sqlalchemy import func, select

from issuer.services import Services
from issuer.store.models import ApiCredential, AuditEvent, StatusAllocation, StatusList
from issuer.vocabulary import AuditAction
from tests.helpers import BASE_URL, make_token
from tests.issuer.helpers import issue_body, load_catalog, verify_with_jwcrypto

V2 = "https://www.w3.org/ns/credentials/v2"
_B58 = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"


def credential(**changes: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "@context": [V2],
        "type": ["VerifiableCredential"],
        "credentialSubject": {"id": "did:example:subject", "name": "Alice"},
    }
    body.update(changes)
    return body


def issue(client: TestClient, headers: dict[str, str], body: dict[str, Any]) -> Any:
    return client.post("/credentials/issue", json={"credential": body}, headers=headers)


def token_of(enveloped: dict[str, Any]) -> str:
    prefix = "data:application/vc+jwt,"
    assert enveloped["id"].startswith(prefix)
    return str(enveloped["id"][len(prefix) :])


def stored(services: Services) -> tuple[int, int, int]:
    """API credentials, their status slots, and their audit events."""
    with services.sessions() as session:
        rows = session.scalar(select(func.count()).select_from(ApiCredential))
        slots = session.scalar(
            select(func.count())
            .select_from(StatusAllocation)
            .where(StatusAllocation.api_credential_id.is_not(None))
        )
        events = session.scalar(
            select(func.count())
            .select_from(AuditEvent)
            .where(AuditEvent.action.startswith("api_credential."))
        )
    return int(rows or 0), int(slots or 0), int(events or 0)


def b58encode(data: bytes) -> str:
    number = int.from_bytes(data, "big")
    text = ""
    while number:
        number, digit = divmod(number, 58)
        text = _B58[digit] + text
    return "1" * (len(data) - len(data.lstrip(b"\0"))) + text


class Holder:
    """A wallet's key (Ed25519, or P-256) as a ``did:key``, signing presentations with
    jwcrypto."""

    def __init__(self, *, p256: bool = False) -> None:
        private: Ed25519PrivateKey | ec.EllipticCurvePrivateKey
        if p256:
            private = ec.generate_private_key(ec.SECP256R1())
            raw = private.public_key().public_bytes(Encoding.X962, PublicFormat.CompressedPoint)
            self.did = "did:key:z" + b58encode(b"\x80\x24" + raw)
            self.alg = "ES256"
        else:
            private = Ed25519PrivateKey.generate()
            raw = private.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
            self.did = "did:key:z" + b58encode(b"\xed\x01" + raw)
            self.alg = "EdDSA"
        self.key = jwk.JWK.from_pyca(private)

    def present(self, credentials: list[dict[str, Any]], **claims: Any) -> str:
        payload = {
            "@context": [V2],
            "type": ["VerifiablePresentation"],
            "holder": self.did,
            "verifiableCredential": credentials,
            **claims,
        }
        signed = jws.JWS(json.dumps(payload).encode())
        header = {"alg": self.alg, "typ": "vp+jwt", "kid": f"{self.did}#{self.did[8:]}"}
        signed.add_signature(self.key, alg=self.alg, protected=json.dumps(header))
        return str(signed.serialize(compact=True))


def enveloped_presentation(token: str) -> dict[str, Any]:
    return {
        "@context": [V2],
        "type": "EnvelopedVerifiablePresentation",
        "id": f"data:application/vp+jwt,{token}",
    }


def test_issue_signs_the_credential_with_a_status_entry_and_stores_it(
    client: TestClient, admin_headers: dict[str, str], services: Services
) -> None:
    answer = issue(client, admin_headers, credential())
    assert answer.status_code == 201
    enveloped = answer.json()["verifiableCredential"]
    assert enveloped["type"] == "EnvelopedVerifiableCredential"
    assert enveloped["@context"] == [V2]
    jwks = client.get("/.well-known/jwks.json").json()
    header, payload = verify_with_jwcrypto(token_of(enveloped), jwks)
    assert header["typ"] == "vc+jwt"
    assert header["alg"] == "ES256"
    assert payload["issuer"] == BASE_URL
    assert payload["id"].startswith("urn:uuid:")
    assert payload["credentialSubject"] == {"id": "did:example:subject", "name": "Alice"}
    entry = payload["credentialStatus"]
    assert entry["type"] == "BitstringStatusListEntry"
    assert entry["statusListCredential"].startswith(BASE_URL)
    assert stored(services) == (1, 1, 1)


def test_issue_keeps_the_callers_id_and_issuer_object(
    client: TestClient, admin_headers: dict[str, str]
) -> None:
    body = credential(id="https://example.org/credentials/1", issuer={"id": BASE_URL, "name": "T"})
    answer = issue(client, admin_headers, body)
    assert answer.status_code == 201
    _header, payload = verify_with_jwcrypto(
        token_of(answer.json()["verifiableCredential"]), client.get("/.well-known/jwks.json").json()
    )
    assert payload["id"] == "https://example.org/credentials/1"
    assert payload["issuer"] == {"id": BASE_URL, "name": "T"}


@pytest.mark.parametrize(
    ("change", "code"),
    [
        ({"@context": ["https://www.w3.org/ns/credentials/examples/v2", V2]}, "invalid_credential"),
        ({"type": ["ExampleCredential"]}, "invalid_credential"),
        ({"issuer": "https://another.example"}, "issuer_not_this_issuer"),
        ({"issuer": "not a url"}, "invalid_credential"),
        ({"id": "not a url"}, "invalid_credential"),
        ({"credentialSubject": {}}, "invalid_credential"),
        (
            {"validFrom": "2026-01-02T00:00:00Z", "validUntil": "2026-01-01T00:00:00Z"},
            "invalid_credential",
        ),
        ({"validFrom": "2026-01-02"}, "invalid_credential"),
        ({"name": {"@value": "x", "@other": "y"}}, "invalid_credential"),
        (
            {
                "proof": {
                    "type": "DataIntegrityProof",
                    "proofPurpose": "assertionMethod",
                    "verificationMethod": "did:example:1",
                }
            },
            "invalid_credential",
        ),
        (
            {"@context": [V2, {"VerifiableCredential": "https://example.org/#Bad"}]},
            "invalid_credential",
        ),
        ({"@context": [V2, "https://example.org/unknown-context"]}, "invalid_credential"),
        (
            {"@context": [V2, {"@vocab": None}], "type": ["VerifiableCredential", "Undefined"]},
            "invalid_credential",
        ),
        (
            {
                "credentialStatus": {
                    "type": "BitstringStatusListEntry",
                    "statusPurpose": "revocation",
                }
            },
            "invalid_credential",
        ),
        (
            {"relatedResource": [{"id": V2, "digestMultibase": "u" + "A" * 43}]},
            "invalid_credential",
        ),
        ({"relatedResource": [{"id": V2}]}, "invalid_credential"),
    ],
)
def test_issue_refuses_what_the_data_model_forbids_and_stores_nothing(
    client: TestClient,
    admin_headers: dict[str, str],
    services: Services,
    change: dict[str, Any],
    code: str,
) -> None:
    answer = issue(client, admin_headers, credential(**change))
    assert answer.status_code == 422, answer.text
    assert answer.json()["code"] == code
    assert stored(services) == (0, 0, 0)


def test_issue_accepts_the_base_contexts_real_digest(
    client: TestClient, admin_headers: dict[str, str]
) -> None:
    body = credential(
        relatedResource=[
            {"id": V2, "digestMultibase": "uWZVc7WaX1h4D8rJVb-vlMIqxaEKEb1tYbX8fet7JJzQ"}
        ]
    )
    assert issue(client, admin_headers, body).status_code == 201


@pytest.mark.parametrize("role", ["registrar", "auditor"])
def test_only_admins_issue_or_change_status(
    client: TestClient, services: Services, role: str
) -> None:
    units = ["U01"] if role == "registrar" else None
    headers = {"Authorization": f"Bearer {make_token(services, role, units)}"}
    assert issue(client, headers, credential()).status_code == 403
    assert client.post("/credentials/issue", json={"credential": credential()}).status_code == 401
    body = {"credentialId": "urn:uuid:x", "credentialStatus": [{"status": "revoked"}]}
    assert client.post("/credentials/status", json=body, headers=headers).status_code == 403
    assert stored(services) == (0, 0, 0)


def test_verify_credential_answers_200_only_when_valid(
    client: TestClient, admin_headers: dict[str, str]
) -> None:
    enveloped = issue(client, admin_headers, credential()).json()["verifiableCredential"]
    answer = client.post("/credentials/verify", json={"verifiableCredential": enveloped})
    assert answer.status_code == 200
    assert answer.json()["verified"] is True
    assert "signature" in answer.json()["checks"]
    compact = client.post("/credentials/verify", json={"verifiableCredential": token_of(enveloped)})
    assert compact.status_code == 200
    tampered = copy.deepcopy(enveloped)
    tampered["id"] = tampered["id"][:-4] + ("AAAA" if tampered["id"][-4:] != "AAAA" else "BBBB")
    refused = client.post("/credentials/verify", json={"verifiableCredential": tampered})
    assert refused.status_code == 422
    assert refused.json()["code"] == "credential_not_verified"
    assert refused.json()["verified"] is False
    assert refused.json()["result"]["status"] == "invalid"


@pytest.mark.parametrize(
    ("change", "code"),
    [
        ({"@context": []}, "invalid_envelope"),
        ({"@context": "https://www.w3.org/ns/credentials/examples/v2"}, "invalid_envelope"),
        ({"type": "VerifiableCredential"}, "not_secured"),
        ({"type": None}, "not_secured"),
        ({"proof": {"type": "DataIntegrityProof"}}, "embedded_proof_unsupported"),
    ],
)
def test_verify_credential_refuses_what_it_cannot_check(
    client: TestClient, admin_headers: dict[str, str], change: dict[str, Any], code: str
) -> None:
    enveloped = issue(client, admin_headers, credential()).json()["verifiableCredential"]
    enveloped.update(change)
    answer = client.post("/credentials/verify", json={"verifiableCredential": enveloped})
    assert answer.status_code == 422
    assert answer.json()["code"] == code


def test_verify_credential_refuses_a_data_url_of_another_media_type(
    client: TestClient, admin_headers: dict[str, str]
) -> None:
    enveloped = issue(client, admin_headers, credential()).json()["verifiableCredential"]
    enveloped["id"] = enveloped["id"].replace("application/vc+jwt", "application/jwt")
    answer = client.post("/credentials/verify", json={"verifiableCredential": enveloped})
    assert (answer.status_code, answer.json()["code"]) == (422, "invalid_envelope")


def test_the_register_s_open_badges_credentials_verify_through_the_vc_api(
    client: TestClient, admin_headers: dict[str, str], services: Services
) -> None:
    load_catalog(services)
    issued = client.post("/api/v1/credentials", json=issue_body(), headers=admin_headers)
    assert issued.status_code == 201
    jwt = issued.json()["jws"] if "jws" in issued.json() else issued.json()["credential"]
    answer = client.post("/credentials/verify", json={"verifiableCredential": jwt})
    assert answer.status_code == 200
    assert "Open Badges" in json.dumps(answer.json()["result"]["checks"])


def _revision(services: Services) -> int:
    with services.sessions() as session:
        return int(session.scalar(select(func.sum(StatusList.revision))) or 0)


def test_status_changes_revoke_suspend_and_unsuspend_through_the_lists(
    client: TestClient, admin_headers: dict[str, str], services: Services
) -> None:
    enveloped = issue(client, admin_headers, credential()).json()["verifiableCredential"]
    _h, payload = verify_with_jwcrypto(
        token_of(enveloped), client.get("/.well-known/jwks.json").json()
    )
    credential_id = payload["id"]

    def change(status: str) -> Any:
        body = {"credentialId": credential_id, "credentialStatus": [{"status": status}]}
        return client.post("/credentials/status", json=body, headers=admin_headers)

    def verdict() -> tuple[int, str]:
        answer = client.post("/credentials/verify", json={"verifiableCredential": enveloped})
        return answer.status_code, answer.json()["result"]["status"]

    before = _revision(services)
    assert change("suspended").json()["state"] == "suspended"
    assert verdict() == (422, "suspended")
    assert change("suspended").json()["code"] == "already_suspended"
    assert change("active").json()["state"] == "active"
    assert verdict() == (200, "valid")
    assert change("active").json()["code"] == "not_suspended"
    assert change("revoked").json()["state"] == "revoked"
    assert verdict() == (422, "revoked")
    again = change("revoked")
    assert (again.status_code, again.json()["code"]) == (409, "already_revoked")
    assert _revision(services) == before + 3
    with services.sessions() as session:
        actions = session.scalars(
            select(AuditEvent.action)
            .order_by(AuditEvent.id)
            .where(AuditEvent.action.startswith("api_credential."))
        ).all()
    assert actions == [
        AuditAction.API_CREDENTIAL_ISSUE,
        AuditAction.API_CREDENTIAL_STATUS,
        AuditAction.API_CREDENTIAL_STATUS,
        AuditAction.API_CREDENTIAL_STATUS,
    ]


def test_status_of_an_unknown_or_shared_id_is_refused(
    client: TestClient, admin_headers: dict[str, str], services: Services
) -> None:
    body = {"credentialId": "urn:uuid:none", "credentialStatus": [{"status": "revoked"}]}
    answer = client.post("/credentials/status", json=body, headers=admin_headers)
    assert (answer.status_code, answer.json()["code"]) == (404, "not_found")
    shared = credential(id="https://example.org/credentials/same")
    assert issue(client, admin_headers, shared).status_code == 201
    assert issue(client, admin_headers, shared).status_code == 201
    body["credentialId"] = "https://example.org/credentials/same"
    answer = client.post("/credentials/status", json=body, headers=admin_headers)
    assert (answer.status_code, answer.json()["code"]) == (409, "ambiguous_credential_id")
    assert stored(services) == (2, 2, 2)


@pytest.mark.parametrize("p256", [False, True], ids=["ed25519", "p256"])
def test_a_holders_enveloped_presentation_verifies_with_challenge_and_domain(
    client: TestClient, admin_headers: dict[str, str], p256: bool
) -> None:
    enveloped = issue(client, admin_headers, credential()).json()["verifiableCredential"]
    holder = Holder(p256=p256)
    token = holder.present([enveloped], nonce="n-123", aud="employer.example")
    body = {
        "verifiablePresentation": enveloped_presentation(token),
        "options": {"challenge": "n-123", "domain": "employer.example"},
    }
    answer = client.post("/presentations/verify", json=body)
    assert answer.status_code == 200, answer.text
    assert answer.json()["holder"] == holder.did
    assert answer.json()["credentialResults"][0]["status"] == "valid"
    body["options"] = {"challenge": "another", "domain": "employer.example"}
    refused = client.post("/presentations/verify", json=body)
    assert (refused.status_code, refused.json()["code"]) == (422, "challenge_mismatch")
    body["options"] = {"challenge": "n-123", "domain": "elsewhere.example"}
    refused = client.post("/presentations/verify", json=body)
    assert (refused.status_code, refused.json()["code"]) == (422, "domain_mismatch")


def test_a_presentation_is_refused_for_a_bad_signature_holder_or_credential(
    client: TestClient, admin_headers: dict[str, str]
) -> None:
    enveloped = issue(client, admin_headers, credential()).json()["verifiableCredential"]
    holder, other = Holder(), Holder()

    def code_for(token: str) -> tuple[int, str]:
        body = {"verifiablePresentation": enveloped_presentation(token)}
        answer = client.post("/presentations/verify", json=body)
        return answer.status_code, answer.json().get("code", "")

    token = holder.present([enveloped])
    header, payload, _signature = token.split(".")
    forged = f"{header}.{payload}.{other.present([enveloped]).split('.')[2]}"
    assert code_for(forged) == (422, "bad_presentation_signature")
    assert code_for(holder.present([enveloped], holder=other.did)) == (
        422,
        "unknown_holder_key",
    )
    assert code_for(holder.present([enveloped], holder="https://holder.example")) == (
        422,
        "unknown_holder_key",
    )
    assert code_for(holder.present([{"type": "VerifiableCredential"}])) == (
        422,
        "credential_not_verified",
    )
    _h, vc = verify_with_jwcrypto(token_of(enveloped), client.get("/.well-known/jwks.json").json())
    revoke = {"credentialId": vc["id"], "credentialStatus": [{"status": "revoked"}]}
    assert client.post("/credentials/status", json=revoke, headers=admin_headers).status_code == 200
    assert code_for(holder.present([enveloped])) == (422, "credential_not_verified")


def test_a_presentation_with_a_proof_that_is_not_data_integrity_is_refused(
    client: TestClient,
) -> None:
    presentation = {
        "@context": [V2],
        "type": ["VerifiablePresentation"],
        "proof": {"type": "Ed25519Signature2020", "proofPurpose": "authentication"},
    }
    answer = client.post("/presentations/verify", json={"verifiablePresentation": presentation})
    assert (answer.status_code, answer.json()["code"]) == (422, "bad_presentation_signature")
    answer = client.post("/presentations/verify", json={"verifiablePresentation": {"a": 1}})
    assert (answer.status_code, answer.json()["code"]) == (422, "not_secured")


def test_deeply_nested_input_is_refused_not_crashed_on(
    client: TestClient, admin_headers: dict[str, str], services: Services
) -> None:
    nested: Any = "x"
    for _ in range(400):
        nested = [nested]
    answer = issue(
        client, admin_headers, credential(credentialSubject={"id": "did:a:b", "n": nested})
    )
    assert (answer.status_code, answer.json()["code"]) == (422, "invalid_credential")
    shallow: Any = "x"
    for _ in range(20):
        shallow = {"n": shallow}
    answer = issue(
        client, admin_headers, credential(credentialSubject={"id": "did:a:b", "n": shallow})
    )
    assert answer.status_code == 201
    presentation = {"@context": [V2], "type": ["VerifiablePresentation"], "x": nested}
    presentation["proof"] = {"type": "DataIntegrityProof", "cryptosuite": "eddsa-rdfc-2022"}
    answer = client.post("/presentations/verify", json={"verifiablePresentation": presentation})
    assert answer.status_code == 422
    assert stored(services) == (1, 1, 1)


def test_issuing_takes_json_only(
    client: TestClient, admin_headers: dict[str, str], services: Services
) -> None:
    headers = {**admin_headers, "Content-Type": "text/plain"}
    answer = client.post(
        "/credentials/issue", content=json.dumps({"credential": credential()}), headers=headers
    )
    assert answer.status_code == 415
    assert stored(services) == (0, 0, 0)


def test_an_api_credential_reads_the_same_through_api_v1_verify_and_the_verify_page(
    client: TestClient, admin_headers: dict[str, str]
) -> None:
    enveloped = issue(client, admin_headers, credential()).json()["verifiableCredential"]
    token = token_of(enveloped)
    result = client.post("/api/v1/verify", json={"credential": token}).json()
    assert (result["verified"], result["status"]) == (True, "valid")
    page = client.post("/verify", data={"credential": token}, headers={"Accept-Language": "en"})
    assert page.status_code == 200
    _h, payload = verify_with_jwcrypto(token, client.get("/.well-known/jwks.json").json())
    body = {"credentialId": payload["id"], "credentialStatus": [{"status": "revoked"}]}
    assert client.post("/credentials/status", json=body, headers=admin_headers).status_code == 200
    result = client.post("/api/v1/verify", json={"credential": token}).json()
    assert (result["verified"], result["status"]) == (False, "revoked")
    answer = client.post("/credentials/verify", json={"verifiableCredential": enveloped}).json()
    assert answer["result"]["status"] == result["status"]
    assert [c["code"] for c in answer["result"]["checks"]] == [c["code"] for c in result["checks"]]
