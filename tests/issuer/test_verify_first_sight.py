"""First sight: a credential this server has not verified before, with the memo off.

What docs/performance.md "First sight" changed must not change an answer: two app
instances sharing one database see a suspension and a revocation made through the other at
once, and the certificate number still comes with a never-seen credential; the event-loop
routing's lenient read of the issuer never sends a token the verifier will attribute to
another issuer onto the loop; the verify route, served without FastAPI's dependency
solving, keeps its documented contract.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from issuer.app import _verify_in_thread, create_app
from issuer.config import Settings
from issuer.services import Services
from issuer.store.models import Credential
from issuer.web.local_verifier import stays_in_process
from tests.issuer.helpers import load_catalog
from tests.issuer.lifecycle_helpers import issue
from verifier.errors import KeyNotFoundError
from verifier.sources.keys import VerificationKey
from verifier.verification import Verifier

OWN = "https://own.test"
OTHER = "https://other.test"


@pytest.fixture
def two_instances(
    settings: Settings, services: Services
) -> Iterator[tuple[TestClient, TestClient]]:
    """Two apps on one database, each with its own services (engine, list revisions, signed
    copies, certificate numbers), both with the verification memo off."""
    first_sight = settings.model_copy(update={"verify_memo_size": 0})
    other = Services.from_settings(first_sight)
    try:
        with (
            TestClient(create_app(first_sight, services=services)) as a,
            TestClient(create_app(first_sight, services=other)) as b,
        ):
            yield a, b
    finally:
        other.engine.dispose()


def _verify(client: TestClient, token: str) -> dict[str, object]:
    response = client.post(
        "/api/v1/verify", content=token, headers={"Content-Type": "application/vc+jwt"}
    )
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/json"
    result: dict[str, object] = response.json()
    return result


def test_a_change_through_one_instance_shows_at_once_in_the_other(
    services: Services,
    two_instances: tuple[TestClient, TestClient],
    admin_headers: dict[str, str],
) -> None:
    a, b = two_instances
    load_catalog(services)
    issued = issue(a, admin_headers)
    token = issued["credential"]
    first = _verify(b, token)
    assert (first["status"], first["verified"]) == ("valid", True)
    # Never seen by b before: its certificate number is read from the register.
    credential = first["credential"]
    assert isinstance(credential, dict)
    with services.read_sessions() as session:
        number = session.scalar(select(Credential.number).where(Credential.id == issued["id"]))
    assert number
    assert credential["certificate_number"] == number
    for action, reason, status in (
        ("suspend", "withdrawn_by_authority", "suspended"),
        ("reinstate", "issued_in_error", "valid"),
        ("revoke", "exam_misconduct", "revoked"),
    ):
        response = a.post(
            f"/api/v1/credentials/{issued['id']}/{action}",
            json={"reason": reason},
            headers=admin_headers,
        )
        assert response.status_code == 200, response.text
        assert _verify(b, token)["status"] == status, action
        assert _verify(a, token)["status"] == status, action


def _token(payload: bytes) -> str:
    def part(data: bytes) -> str:
        return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")

    header = json.dumps({"alg": "ES256", "kid": "key-1", "typ": "vc+jwt"}).encode()
    return f"{part(header)}.{part(payload)}.{part(bytes(64))}"


def _payload(**members: object) -> bytes:
    return json.dumps({"@context": ["https://www.w3.org/ns/credentials/v2"], **members}).encode()


class _NoKeys:
    """A key source that records every look-up and has no keys."""

    def __init__(self) -> None:
        self.asked: list[str] = []
        self.kids: list[str] = []

    def resolve_key(self, issuer_id: str, kid: str) -> VerificationKey:
        self.asked.append(issuer_id)
        self.kids.append(kid)
        raise KeyNotFoundError("no keys here")


def _verifier(keys: _NoKeys) -> Verifier:
    return Verifier(trusted_issuers=[OWN, OTHER], key_resolver=keys, status_source=None)


@pytest.mark.parametrize(
    ("payload", "stays"),
    [
        (_payload(issuer=OWN), True),
        (_payload(issuer={"id": OWN, "name": "Own"}), True),
        (_payload(issuer=OTHER), False),
        (_payload(issuer={"id": OTHER}), False),
        (_payload(issuer=OWN, big=10**30), True),  # orjson reads a float, the issuer the same
        (_payload(), True),  # no issuer: refused before any key is looked up
        (b"[1, 2]", True),
    ],
)
def test_the_routing_reads_the_issuer_the_verifier_will_read(payload: bytes, stays: bool) -> None:
    token = _token(payload)
    assert stays_in_process(OWN, token) is stays
    keys = _NoKeys()
    _verifier(keys).verify(token)
    assert all(asked == OWN for asked in keys.asked) or not stays


@pytest.mark.parametrize(
    "payload",
    [
        # The lenient reading takes the last "issuer", the strict parser refuses the repeat.
        b'{"issuer": "' + OTHER.encode() + b'", "issuer": "' + OWN.encode() + b'"}',
        # orjson refuses a lone surrogate: the strict path decides (and refuses it too).
        b'{"issuer": "' + OTHER.encode() + b'", "name": "\\ud800"}',
        b'{"issuer": "' + OTHER.encode() + b'", "score": NaN}',
        b'\xef\xbb\xbf{"issuer": "' + OTHER.encode() + b'"}',
    ],
)
def test_what_the_strict_parser_refuses_stays_on_the_loop_and_asks_no_key(payload: bytes) -> None:
    token = _token(payload)
    assert stays_in_process(OWN, token) is True
    keys = _NoKeys()
    result = _verifier(keys).verify(token)
    assert keys.asked == []  # refused at parse: no issuer's keys were fetched
    assert result.verified is False
    assert result.checks[0].code.value == "parse"
    assert result.checks[0].passed is False


def test_a_payload_that_is_not_base64url_stays_on_the_loop() -> None:
    header, _payload_part, signature = _token(_payload(issuer=OTHER)).split(".")
    assert stays_in_process(OWN, f"{header}.not*base64.{signature}") is True
    assert stays_in_process(OWN, "a.b") is True


def test_the_verify_route_keeps_its_documented_contract(client: TestClient) -> None:
    operation = client.get("/openapi.json").json()["paths"]["/api/v1/verify"]["post"]
    assert set(operation["requestBody"]["content"]) == {
        "application/json",
        "application/vc+jwt",
        "text/plain",
    }
    assert {"200", "413", "415", "422", "429"} <= set(operation["responses"])
    schema = operation["responses"]["200"]["content"]["application/json"]["schema"]
    assert schema == {"$ref": "#/components/schemas/VerificationResult"}
    refused = client.post("/api/v1/verify", content=b"x", headers={"Content-Type": "image/png"})
    assert refused.status_code == 415
    assert refused.headers["content-type"] == "application/problem+json"
    assert "x-request-id" in refused.headers
    too_large = client.post(
        "/api/v1/verify",
        content=b"a" * (97 * 1024),
        headers={"Content-Type": "application/vc+jwt"},
    )
    assert too_large.status_code == 413
    assert too_large.headers["content-type"] == "application/problem+json"
    garbage = client.post(
        "/api/v1/verify", content=b"garbage", headers={"Content-Type": "text/plain"}
    )
    assert garbage.status_code == 200
    assert garbage.json()["verified"] is False
    assert garbage.headers["x-content-type-options"] == "nosniff"


def test_only_a_server_trusting_another_issuer_reads_submissions_to_route_them(
    settings: Settings,
) -> None:
    """Trusting no one else, nothing a verification does can reach the network: on SQLite
    it runs on the event loop without reading the submission first; trusting another
    issuer, each submission is routed by its issuer; on PostgreSQL, always a thread."""
    own = Verifier(trusted_issuers=[OWN], key_resolver=_NoKeys(), status_source=None)
    both = _verifier(_NoKeys())
    token_of_other = _token(_payload(issuer=OTHER))
    if settings.is_sqlite:
        assert _verify_in_thread(settings, own, OWN) is False
        routed = _verify_in_thread(settings, both, OWN)
        assert callable(routed)
        assert routed(token_of_other) is True
        assert routed(_token(_payload(issuer=OWN))) is False
    else:
        assert _verify_in_thread(settings, own, OWN) is True
        assert _verify_in_thread(settings, both, OWN) is True
