"""Issue, verify, revoke: through the API, the verify page and the offline command.

The server runs for real (uvicorn on a loopback port) where a separate verifier process
must fetch keys and status lists over HTTP, as any outside verifier would.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric import ec
from fastapi.testclient import TestClient

from issuer.campaigns.demo import load_demo
from issuer.keys.signer import Signer
from issuer.services import Services
from issuer.store.engine import session_scope
from tests.issuer.helpers import issue_body, load_catalog
from tests.servers import verify_cli
from verifier.jwk import jwk_from_public_key

TESSERA = str(Path(sys.executable).parent / "tessera")


def _verify(client: TestClient, credential: str) -> dict[str, Any]:
    response = client.post("/api/v1/verify", json={"credential": credential})
    assert response.status_code == 200
    result: dict[str, Any] = response.json()
    return result


def test_demo_credential_valid_then_revoked_via_api_and_page(
    client: TestClient, services: Services, admin_headers: dict[str, str]
) -> None:
    with session_scope(services.sessions) as session:
        load_demo(session, issuer=services.issuer(session), now=services.clock())
    row = client.get("/api/v1/credentials?limit=1", headers=admin_headers).json()["items"][0]
    assert "credential" not in row  # a list row has no token: the credential's own URL does
    item = client.get(f"/api/v1/credentials/{row['id']}", headers=admin_headers).json()

    for submitted in (item["credential"], item["qr_text"]):
        result = _verify(client, submitted)
        assert (result["verified"], result["status"]) == (True, "valid"), result
    raw = client.post(
        "/api/v1/verify", content=item["credential"], headers={"Content-Type": "application/vc+jwt"}
    ).json()
    assert raw["status"] == "valid"
    checks = [c["code"] for c in result["checks"]]
    assert checks[-7:] == [
        "header",
        "issuer_trusted",
        "key",
        "signature",
        "credential",
        "validity",
        "status",
    ]
    assert result["credential"]["holder_name"] == item["holder"]["name"]
    page = client.get(f"/v/{item['id']}")
    assert page.status_code == 200
    assert "真实有效" in page.text
    assert item["holder"]["name"] in page.text

    revoked = client.post(
        f"/api/v1/credentials/{item['id']}/revoke",
        json={"reason": "exam_misconduct", "note": "private note"},
        headers=admin_headers,
    )
    assert revoked.status_code == 200
    result = _verify(client, item["credential"])
    assert (result["verified"], result["status"]) == (False, "revoked")
    assert result["status_detail"]["reason"] == "exam_misconduct"
    page = client.get(f"/v/{item['id']}")
    assert "已撤销" in page.text
    assert "private note" not in page.text


def test_credential_of_an_untrusted_issuer_is_not_verified(client: TestClient) -> None:
    key = ec.generate_private_key(ec.SECP256R1())
    signer = Signer(
        kid=jwk_from_public_key(key.public_key())["kid"], algorithm="ES256", private_key=key
    )
    stranger = "https://stranger.example"
    token = signer.sign(
        {
            "@context": ["https://www.w3.org/ns/credentials/v2"],
            "type": ["VerifiableCredential"],
            "issuer": stranger,
            "iss": stranger,
            "credentialSubject": {"id": "urn:uuid:00000000-0000-4000-8000-000000000001"},
        }
    )
    result = _verify(client, token)
    assert (result["verified"], result["status"]) == (False, "untrusted_issuer")
    failed = [c for c in result["checks"] if not c["passed"]]
    assert failed[0]["code"] == "issuer_trusted"
    assert failed[0]["error"] == "untrusted_issuer"


def test_unknown_verify_link_is_a_404_page(client: TestClient) -> None:
    for path in ("/v/00000000-0000-4000-8000-000000000000", "/v/not-a-uuid"):
        page = client.get(path)
        assert page.status_code == 404
        assert "<h1>" in page.text


def test_cli_verifies_over_http_and_offline_then_sees_revocation(
    live_server: tuple[str, TestClient],
    services: Services,
    admin_headers: dict[str, str],
    tmp_path: Path,
) -> None:
    base, client = live_server
    load_catalog(services)
    issued = client.post("/api/v1/credentials", json=issue_body(), headers=admin_headers).json()
    token_file = tmp_path / "credential.jwt"
    token_file.write_text(issued["credential"])
    cache = str(tmp_path / "cache")

    online = verify_cli(
        str(token_file), "--trusted-issuer", base, "--cache-dir", cache, cwd=tmp_path
    )
    assert online.returncode == 0, online.stdout + online.stderr
    assert "valid" in online.stdout.lower()
    with_jwks = verify_cli(
        issued["credential"], "--jwks", f"{base}/.well-known/jwks.json", "--no-status", cwd=tmp_path
    )
    assert with_jwks.returncode == 0, with_jwks.stdout + with_jwks.stderr

    url = f"/api/v1/credentials/{issued['id']}/revoke"
    assert client.post(url, json={"reason": "issued_in_error"}, headers=admin_headers).is_success

    offline = verify_cli(str(token_file), "--offline", "--cache-dir", cache, cwd=tmp_path)
    assert offline.returncode == 0, "the cached list predates the revocation"
    assert "old" in (offline.stdout + offline.stderr).lower()
    revoked = verify_cli(
        str(token_file), "--trusted-issuer", base, "--cache-dir", cache, cwd=tmp_path
    )
    assert revoked.returncode == 1
    assert "revoked" in revoked.stdout.lower()
    stranger = verify_cli(str(token_file), "--no-status", cwd=tmp_path)
    assert stranger.returncode == 1
    assert "untrusted_issuer" in stranger.stdout


@pytest.mark.browser
def test_qr_link_opens_the_verdict_in_a_real_browser(
    live_server: tuple[str, TestClient],
    services: Services,
    admin_headers: dict[str, str],
    tmp_path: Path,
) -> None:
    from playwright.sync_api import sync_playwright

    from tests.browser import BOTH_LANGUAGES, CHROMIUM, CHROMIUM_ARGS, require_chromium

    require_chromium()
    _base, client = live_server
    load_catalog(services)
    issued = client.post("/api/v1/credentials", json=issue_body(), headers=admin_headers).json()
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(
                viewport={"width": 390, "height": 844}, extra_http_headers=BOTH_LANGUAGES
            )
            # What a phone camera opens: the packed credential in the fragment (issue 7).
            assert issued["qr_text"].startswith(f"{_base}/c#")
            page.goto(issued["qr_text"])
            verdict = page.locator("section.verdict").inner_text()
            assert "真实有效" in verdict
            assert "Genuine and valid" in verdict
            assert "王小明" in page.locator("main").inner_text()
            page.screenshot(path=str(tmp_path / "valid.png"), full_page=True)
            url = f"/api/v1/credentials/{issued['id']}/revoke"
            revoked = client.post(url, json={"reason": "exam_misconduct"}, headers=admin_headers)
            assert revoked.is_success
            page.reload()
            verdict = page.locator("section.verdict").inner_text()
            assert "已撤销" in verdict
            assert "Revoked" in verdict
            page.screenshot(
                path=os.environ.get("TESSERA_SCREENSHOT", str(tmp_path / "r.png")), full_page=True
            )
        finally:
            browser.close()


def test_a_caching_outside_verifier_sees_a_revocation_within_the_list_ttl(
    live_server: tuple[str, TestClient], services: Services, admin_headers: dict[str, str]
) -> None:
    import datetime as dt

    from verifier.sources.fetch import build_http_client
    from verifier.sources.keys import HttpKeyResolver
    from verifier.sources.status_lists import HttpStatusSource
    from verifier.trust import TrustedIssuers
    from verifier.verification import Verifier

    base, client = live_server
    load_catalog(services)
    issued = client.post("/api/v1/credentials", json=issue_body(), headers=admin_headers).json()
    now = [dt.datetime.now(dt.UTC)]
    trusted = TrustedIssuers([base])
    # Generous: a loaded CI machine may pause the loopback server for seconds.
    with build_http_client(timeout=30.0) as http:
        status = HttpStatusSource(trusted, http, clock=lambda: now[0])
        outside = Verifier(
            trusted_issuers=trusted,
            key_resolver=HttpKeyResolver(trusted, http),
            status_source=status,
            clock=lambda: now[0],
        )
        assert outside.verify(issued["credential"]).status == "valid"
        url = f"/api/v1/credentials/{issued['id']}/revoke"
        assert client.post(
            url, json={"reason": "exam_misconduct"}, headers=admin_headers
        ).is_success
        assert (
            client.post("/api/v1/verify", json={"credential": issued["credential"]}).json()[
                "status"
            ]
            == "revoked"
        )  # this server: at once
        assert outside.verify(issued["credential"]).status == "valid"  # cached list, within ttl
        assert status.cache_hits >= 1
        ttl = services.settings.status_list_ttl_seconds
        now[0] += dt.timedelta(seconds=ttl + 1)
        assert outside.verify(issued["credential"]).status == "revoked"  # refetched after ttl
