"""End to end with a wallet's client library Tessera did not write: the OpenWallet
Foundation's ``@openid4vc/openid4vci`` 0.4.6 (tests/oid4vci_client/wallet.mjs) resolves the
offer, reads the metadata, trades the code and the transaction code for a token, gets a nonce,
proves possession of keys it generated and obtains the credential, from a Tessera server on a
loopback port. The copies are then checked with jwcrypto and Tessera's verifier, bound to the
wallet's keys, and revoked through the API.
"""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient

from issuer.services import Services
from tests.helpers import make_token
from tests.issuer.helpers import verify_with_jwcrypto
from tests.oid4vci_helpers import did_jwk_key, issue, make_offer
from tests.oid4vci_wallet import require_node, run_wallet

W3C = "open_badge_jwt_vc_json"
PUBLIC = ("kty", "crv", "x", "y")


@pytest.fixture
def wallet_live(
    live_server: tuple[str, TestClient], services: Services
) -> tuple[str, TestClient, dict[str, str]]:
    require_node()
    base, client = live_server
    return base, client, {"Authorization": f"Bearer {make_token(services)}"}


def _check_bound_copies(
    base: str, stored_token: str, obtained: dict[str, Any]
) -> list[dict[str, Any]]:
    jwks = httpx.get(f"{base}/.well-known/jwks.json").json()
    _header, stored = verify_with_jwcrypto(stored_token, jwks)
    payloads = []
    assert len(obtained["credentials"]) == len(obtained["keys"])
    for token, key in zip(obtained["credentials"], obtained["keys"], strict=True):
        header, payload = verify_with_jwcrypto(token, jwks)
        assert header["typ"] == "vc+jwt"
        # Holder binding: the subject is the did:jwk of the key the wallet generated.
        subject = payload["credentialSubject"]["id"]
        assert did_jwk_key(subject) == {k: key[k] for k in PUBLIC if k in key}
        assert payload["sub"] == subject
        assert payload["jti"] == stored["jti"]
        assert payload["credentialStatus"] == stored["credentialStatus"]
        assert (
            payload["credentialSubject"]["achievement"]
            == stored["credentialSubject"]["achievement"]
        )
        verdict = httpx.post(f"{base}/api/v1/verify", json={"credential": token}).json()
        assert (verdict["verified"], verdict["status"]) == (True, "valid"), verdict
        payloads.append(payload)
    return payloads


def test_a_wallet_obtains_the_open_badge_credential_bound_to_its_keys(
    wallet_live: tuple[str, TestClient, dict[str, str]], services: Services
) -> None:
    base, client, headers = wallet_live
    credential = issue(client, services, headers)
    offer = make_offer(client, credential["id"], headers, credential_configuration_ids=[W3C])
    obtained = run_wallet(offer["offer"], offer["tx_code"], proofs=2)
    assert obtained["credential_issuer"] == base
    assert obtained["version"] == "V1"  # read as OpenID4VCI 1.0 metadata
    assert obtained["token_type"] == "Bearer"
    result = obtained["results"][W3C]
    assert "error" not in result, result
    keys = result["keys"]
    assert [k["kty"] for k in keys] == ["EC", "OKP"]  # ES256 and EdDSA proofs
    _check_bound_copies(base, credential["credential"], result)
    # Revoked through the API: every copy the wallet holds verifies as revoked.
    revoked = client.post(
        f"/api/v1/credentials/{credential['id']}/revoke",
        json={"reason": "exam_misconduct"},
        headers=headers,
    )
    assert revoked.status_code == 200, revoked.text
    for token in result["credentials"]:
        verdict = httpx.post(f"{base}/api/v1/verify", json={"credential": token}).json()
        assert (verdict["verified"], verdict["status"]) == (False, "revoked"), verdict


def test_a_wallet_resolves_an_offer_by_reference_and_a_used_offer_gives_nothing(
    wallet_live: tuple[str, TestClient, dict[str, str]], services: Services
) -> None:
    base, client, headers = wallet_live
    credential = issue(client, services, headers)
    offer = make_offer(client, credential["id"], headers, credential_configuration_ids=[W3C])
    obtained = run_wallet(offer["offer_by_reference"], offer["tx_code"])
    _check_bound_copies(base, credential["credential"], obtained["results"][W3C])
    # The offer was redeemed: a second wallet with the same link gets nothing.
    again = httpx.get(offer["credential_offer_uri"])
    assert again.status_code == 404
