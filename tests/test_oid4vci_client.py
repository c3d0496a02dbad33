"""End to end with a wallet's client library Tessera did not write: the OpenWallet
Foundation's ``@openid4vc/openid4vci`` 0.4.6 (tests/oid4vci_client/wallet.mjs) resolves the
offer, reads the metadata, trades the code and the transaction code for a token, gets a nonce,
proves possession of keys it generated and obtains the credential, from a Tessera server on a
loopback port. The copies are then checked with jwcrypto and Tessera's verifier, bound to the
wallet's keys, and revoked through the API. A holder's own offer, made with the "add to my
wallet" form of their share page, is redeemed the same way.
"""

from __future__ import annotations

import base64
import html
import json
import re
import zlib
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from fastapi.testclient import TestClient
from jwcrypto.jwk import JWK, JWKSet
from sd_jwt.verifier import SDJWTVerifier

from issuer.services import Services
from tests.helpers import make_token
from tests.issuer.helpers import verify_with_jwcrypto
from tests.node_packages import require_node
from tests.oid4vci_helpers import did_jwk_key, issue, make_offer
from tests.oid4vci_wallet import run_wallet

W3C = "open_badge_jwt_vc_json"
# A loopback server on a loaded CI machine may pause for seconds: no request gives up early.
HTTP_TIMEOUT = 30.0

SD_JWT = "skill_certificate_sd_jwt"
TOKEN_STATUS_REVOKED = 1  # draft-ietf-oauth-status-list "INVALID"
PUBLIC = ("kty", "crv", "x", "y")


@pytest.fixture
def wallet_live(
    live_server: tuple[str, TestClient], services: Services
) -> tuple[str, TestClient, dict[str, str]]:
    require_node("OpenID4VCI client")
    base, client = live_server
    return base, client, {"Authorization": f"Bearer {make_token(services)}"}


def _check_bound_copies(
    base: str, stored_token: str, obtained: dict[str, Any]
) -> list[dict[str, Any]]:
    jwks = httpx.get(f"{base}/.well-known/jwks.json", timeout=HTTP_TIMEOUT).json()
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
        verdict = httpx.post(
            f"{base}/api/v1/verify", json={"credential": token}, timeout=HTTP_TIMEOUT
        ).json()
        assert (verdict["verified"], verdict["status"]) == (True, "valid"), verdict
        payloads.append(payload)
    return payloads


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _check_sd_jwt_copies(base: str, obtained: dict[str, Any]) -> list[dict[str, Any]]:
    """Each SD-JWT VC verified by the SD-JWT reference implementation (PyPI ``sd-jwt``) with
    the published keys, bound (``cnf``) to the key the wallet generated for it."""
    jwks = httpx.get(f"{base}/.well-known/jwks.json", timeout=HTTP_TIMEOUT).json()
    keyset = JWKSet.from_json(json.dumps(jwks))

    def issuer_key(issuer: str, header: dict[str, Any]) -> JWK:
        assert issuer == base
        key = keyset.get_key(header["kid"])
        assert key is not None
        return key

    payloads = []
    assert len(obtained["credentials"]) == len(obtained["keys"])
    for token, key in zip(obtained["credentials"], obtained["keys"], strict=True):
        header = json.loads(_unb64(token.split(".", 1)[0]))
        assert header["typ"] == "dc+sd-jwt"
        payload = SDJWTVerifier(token, issuer_key).get_verified_payload()
        assert payload["vct"] == f"{base}/types/skill-certificate"
        assert payload["cnf"]["jwk"] == {k: key[k] for k in PUBLIC if k in key}
        assert payload["holder_name"] == "王小明"
        assert payload["score"] == 91  # every disclosure is given to the holder
        payloads.append(payload)
    return payloads


def _token_status(base: str, status: dict[str, Any]) -> int:
    """A credential's value in its IETF Token Status List, read by hand: the list fetched,
    its signature checked with jwcrypto, ZLIB-inflated, ``bits`` per entry, LSB first."""
    reference = status["status_list"]
    answer = httpx.get(reference["uri"], timeout=HTTP_TIMEOUT)
    assert answer.headers["content-type"].startswith("application/statuslist+jwt")
    jwks = httpx.get(f"{base}/.well-known/jwks.json", timeout=HTTP_TIMEOUT).json()
    header, payload = verify_with_jwcrypto(answer.text, jwks)
    assert header["typ"] == "statuslist+jwt"
    listed = payload["status_list"]
    data, bits, index = zlib.decompress(_unb64(listed["lst"])), listed["bits"], reference["idx"]
    per_byte = 8 // bits
    shift = (index % per_byte) * bits
    value: int = (data[index // per_byte] >> shift) & ((1 << bits) - 1)
    return value


def test_a_wallet_obtains_both_formats_bound_to_its_keys_and_revocation_reaches_them(
    wallet_live: tuple[str, TestClient, dict[str, str]], services: Services
) -> None:
    base, client, headers = wallet_live
    credential = issue(client, services, headers)
    offer = make_offer(client, credential["id"], headers)
    obtained = run_wallet(offer["offer"], offer["tx_code"], proofs=2)
    assert obtained["version"] == "V1"
    assert set(obtained["results"]) == {SD_JWT, W3C}
    for result in obtained["results"].values():
        assert "error" not in result, result
    copies = _check_bound_copies(base, credential["credential"], obtained["results"][W3C])
    sd_jwts = _check_sd_jwt_copies(base, obtained["results"][SD_JWT])
    assert {_token_status(base, p["status"]) for p in sd_jwts} == {0}
    revoked = client.post(
        f"/api/v1/credentials/{credential['id']}/revoke",
        json={"reason": "exam_misconduct"},
        headers=headers,
    )
    assert revoked.status_code == 200, revoked.text
    # The Bitstring Status List (the vc+jwt copies) and the Token Status List (the SD-JWT
    # VCs) both say revoked.
    for token in obtained["results"][W3C]["credentials"]:
        verdict = httpx.post(
            f"{base}/api/v1/verify", json={"credential": token}, timeout=HTTP_TIMEOUT
        ).json()
        assert (verdict["verified"], verdict["status"]) == (False, "revoked"), verdict
    bit = copies[0]["credentialStatus"]
    assert bit["statusPurpose"] == "revocation"
    assert {int(bit["statusListIndex"])} == {p["status"]["status_list"]["idx"] for p in sd_jwts}
    assert {_token_status(base, p["status"]) for p in sd_jwts} == {TOKEN_STATUS_REVOKED}


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
        verdict = httpx.post(
            f"{base}/api/v1/verify", json={"credential": token}, timeout=HTTP_TIMEOUT
        ).json()
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
    again = httpx.get(offer["credential_offer_uri"], timeout=HTTP_TIMEOUT)
    assert again.status_code == 404


def test_a_second_client_library_obtains_both_formats(
    wallet_live: tuple[str, TestClient, dict[str, str]], services: Services
) -> None:
    """Sphereon's @sphereon/oid4vci-client 0.20.1, written apart from the OpenWallet
    Foundation's: it speaks draft 15 (one ``proof``), which Tessera also reads."""
    base, client, headers = wallet_live
    credential = issue(client, services, headers)
    offer = make_offer(client, credential["id"], headers)
    obtained = run_wallet(offer["offer"], offer["tx_code"], script="wallet_sphereon.mjs")
    assert obtained["credential_issuer"] == base
    for result in obtained["results"].values():
        assert "error" not in result, result
    _check_bound_copies(base, credential["credential"], obtained["results"][W3C])
    _check_sd_jwt_copies(base, obtained["results"][SD_JWT])


def test_a_holder_adds_their_credential_from_their_share_page_and_the_wallet_obtains_both(
    wallet_live: tuple[str, TestClient, dict[str, str]], services: Services
) -> None:
    """No registrar in the loop: the holder presses "add to my wallet" on their own share
    page, and the wallet takes the offer link and transaction code that page shows."""
    base, client, headers = wallet_live
    credential = issue(client, services, headers)
    made = client.post(f"/api/v1/credentials/{credential['id']}/share-links", headers=headers)
    assert made.status_code == 201, made.text
    holder = made.json()["url"]
    form = re.search(
        r'action="(/s/[^"/]+/wallet\?lang=\w+)".*?name="form" value="([0-9a-f]+)"',
        httpx.get(holder, timeout=HTTP_TIMEOUT).text,
    )
    assert form is not None
    # As a browser sends it: from the page's own origin.
    answer = httpx.post(
        base + form.group(1),
        data={"form": form.group(2)},
        headers={"Origin": base, "Sec-Fetch-Site": "same-origin"},
        timeout=HTTP_TIMEOUT,
    )
    assert answer.status_code == 201, answer.text
    link = re.search(r'<a class="wallet-open" href="([^"]+)"', answer.text)
    tx_code = re.search(r'<p class="tx-code">(\d{6})</p>', answer.text)
    assert link is not None
    assert tx_code is not None
    offer_link = html.unescape(link.group(1))
    assert offer_link.startswith("openid-credential-offer://?credential_offer_uri=")
    obtained = run_wallet(offer_link, tx_code.group(1), proofs=2)
    assert obtained["credential_issuer"] == base
    assert set(obtained["results"]) == {SD_JWT, W3C}
    for result in obtained["results"].values():
        assert "error" not in result, result
    _check_bound_copies(base, credential["credential"], obtained["results"][W3C])
    _check_sd_jwt_copies(base, obtained["results"][SD_JWT])
    # Shown once, used once: the same link gives a second wallet nothing.
    [uri] = parse_qs(urlsplit(offer_link).query)["credential_offer_uri"]
    assert httpx.get(uri, timeout=HTTP_TIMEOUT).status_code == 404
