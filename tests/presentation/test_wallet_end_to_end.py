"""An employer's request answered by a real wallet: ``@openid4vc/openid4vp``'s wallet side
(tests/presentation/wallet), against the app on a loopback port."""

from __future__ import annotations

import httpx
import pytest
from cryptography.hazmat.primitives.asymmetric import ec
from fastapi.testclient import TestClient

from tests.presentation.wallet_runner import WalletFailedError, run_wallet
from verifier.jwk import jwk_from_public_key


def _create(base: str, claims: list[str]) -> dict[str, str]:
    answer = httpx.post(f"{base}/api/v1/presentation-requests", json={"claims": claims})
    assert answer.status_code == 201, answer.text
    created: dict[str, str] = answer.json()
    return created


def test_wallet_resolves_the_signed_request_with_its_x509_hash_client_id(
    live_server: tuple[str, TestClient],
) -> None:
    base, _client = live_server
    created = _create(base, ["occupation", "level"])
    report = run_wallet(created["wallet_link"], f"{base}/.well-known/jwks.json")
    assert report["client"] == {"prefix": "x509_hash", "effective": created["client_id"]}
    request = report["request"]
    assert request["response_mode"] == "direct_post"
    assert request["response_uri"] == f"{base}/oid4vp/responses/{created['id']}"
    assert report["dcql"] == created["dcql_query"]


def test_wallet_refuses_a_request_signed_by_a_key_it_does_not_trust(
    live_server: tuple[str, TestClient],
) -> None:
    base, _client = live_server
    created = _create(base, ["occupation"])
    # The wallet trusts another verifier's key only: Tessera's request does not verify.
    other = jwk_from_public_key(ec.generate_private_key(ec.SECP256R1()).public_key())
    with pytest.raises(WalletFailedError) as refused:
        run_wallet(created["wallet_link"], {"keys": [other]})
    assert "verification of jwt" in str(refused.value)
