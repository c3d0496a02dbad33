"""Every credential form Tessera emits, against the Open Badges 3.0 rules checkable offline.

The forms: the ``vc+jwt`` credential as issued (with and without ``validUntil``), the same
credential baked in the PNG (``iTXt`` ``openbadgecredential``) and SVG
(``openbadges:credential``) badges, read back with Pillow and ElementTree, and the status list
a validator follows. The rules are in ``tests/ob3_profile.py`` (the 1EdTech schema, OB 3.0's
JWT proof format, the official validator's header rules). Decision 0054 says which Tessera
meets by default and which need ``TESSERA_KID_FORM=url``.
"""

from __future__ import annotations

import io
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from PIL import Image

from issuer.app import create_app
from issuer.config import Settings
from issuer.keys.keystore import create_signing_key
from issuer.services import Services
from issuer.store.engine import session_scope
from tests.helpers import BASE_URL, PASSPHRASE
from tests.issuer.helpers import issue_body, load_catalog
from tests.jsonld_documents import jws_header, jws_payload
from tests.ob3_profile import (
    claim_problems,
    header_problems,
    schema_problems,
    validator_key,
    verify_as_the_validator,
)

OB_NAMESPACE = "{https://purl.imsglobal.org/ob/v3p0}"


def _dereference(client: TestClient) -> Any:
    def fetch(url: str) -> dict[str, Any] | None:
        if not url.startswith(f"{BASE_URL}/"):
            return None  # the test never leaves the app
        response = client.get(url.removeprefix(BASE_URL))
        return response.json() if response.status_code == 200 else None

    return fetch


def _issue(client: TestClient, headers: dict[str, str], **changes: Any) -> dict[str, Any]:
    response = client.post("/api/v1/credentials", json=issue_body(**changes), headers=headers)
    assert response.status_code == 201, response.text
    issued: dict[str, Any] = response.json()
    return issued


@pytest.fixture
def url_kid_client(
    settings: Settings,
    services: Services,  # noqa: ARG001 (migrates the database, creates the signing key)
) -> Iterator[TestClient]:
    """The app with ``TESSERA_KID_FORM=url``, on the same database and keys."""
    url_settings = settings.model_copy(update={"kid_form": "url"})
    url_services = Services.from_settings(url_settings)
    try:
        with TestClient(create_app(url_settings, services=url_services)) as client:
            yield client
    finally:
        url_services.engine.dispose()


def test_issued_credentials_meet_the_schema_and_the_jwt_claims(
    client: TestClient, admin_headers: dict[str, str], services: Services
) -> None:
    load_catalog(services)
    later = {"date": "2026-10-15", "session": "2026-Q4-D4-R01", "score": 88}
    for changes in ({}, {"valid_until": "2031-01-01T00:00:00Z", "exam": later}):
        token = _issue(client, admin_headers, **changes)["credential"]
        payload = jws_payload(token)
        assert schema_problems(payload) == []
        assert claim_problems(payload) == []
        assert ("exp" in payload) == bool(changes)


def test_the_rules_catch_what_they_check(
    client: TestClient, admin_headers: dict[str, str], services: Services
) -> None:
    load_catalog(services)
    payload = jws_payload(_issue(client, admin_headers)["credential"])
    assert claim_problems({**payload, "jti": "urn:uuid:other"}) != []
    assert claim_problems({**payload, "nbf": payload["nbf"] + 1}) != []
    assert schema_problems({k: v for k, v in payload.items() if k != "validFrom"}) != []
    assert header_problems({"alg": "EdDSA", "kid": "x"}) != []
    assert header_problems({"alg": "ES256"}) != []
    assert header_problems({"alg": "ES256", "kid": "x", "x5u": "https://x.example"}) != []


def test_default_header_meets_the_algorithm_rule_but_its_kid_does_not_dereference(
    client: TestClient, admin_headers: dict[str, str], services: Services
) -> None:
    load_catalog(services)
    issued = _issue(client, admin_headers)
    token, kid = issued["credential"], issued["kid"]
    header = jws_header(token)
    assert header == {"alg": "ES256", "kid": kid, "typ": "vc+jwt"}  # typ: decision 0002
    assert header_problems(header) == []
    # A bare thumbprint has no scheme: the validator resolves it as a DID and gives up.
    with pytest.raises(ValueError, match="not a URL"):
        verify_as_the_validator(token, _dereference(client))
    # Joined to the issuer (decision 0001) it dereferences to the signing JWK.
    key = validator_key({"kid": f"{BASE_URL}/keys/{kid}"}, _dereference(client))
    assert key["kid"] == kid


def test_kid_url_option_passes_the_validator_and_tessera_verifies_it(
    url_kid_client: TestClient, admin_headers: dict[str, str], services: Services
) -> None:
    load_catalog(services)
    client = url_kid_client
    issued = _issue(client, admin_headers, valid_until="2031-01-01T00:00:00Z")
    token = issued["credential"]
    payload = verify_as_the_validator(token, _dereference(client))
    assert payload["id"] == f"urn:uuid:{issued['id']}"
    assert jws_header(token)["kid"] == f"{BASE_URL}/keys/{issued['kid']}"
    assert schema_problems(payload) == []
    assert claim_problems(payload) == []
    for submitted in (token, issued["qr_text"]):
        verdict = client.post("/api/v1/verify", json={"credential": submitted}).json()
        assert verdict["verified"], verdict["problems"]
        assert verdict["status"] == "valid"
    status_url = payload["credentialStatus"]["statusListCredential"]
    status_list = client.get(status_url.removeprefix(BASE_URL)).text
    assert verify_as_the_validator(status_list, _dereference(client))["id"] == status_url


def test_baked_badges_carry_the_credential_as_issued(
    client: TestClient, admin_headers: dict[str, str], services: Services
) -> None:
    load_catalog(services)
    issued = _issue(client, admin_headers)
    base = f"/api/v1/credentials/{issued['id']}"
    png = client.get(f"{base}/badge.png", headers=admin_headers)
    assert png.status_code == 200
    image = Image.open(io.BytesIO(png.content))
    image.load()
    assert image.text["openbadgecredential"] == issued["credential"]  # type: ignore[attr-defined]
    svg = client.get(f"{base}/badge.svg", headers=admin_headers)
    assert svg.status_code == 200
    root = ET.fromstring(svg.content)
    baked = root.find(f"{OB_NAMESPACE}credential")
    assert baked is not None
    assert baked.get("verify") == issued["credential"]
    payload = jws_payload(issued["credential"])
    assert schema_problems(payload) == []
    assert claim_problems(payload) == []


def test_eddsa_credentials_fail_the_validator_algorithm_rule(
    client: TestClient, admin_headers: dict[str, str], services: Services, settings: Settings
) -> None:
    load_catalog(services)
    with session_scope(services.sessions) as session:
        create_signing_key(
            session, settings.keys_dir, PASSPHRASE.encode(), "EdDSA", now=services.clock()
        )
    token = _issue(client, admin_headers)["credential"]
    header = jws_header(token)
    assert header["alg"] == "EdDSA"
    assert header_problems(header) == ["alg 'EdDSA' is neither RS256 nor ES256"]
    # Everything else about it is Open Badges 3.0: only the validator's alg list refuses it.
    assert schema_problems(jws_payload(token)) == []
    assert claim_problems(jws_payload(token)) == []
