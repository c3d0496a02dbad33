"""Behaviour by design, pinned (decision 0025): each looks like a hole and is not one.

If one of these tests fails, the behaviour changed: change decision 0025 with it, or undo.
"""

from __future__ import annotations

from fastapi.testclient import TestClient

from issuer.services import Services
from tests.helpers import BASE_URL, make_token
from tests.issuer.helpers import load_catalog
from tests.issuer.lifecycle_helpers import bearer, issue, post
from tests.verifier.kit import NOW, IssuerKit, sign
from verifier.format import VC_JWT_MEDIA_TYPE
from verifier.qr_packing import packed_verify_url
from verifier.result import CheckCode
from verifier.sources.keys import StaticKeyResolver
from verifier.sources.status_lists import CallableStatusSource, StatusListNotPublishedError
from verifier.verification import Verifier


def test_holder_of_a_superseded_credential_can_fetch_its_replacement(
    client: TestClient, services: Services, admin_headers: dict[str, str]
) -> None:
    load_catalog(services)
    old = issue(client, admin_headers)
    body = {"reason": "data_correction", "holder_name": "王晓明"}
    new = post(client, f"/api/v1/credentials/{old['id']}/reissue", admin_headers, body).json()
    new_id = new["credential"]["id"]
    # Anyone holding the old id, without a token: the successor, then its signed credential.
    detail = client.get(f"/credentials/{old['id']}/status").json()
    assert detail["superseded_by"] == f"{BASE_URL}/v/{new_id}"
    fetched = client.get(f"/v/{new_id}", headers={"Accept": VC_JWT_MEDIA_TYPE})
    assert fetched.status_code == 200
    assert fetched.text == new["credential"]["credential"]
    # A revoked credential names no successor: revocation leads nowhere.
    other = issue(client, admin_headers, holder={"name": "李四", "employee_number": "E-0002"})
    post(
        client,
        f"/api/v1/credentials/{other['id']}/revoke",
        admin_headers,
        {"reason": "withdrawn_by_authority"},
    )
    assert client.get(f"/credentials/{other['id']}/status").json().get("superseded_by") is None


def test_packed_qr_link_verifies_under_any_host_and_only_its_signature_counts() -> None:
    kit = IssuerKit()
    token = kit.token()
    verifier = kit.verifier(status=False)
    for host in ("https://evil.example", "http://127.0.0.1:9", kit.base):
        result = verifier.verify_submission(packed_verify_url(host, token))
        assert result.verified, (host, result.problems)
        assert result.checks[0].code is CheckCode.LOCATE
        assert result.credential is not None
    stranger = IssuerKit()
    forged = stranger.token(kit.credential(), key=stranger.key)
    result = verifier.verify_submission(packed_verify_url("https://evil.example", forged))
    assert not result.verified


def test_auditors_can_download_documents_and_list_share_links_but_not_make_them(
    client: TestClient, services: Services, admin_headers: dict[str, str]
) -> None:
    load_catalog(services)
    issued = issue(client, admin_headers)
    made = post(client, f"/api/v1/credentials/{issued['id']}/share-links", admin_headers)
    assert made.status_code == 201
    auditor = bearer(make_token(services, "auditor"))
    base = f"/api/v1/credentials/{issued['id']}"
    for path in ("certificate.pdf", "badge.png", "badge.svg"):
        assert client.get(f"{base}/{path}", headers=auditor).status_code == 200
    links = client.get(f"{base}/share-links", headers=auditor)
    assert links.status_code == 200
    assert [link.get("url") for link in links.json()] == [None]  # never the link itself
    assert made.json()["url"].rsplit("/", 1)[1] not in links.text
    assert post(client, f"{base}/share-links", auditor).status_code == 403


def test_status_list_without_id_is_accepted_from_the_credentials_own_issuer_only() -> None:
    kit = IssuerKit()
    kit.revoked.add(0)  # a bit nobody's credential below uses
    token = kit.token()

    def verifier_serving(list_token: str) -> Verifier:
        def fetch(url: str) -> str:
            if url.endswith("/suspension"):
                raise StatusListNotPublishedError("no twin")
            return list_token

        return Verifier(
            trusted_issuers=[kit.base],
            key_resolver=StaticKeyResolver.from_jwks(kit.base, kit.jwks),
            status_source=CallableStatusSource(fetch, clock=lambda: NOW),
            clock=lambda: NOW,
        )

    def list_without_id(issuer: IssuerKit, signer: IssuerKit) -> str:
        payload = issuer.status_list_payload()
        del payload["id"]
        return sign(payload, signer.key)

    accepted = verifier_serving(list_without_id(kit, kit)).verify(token)
    assert accepted.verified, accepted.problems
    # Another issuer's list, without an id to give it away: its issuer and key do not match.
    other = IssuerKit(base="https://other.example")
    for forged in (list_without_id(other, other), list_without_id(kit, other)):
        result = verifier_serving(forged).verify(token)
        assert not result.verified
        status = next(c for c in result.checks if c.code is CheckCode.STATUS)
        assert status.error == "status_verification_error"
    # With an id, it must be the URL the credential names.
    elsewhere = sign(kit.status_list_payload(id=f"{kit.base}/status/99"), kit.key)
    assert not verifier_serving(elsewhere).verify(token).verified
