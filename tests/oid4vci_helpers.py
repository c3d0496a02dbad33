"""Helpers of the OpenID4VCI tests: offers through the API, and proofs made with jwcrypto
(a JOSE library Tessera does not use), well-formed or broken on purpose."""

from __future__ import annotations

import base64
import json
import time
from typing import Any
from urllib.parse import parse_qs, urlsplit

from fastapi.testclient import TestClient
from jwcrypto import jwk, jws

from issuer.services import Services
from tests.issuer.helpers import issue_body, load_catalog

PRE_AUTHORIZED_GRANT = "urn:ietf:params:oauth:grant-type:pre-authorized_code"
PROOF_TYP = "openid4vci-proof+jwt"


def issue(client: TestClient, services: Services, headers: dict[str, str], **changes: Any) -> Any:
    load_catalog(services)
    answer = client.post("/api/v1/credentials", json=issue_body(**changes), headers=headers)
    assert answer.status_code == 201, answer.text
    return answer.json()


def make_offer(
    client: TestClient, credential_id: str, headers: dict[str, str], **body: Any
) -> dict[str, Any]:
    answer = client.post(
        f"/api/v1/credentials/{credential_id}/wallet-offers", json=body or None, headers=headers
    )
    assert answer.status_code == 201, answer.text
    offer: dict[str, Any] = answer.json()
    return offer


def offer_of(link: str) -> dict[str, Any]:
    """The credential offer inside an ``openid-credential-offer://?credential_offer=`` link."""
    assert link.startswith("openid-credential-offer://?")
    [value] = parse_qs(urlsplit(link).query)["credential_offer"]
    document: dict[str, Any] = json.loads(value)
    return document


def code_of(offer: dict[str, Any]) -> str:
    code: str = offer_of(offer["offer"])["grants"][PRE_AUTHORIZED_GRANT]["pre-authorized_code"]
    return code


def token_request(
    client: TestClient, code: str, tx_code: str | None, *, grant: str = PRE_AUTHORIZED_GRANT
) -> Any:
    form = {"grant_type": grant, "pre-authorized_code": code}
    if tx_code is not None:
        form["tx_code"] = tx_code
    return client.post("/oid4vci/token", data=form)


def access_token(client: TestClient, offer: dict[str, Any]) -> str:
    answer = token_request(client, code_of(offer), offer["tx_code"])
    assert answer.status_code == 200, answer.text
    token: str = answer.json()["access_token"]
    return token


def new_nonce(client: TestClient) -> str:
    answer = client.post("/oid4vci/nonce")
    assert answer.status_code == 200, answer.text
    nonce: str = answer.json()["c_nonce"]
    return nonce


def holder_key(kind: str = "EC") -> jwk.JWK:
    if kind == "EC":
        return jwk.JWK.generate(kty="EC", crv="P-256")
    return jwk.JWK.generate(kty="OKP", crv="Ed25519")


def proof(
    key: jwk.JWK,
    *,
    nonce: str,
    aud: str,
    typ: str = PROOF_TYP,
    iat: int | None = None,
    header: dict[str, Any] | None = None,
    public: dict[str, Any] | None = None,
) -> str:
    """A proof JWT signed by ``key`` with jwcrypto, its public key (or ``public``) as ``jwk``."""
    alg = "ES256" if key["kty"] == "EC" else "EdDSA"
    protected = {
        "alg": alg,
        "typ": typ,
        "jwk": public if public is not None else key.export_public(as_dict=True),
        **(header or {}),
    }
    claims = {"aud": aud, "iat": int(time.time()) if iat is None else iat, "nonce": nonce}
    signed = jws.JWS(json.dumps(claims).encode())
    signed.add_signature(key, alg=alg, protected=json.dumps(protected))
    token: str = signed.serialize(compact=True)
    return token


def unsigned_proof(key: jwk.JWK, *, nonce: str, aud: str) -> str:
    """A proof with ``alg: none`` and no signature (RFC 8725 §3.1 says refuse it)."""

    def part(value: dict[str, Any]) -> str:
        return base64.urlsafe_b64encode(json.dumps(value).encode()).rstrip(b"=").decode()

    header = {"alg": "none", "typ": PROOF_TYP, "jwk": key.export_public(as_dict=True)}
    return f"{part(header)}.{part({'aud': aud, 'iat': int(time.time()), 'nonce': nonce})}."


def credential_request(
    client: TestClient, token: str | None, configuration: str, proofs: list[str]
) -> Any:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    body = {"credential_configuration_id": configuration, "proofs": {"jwt": proofs}}
    return client.post("/oid4vci/credential", json=body, headers=headers)


def did_jwk_key(did: str) -> dict[str, Any]:
    """The public JWK a ``did:jwk`` names."""
    assert did.startswith("did:jwk:")
    encoded = did.removeprefix("did:jwk:")
    key: dict[str, Any] = json.loads(base64.urlsafe_b64decode(encoded + "=" * (-len(encoded) % 4)))
    return key
