"""The API page ``/docs`` is served from the server's own files (decision 0037).

The standalone verifier serves it the way the issuer does: its HTML names no other host and
runs no inline script; the vendored Swagger UI files are the ones recorded in their README,
served with their media types, for a year, gzipped to a client that accepts it; nothing
outside the fixed list is served; ReDoc is gone.
"""

from __future__ import annotations

import gzip
import hashlib
import re
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from tests.helpers import external_references
from verifier.web.api_docs import ASSET_PATH, ASSETS, SWAGGER_UI_VERSION, docs_page
from verifier.web.app import create_app

VENDORED = Path(__file__).resolve().parents[2] / "verifier" / "web" / "static" / "swagger-ui"


@pytest.fixture(scope="module")
def verifier_client() -> TestClient:
    return TestClient(create_app())


def test_vendored_files_match_the_digests_and_version_in_their_readme() -> None:
    readme = (VENDORED / "README.md").read_text("utf-8")
    recorded = dict(re.findall(r"^\| `([^`]+)` \| `([0-9a-f]{64})` \|$", readme, re.MULTILINE))
    present = {path.name for path in VENDORED.iterdir()} - {"README.md"}
    assert set(recorded) == present
    assert set(ASSETS) <= present
    for name, digest in recorded.items():
        assert hashlib.sha256((VENDORED / name).read_bytes()).hexdigest() == digest, name
    assert f"/package/swagger-ui-dist) **{SWAGGER_UI_VERSION}**" in readme


def test_docs_page_has_no_inline_script_and_names_no_other_host(
    verifier_client: TestClient,
) -> None:
    page = verifier_client.get("/docs")
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    assert external_references(page.text, own=["http://testserver"]) == []
    scripts = re.findall(r"<script([^>]*)>(.*?)</script>", page.text, re.DOTALL)
    assert [src for src, _ in scripts] == [
        f' src="{ASSET_PATH}/swagger-ui-bundle.js"',
        ' src="/docs/api-docs.js"',
    ]
    assert all(body == "" for _, body in scripts)
    assert "<style" not in page.text
    assert " style=" not in page.text
    assert 'data-openapi-url="/openapi.json"' in page.text
    initialiser = verifier_client.get("/docs/api-docs.js")
    assert initialiser.headers["content-type"] == "text/javascript; charset=utf-8"
    assert "validatorUrl: null" in initialiser.text
    assert "/api/v1/verify" in verifier_client.get("/openapi.json").json()["paths"]


def test_vendored_files_are_served_with_their_types_for_a_year(
    verifier_client: TestClient,
) -> None:
    for name, media_type in ASSETS.items():
        plain = verifier_client.get(f"{ASSET_PATH}/{name}", headers={"Accept-Encoding": "identity"})
        assert plain.status_code == 200, name
        assert plain.headers["content-type"] == media_type
        assert plain.headers["cache-control"] == "public, max-age=31536000, immutable"
        assert "content-encoding" not in plain.headers
        assert plain.content == (VENDORED / name).read_bytes()


def test_text_files_are_gzipped_only_for_a_client_that_accepts_gzip(
    verifier_client: TestClient,
) -> None:
    url = f"{ASSET_PATH}/swagger-ui-bundle.js"
    original = (VENDORED / "swagger-ui-bundle.js").read_bytes()
    for accepted, gzipped in [
        ("gzip", True),
        ("br, gzip;q=0.5", True),
        ("GZIP", True),
        ("gzip;q=0", False),
        ("gzip; q=0.0", False),
        ("br", False),
        ("identity", False),
    ]:
        # The test client would decode a gzipped body: read the raw stream instead.
        with verifier_client.stream("GET", url, headers={"Accept-Encoding": accepted}) as answer:
            raw = b"".join(answer.iter_raw())
            assert answer.headers["vary"] == "Accept-Encoding"
            assert (answer.headers.get("content-encoding") == "gzip") is gzipped, accepted
        assert (gzip.decompress(raw) if gzipped else raw) == original, accepted
        if gzipped:
            assert len(raw) < len(original) / 3
    png = verifier_client.get(
        f"{ASSET_PATH}/favicon-32x32.png", headers={"Accept-Encoding": "gzip"}
    )
    assert "content-encoding" not in png.headers


@pytest.mark.parametrize(
    "path",
    [
        f"{ASSET_PATH}/README.md",
        f"{ASSET_PATH}/LICENSE",
        f"{ASSET_PATH}/swagger-ui.css.map",
        f"{ASSET_PATH}/..%2Fapi-docs.js",
        f"{ASSET_PATH}/..%2F..%2Fapi_docs.py",
        "/docs/swagger-ui-0.0.1/swagger-ui.css",
        "/redoc",
        "/docs/oauth2-redirect",
    ],
)
def test_nothing_outside_the_list_is_served(verifier_client: TestClient, path: str) -> None:
    answer = verifier_client.get(path)
    assert answer.status_code == 404
    assert "javascript" not in answer.headers["content-type"]


def test_docs_page_follows_the_root_path_and_escapes_the_title() -> None:
    page = docs_page("A <b> & co", root_path="/tessera", openapi_url="/openapi.json")
    assert "<title>A &lt;b&gt; &amp; co - API</title>" in page
    assert 'data-openapi-url="/tessera/openapi.json"' in page
    assert f'src="/tessera{ASSET_PATH}/swagger-ui-bundle.js"' in page
    assert 'src="/tessera/docs/api-docs.js"' in page
