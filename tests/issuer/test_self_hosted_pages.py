"""Every page the issuer serves loads only this server's files (decision 0037).

No CDN: the HTML of the API page, the verify page and form, the batch page, the packed-link
page, a verify link and a holder's share page names no other host in a ``src``, ``href`` or
form action (the share page's plain link to LinkedIn's add-to-profile page aside), and every
one of them, ``/docs`` included, gets the strict Content-Security-Policy.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from fastapi.testclient import TestClient

from issuer.services import Services
from tests.helpers import BASE_URL, external_references
from tests.issuer.helpers import load_catalog
from tests.issuer.lifecycle_helpers import issue, post
from verifier.web.api_docs import ASSET_PATH

OWN = ("http://testserver", BASE_URL)


def test_no_served_page_names_another_host_and_all_keep_the_csp(
    client: TestClient, services: Services, admin_headers: dict[str, str]
) -> None:
    load_catalog(services)
    issued = issue(client, admin_headers)
    shared = post(client, f"/api/v1/credentials/{issued['id']}/share-links", admin_headers)
    assert shared.status_code == 201, shared.text
    share_path = urlsplit(shared.json()["url"]).path
    qr_path = urlsplit(issued["qr_text"]).path
    pages = ["/docs", "/verify", "/verify/batch", "/c", qr_path, f"/v/{issued['id']}", share_path]
    for path in pages:
        page = client.get(path)
        assert page.status_code == 200, path
        assert page.headers["content-type"].startswith("text/html"), path
        assert external_references(page.text, own=OWN, links_to=["www.linkedin.com"]) == [], path
        csp = page.headers["content-security-policy"]
        assert "default-src 'none'" in csp, path
        assert "script-src 'self'" in csp, path
        assert "'unsafe-inline'" not in csp, path
    # The check is not blind: the share page of a valid credential does link to LinkedIn.
    share_page = client.get(share_path).text
    assert external_references(share_page, own=OWN) != []
    assert f"{ASSET_PATH}/swagger-ui-bundle.js" in client.get("/docs").text


def test_the_api_page_and_its_files_are_served_by_the_issuer(client: TestClient) -> None:
    assert client.get("/redoc").status_code == 404
    bundle = client.get(f"{ASSET_PATH}/swagger-ui-bundle.js")
    assert bundle.status_code == 200
    assert bundle.headers["content-type"] == "text/javascript; charset=utf-8"
    assert bundle.headers["x-content-type-options"] == "nosniff"
    assert client.get(f"{ASSET_PATH}/swagger-ui.css").headers["content-type"].startswith("text/css")
