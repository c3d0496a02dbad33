"""Offering a credential to the holder's wallet from its console page: the button, and the
page that shows the QR code (read back with zxing-cpp), the link and the transaction code
once; a wallet's token request with them succeeds."""

from __future__ import annotations

import base64
import html
import re
from typing import Any

import zxingcpp
from fastapi.testclient import TestClient

from issuer.services import Services
from tests.console.helpers import make_user, signed_in
from tests.helpers import BASE_URL, make_token
from tests.issuer.helpers import issue_body, load_catalog, svg_to_image

PRE_AUTHORIZED_GRANT = "urn:ietf:params:oauth:grant-type:pre-authorized_code"


def _issue(console: TestClient, services: Services) -> dict[str, Any]:
    load_catalog(services)
    headers = {"Authorization": f"Bearer {make_token(services)}"}
    answer = console.post("/api/v1/credentials", json=issue_body(), headers=headers)
    assert answer.status_code == 201, answer.text
    body: dict[str, Any] = answer.json()
    return body


def test_a_registrar_offers_the_credential_to_a_wallet_from_its_page(
    console: TestClient, timed_services: Services
) -> None:
    credential = _issue(console, timed_services)
    make_user(timed_services, "registrar@example.com", "registrar", ["U01"])
    csrf = signed_in(console, "registrar@example.com")
    base = f"/console/credentials/{credential['id']}"
    page = console.get(base).text
    assert f'action="{base}/wallet-offers"' in page
    assert "发送到数字钱包" in page
    assert "Offer to a wallet" in page
    created = console.post(
        f"{base}/wallet-offers", data={"csrf_token": csrf}, follow_redirects=False
    )
    assert created.status_code == 201, created.text
    assert created.headers["cache-control"] == "no-store"
    link = re.search(r'id="wallet-offer-link"[^>]*value="([^"]+)"', created.text)
    tx_code = re.search(r'id="wallet-tx-code"[^>]*>(\d{6})<', created.text)
    qr = re.search(r'id="wallet-offer-qr" src="data:image/svg\+xml;base64,([^"]+)"', created.text)
    assert link is not None
    assert tx_code is not None
    assert qr is not None
    offer_link = html.unescape(link.group(1))
    assert offer_link.startswith("openid-credential-offer://?credential_offer_uri=")
    image = svg_to_image(base64.b64decode(qr.group(1)))
    [decoded] = zxingcpp.read_barcodes(image)
    assert decoded.text == offer_link
    # The link names the offer, which the wallet redeems with the transaction code.
    offer_uri = (
        offer_link.split("credential_offer_uri=", 1)[1].replace("%3A", ":").replace("%2F", "/")
    )
    offer = console.get(offer_uri.removeprefix(BASE_URL)).json()
    code = offer["grants"][PRE_AUTHORIZED_GRANT]["pre-authorized_code"]
    token = console.post(
        "/oid4vci/token",
        data={
            "grant_type": PRE_AUTHORIZED_GRANT,
            "pre-authorized_code": code,
            "tx_code": tx_code.group(1),
        },
    )
    assert token.status_code == 200, token.text
    # The page cannot be shown again: the credential's page shows no code.
    assert (
        tx_code.group(1)
        not in console.get(base).text.split("wallet-heading")[-1].split("links-heading")[0]
    )
    timeline = console.get(base).text.split("timeline-heading")[-1]
    assert "发送到数字钱包" in timeline


def test_an_auditor_sees_no_wallet_button_and_cannot_post_it(
    console: TestClient, timed_services: Services
) -> None:
    credential = _issue(console, timed_services)
    make_user(timed_services, "auditor@example.com", "auditor")
    csrf = signed_in(console, "auditor@example.com")
    base = f"/console/credentials/{credential['id']}"
    assert "wallet-offers" not in console.get(base).text
    answer = console.post(
        f"{base}/wallet-offers", data={"csrf_token": csrf}, follow_redirects=False
    )
    assert answer.status_code == 403
