"""An employer's request answered by a real wallet: ``@openid4vc/openid4vp``'s wallet side
(tests/presentation/wallet), against the app on a loopback port."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from cryptography.hazmat.primitives.asymmetric import ec
from fastapi.testclient import TestClient
from sqlalchemy import select

from issuer.services import Services
from issuer.store.engine import session_scope
from issuer.store.models import PresentationRequest
from tests.presentation.wallet_runner import (
    WalletFailedError,
    holder_wallet_credential,
    run_wallet,
)
from verifier.jwk import jwk_from_public_key

# A loopback server on a loaded CI machine may pause for seconds: no request gives up early.
HTTP_TIMEOUT = 30.0


def _create(base: str, claims: list[str]) -> dict[str, str]:
    answer = httpx.post(
        f"{base}/api/v1/presentation-requests", json={"claims": claims}, timeout=HTTP_TIMEOUT
    )
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


def _answer(
    live_server: tuple[str, TestClient],
    services: Services,
    admin_headers: dict[str, str],
    claims: list[str],
    **options: object,
) -> tuple[str, dict[str, str], dict[str, Any], str]:
    """A request for ``claims`` answered by the wallet with a fresh certificate: (base,
    the request, the wallet's report, the credential's id)."""
    base, client = live_server
    credential_id, sd_jwt_vc, holder = holder_wallet_credential(
        client, admin_headers, services, base
    )
    if options.pop("revoke", False):
        revoked = client.post(
            f"/api/v1/credentials/{credential_id}/revoke",
            json={"reason": "exam_misconduct"},
            headers=admin_headers,
        )
        assert revoked.status_code == 200, revoked.text
    created = _create(base, claims)
    report = run_wallet(
        created["wallet_link"],
        f"{base}/.well-known/jwks.json",
        credential=sd_jwt_vc,
        holder_jwk=holder,
        **options,
    )
    return base, created, report, credential_id


def _result(created: dict[str, str]) -> dict[str, Any]:
    answer = httpx.get(created["result_api_url"], timeout=HTTP_TIMEOUT)
    assert answer.status_code == 200
    result: dict[str, Any] = answer.json()
    return result


def test_a_request_for_occupation_and_level_shows_only_those_even_when_more_is_disclosed(
    live_server: tuple[str, TestClient], services: Services, admin_headers: dict[str, str]
) -> None:
    base, created, report, _id = _answer(
        live_server, services, admin_headers, ["occupation", "level"], disclose_all=True
    )
    # The wallet disclosed the score, the exam session and the employee number as well.
    assert {"score", "exam_session", "employee_number"} <= set(report["disclosed"])
    assert report["answer"] == {"status": 200, "body": {}}
    result = _result(created)
    assert result["state"] == "answered"
    assert result["verdict"] == "valid"
    assert set(result["disclosed"]) == {"occupation", "level"}
    assert result["disclosed"]["occupation"]["code"] == "6-17-05-01"
    assert result["disclosed"]["level"]["code"] == "senior"
    with session_scope(services.sessions) as session:
        row = session.scalars(select(PresentationRequest)).one()
        assert set(row.disclosed or {}) == {"occupation", "level"}
    page = httpx.get(created["result_url"] + "?lang=en", timeout=HTTP_TIMEOUT).text
    assert "Genuine and valid" in page
    assert "Occupation" in page
    assert "Level" in page
    for hidden in ("王小明", "E-0001", "2026-Q4-D3-R05", ">91<", "Score", "Holder"):
        assert hidden not in page
    assert 'http-equiv="refresh"' not in page
    assert base in created["result_url"]


def test_a_replayed_answer_is_refused_and_the_verdict_stays(
    live_server: tuple[str, TestClient], services: Services, admin_headers: dict[str, str]
) -> None:
    _base, created, report, _id = _answer(
        live_server, services, admin_headers, ["occupation", "level", "score"], replay=True
    )
    assert report["answer"]["status"] == 200
    assert report["replay"]["status"] == 409
    assert report["replay"]["body"]["code"] == "presentation_request_answered"
    result = _result(created)
    assert result["verdict"] == "valid"
    assert result["disclosed"]["score"] == 91


@pytest.mark.parametrize(
    ("override", "reason"),
    [
        ({"nonce": "another-nonce"}, "nonce_mismatch"),
        ({"audience": "x509_hash:abc"}, "audience_mismatch"),
    ],
)
def test_an_answer_for_another_nonce_or_audience_is_refused_and_the_request_waits(
    live_server: tuple[str, TestClient],
    services: Services,
    admin_headers: dict[str, str],
    override: dict[str, str],
    reason: str,
) -> None:
    _base, created, report, _id = _answer(
        live_server, services, admin_headers, ["occupation", "level"], **override
    )
    assert report["answer"]["status"] == 422
    assert report["answer"]["body"]["code"] == "presentation_refused"
    assert report["answer"]["body"]["reason"] == reason
    assert report["answer"]["body"]["error"] == "invalid_request"  # an OAuth error as well
    result = _result(created)
    assert result["state"] == "waiting"
    assert result["verdict"] is None
    assert result["disclosed"] == {}


def test_a_revoked_credential_shows_revoked(
    live_server: tuple[str, TestClient], services: Services, admin_headers: dict[str, str]
) -> None:
    _base, created, report, _id = _answer(
        live_server, services, admin_headers, ["occupation", "level"], revoke=True
    )
    assert report["answer"]["status"] == 200
    result = _result(created)
    assert result["verdict"] == "revoked"
    assert set(result["disclosed"]) == {"occupation", "level"}
    page = httpx.get(created["result_url"], timeout=HTTP_TIMEOUT).text
    assert "已撤销" in page
    assert "Revoked" in page
