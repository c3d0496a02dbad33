"""``POST /presentations/verify`` with Data Integrity (``eddsa-rdfc-2022``) presentations made
by the W3C VC 2.0 test suite's own code and pinned Digital Bazaar libraries (node), on
SQLite and PostgreSQL: accepted as signed, refused when tampered with, replayed for another
challenge, or holding credentials of an issuer the server does not trust."""

from __future__ import annotations

import copy
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from issuer.app import create_app
from issuer.config import Settings
from issuer.services import Services
from tests.w3c_suite import SUITE_DID_KEY, sign_presentation

V2 = "https://www.w3.org/ns/credentials/v2"


def presentation(**changes: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "@context": [V2],
        "type": ["VerifiablePresentation"],
        "holder": SUITE_DID_KEY,
        "verifiableCredential": [
            {
                "@context": [V2],
                "type": ["VerifiableCredential"],
                "credentialSubject": {"id": "did:example:subject", "name": "Alice"},
            }
        ],
    }
    body.update(changes)
    return body


@pytest.fixture
def trusting_client(
    settings: Settings,
    services: Services,  # noqa: ARG001 (stores the identity, creates the key, empties after)
) -> Iterator[TestClient]:
    """The app with the suite's did:key among TESSERA_TRUSTED_ISSUERS."""
    trusting = settings.model_copy(update={"trusted_issuers": [SUITE_DID_KEY]})
    trusting_services = Services.from_settings(trusting)
    try:
        with TestClient(create_app(trusting, services=trusting_services)) as client:
            yield client
    finally:
        trusting_services.engine.dispose()


def verify(
    client: TestClient, signed: dict[str, Any], challenge: str, domain: str
) -> tuple[int, dict[str, Any]]:
    body = {
        "verifiablePresentation": signed,
        "options": {"challenge": challenge, "domain": domain},
    }
    answer = client.post("/presentations/verify", json=body)
    return answer.status_code, answer.json()


def test_a_signed_presentation_of_a_trusted_issuers_credentials_verifies(
    trusting_client: TestClient,
) -> None:
    signed, challenge, domain = sign_presentation(presentation())
    status, body = verify(trusting_client, signed, challenge, domain)
    assert status == 200, body
    assert body["holder"] == SUITE_DID_KEY
    assert body["credentialResults"] == [
        {
            "verified": True,
            "status": "valid",
            "issuer": SUITE_DID_KEY,
            "securing": "eddsa-rdfc-2022",
        }
    ]


def test_the_same_credentials_are_refused_where_their_issuer_is_not_trusted(
    client: TestClient,
) -> None:
    signed, challenge, domain = sign_presentation(presentation())
    status, body = verify(client, signed, challenge, domain)
    assert (status, body["code"]) == (422, "credential_not_verified")


def test_a_presentation_without_credentials_needs_no_trust(client: TestClient) -> None:
    signed, challenge, domain = sign_presentation(
        presentation(verifiableCredential=[], id="urn:uuid:9c9a36f8-518f-4976-a934-6649502d0008")
    )
    assert verify(client, signed, challenge, domain)[0] == 200


def test_tampering_replay_and_another_domain_are_refused(trusting_client: TestClient) -> None:
    signed, challenge, domain = sign_presentation(presentation())
    cases = []
    tampered = copy.deepcopy(signed)
    tampered["proof"]["proofValue"] = "z5nmMBw2u9TGKd9NxxHJtyZKgjN2Eh"
    cases.append((tampered, challenge, domain, "bad_presentation_signature"))
    changed = copy.deepcopy(signed)
    changed["verifiableCredential"][0]["credentialSubject"]["name"] = "Mallory"
    cases.append((changed, challenge, domain, "bad_presentation_signature"))
    cases.append((signed, "another-challenge", domain, "challenge_mismatch"))
    cases.append((signed, challenge, "another.example", "domain_mismatch"))
    reordered = copy.deepcopy(signed)
    reordered["@context"] = ["https://www.w3.org/ns/credentials/examples/v2", V2]
    cases.append((reordered, challenge, domain, "invalid_presentation"))
    unknown = copy.deepcopy(signed)
    unknown["@context"] = [V2, "https://example.com"]
    cases.append((unknown, challenge, domain, "bad_presentation_signature"))
    for item, asked, audience, code in cases:
        status, body = verify(trusting_client, item, asked, audience)
        assert (status, body["code"]) == (422, code)


def test_a_credential_signed_by_one_key_but_naming_another_issuer_is_refused(
    trusting_client: TestClient,
) -> None:
    signed, challenge, domain = sign_presentation(presentation())
    forged = copy.deepcopy(signed)
    # The credential's proof stays the suite key's; its issuer is changed afterwards, which
    # also breaks the presentation's own proof: the presentation is refused first.
    forged["verifiableCredential"][0]["issuer"] = (
        "did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK"
    )
    status, body = verify(trusting_client, forged, challenge, domain)
    assert (status, body["code"]) == (422, "bad_presentation_signature")


def test_a_holder_who_did_not_sign_is_refused(trusting_client: TestClient) -> None:
    other = "did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK"
    signed, challenge, domain = sign_presentation(presentation(holder=other))
    status, body = verify(trusting_client, signed, challenge, domain)
    assert (status, body["code"]) == (422, "unknown_holder_key")
