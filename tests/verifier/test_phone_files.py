"""The in-page verifier's files as the server serves them: one source for the verdict words,
every module the script imports served and kept by the service worker, an installable
manifest, and nothing else read from disk."""

from __future__ import annotations

import re

from fastapi import FastAPI
from fastapi.testclient import TestClient

from tests.verifier.kit import IssuerKit
from tests.verifier.phone_cases import STATIC
from verifier.web.api import create_verify_router
from verifier.web.page import VERDICTS
from verifier.web.phone import MODULES


def client() -> TestClient:
    app = FastAPI()
    app.include_router(create_verify_router(IssuerKit().verifier(status=False)))
    return TestClient(app)


def test_page_json_words_come_from_the_server_page() -> None:
    config = client().get("/verify/page.json").json()
    assert config["issuers"] == [IssuerKit().base]
    assert config["max_age_seconds"] == 86_400
    assert config["clock_skew_seconds"] == 60
    assert config["verdicts"] == {
        status.value: {"symbol": v.symbol, "zh": v.zh, "en": v.en, "tone": v.tone}
        for status, v in VERDICTS.items()
    }
    assert config["problems"]["bad_signature"]["en"] == "Signature does not verify"


def test_every_imported_module_is_served_and_kept_for_offline_use() -> None:
    http = client()
    worker = http.get("/sw.js")
    assert worker.status_code == 200
    assert worker.headers["content-type"].startswith("text/javascript")
    imported = set()
    for name in ["verify.js", *MODULES]:
        source = (STATIC / name).read_text("utf-8")
        imported |= set(re.findall(r'from "\./([\w-]+\.mjs)"', source))
    assert imported == set(MODULES)
    for name in MODULES:
        response = http.get(f"/verify/{name}")
        assert response.status_code == 200, name
        assert response.headers["content-type"].startswith("text/javascript")
        assert f'"verify/{name}"' in worker.text, name
    paths = ("/verify/verify.js", "/verify/page.json", "/qr-packing/v1.dict", "/qr-packing/v2.dict")
    for path in (*paths, "/c"):
        assert http.get(path).status_code == 200
        assert f'"{path[1:]}"' in worker.text, path
    for name in ("../page.py", "sw", "verify.js", "%2e%2e%2fpage"):
        assert http.get(f"/verify/{name}.mjs").status_code == 404, name


def test_manifest_installs_the_packed_link_page() -> None:
    http = client()
    manifest = http.get("/verify/manifest.webmanifest")
    assert manifest.headers["content-type"].startswith("application/manifest+json")
    body = manifest.json()
    assert (body["start_url"], body["scope"], body["display"]) == ("../c", "../", "standalone")
    icon = http.get(f"/verify/{body['icons'][0]['src']}")
    assert icon.headers["content-type"] == "image/svg+xml"
    page = http.get("/c").text
    assert '<link rel="manifest" href="verify/manifest.webmanifest">' in page
