"""The verify page's landing on the standalone verifier, through FastAPI's TestClient.

What the page offers (camera hidden until its script runs, a file, a paste; no look-up and no
issuer named: this verifier has no register and checks several issuers), in the language
asked for; its files; a ``.jwt`` file uploaded; and every bad upload answered with the page
again and a reason in words, never a 500. Decision 0048.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient

from tests.verifier.kit import FakeIssuerServer, IssuerKit
from verifier.holder_files import MAX_FILE_BYTES, PNG_SIGNATURE, HolderFileCode
from verifier.i18n import Lang, both, say
from verifier.settings import VerifierSettings
from verifier.web.api import MAX_BODY_BYTES
from verifier.web.app import create_app
from verifier.web.landing import IssuerCard, LandingError, file_error, render_landing_page
from verifier.web.upload import MAX_UPLOAD_BYTES

REVOKED_INDEX = 2_002
JSQR = Path(__file__).resolve().parents[2] / "verifier" / "web" / "static" / "vendor" / "jsqr"


@pytest.fixture(scope="module")
def kit() -> IssuerKit:
    issuer = IssuerKit()
    issuer.revoked.add(REVOKED_INDEX)
    return issuer


@pytest.fixture(scope="module")
def client(kit: IssuerKit) -> Iterator[TestClient]:
    settings = VerifierSettings(trusted_issuers=[kit.base])
    app = create_app(settings, transport=httpx.MockTransport(FakeIssuerServer(kit).handler))
    with TestClient(app) as test_client:
        yield test_client


def upload(client: TestClient, name: str, data: bytes, **params: str) -> Any:
    return client.post("/verify", params=params, files={"file": (name, data, "image/png")})


def alert_of(page: str) -> str:
    found = re.search(r'<p class="error" role="alert">(.*?)</p>', page)
    assert found is not None, "no message on the page"
    return found.group(1)


def test_the_landing_offers_camera_file_and_paste_but_no_lookup_here(client: TestClient) -> None:
    answer = client.get("/verify")
    assert answer.status_code == 200
    page = answer.text
    assert '<section id="scan" class="way" hidden' in page  # shown by its script only
    assert '<script type="module" src="/verify/landing.mjs"></script>' in page
    assert 'enctype="multipart/form-data"' in page
    assert 'name="file" type="file" required' in page
    assert 'name="credential"' in page
    assert 'name="certificate_number"' not in page  # no register to look numbers up in
    assert 'class="issuer"' not in page  # several issuers: none is named
    zh, en = both("verify.landing.lead")
    assert zh in page
    assert en in page
    assert answer.headers["permissions-policy"].startswith("camera=(self)")
    assert "'unsafe-inline'" not in answer.headers["content-security-policy"]
    assert "<script>" not in page
    assert "style=" not in page


@pytest.mark.parametrize(
    ("query", "accept", "lang"),
    [
        ({}, None, Lang.BOTH),
        ({"lang": "en"}, "zh-CN", Lang.EN),
        ({}, "zh-CN,zh;q=0.9", Lang.ZH),
        ({}, "en-US,en;q=0.9", Lang.EN),
        ({}, "zh-CN,zh;q=0.9,en;q=0.8", Lang.BOTH),
    ],
)
def test_the_landing_speaks_the_language_asked_for(
    client: TestClient, query: dict[str, str], accept: str | None, lang: Lang
) -> None:
    headers = {"Accept-Language": accept} if accept else {}
    page = client.get("/verify", params=query, headers=headers).text
    zh, en = both("verify.landing.lead")
    assert (zh in page) == (lang is not Lang.EN)
    assert (en in page) == (lang is not Lang.ZH)
    assert '<nav class="langs"' in page
    # A language chosen with ?lang= stays chosen when a form is sent.
    assert ('action="/verify?lang=en"' in page) == ("lang" in query)


def test_the_page_files_are_served_and_jsqr_is_the_vendored_release(client: TestClient) -> None:
    script = client.get("/verify/landing.mjs")
    assert script.status_code == 200
    assert script.headers["content-type"].startswith("text/javascript")
    assert "getUserMedia" in script.text
    assert client.get("/verify/landing.css").headers["content-type"].startswith("text/css")
    decoder = client.get("/verify/vendor/jsqr/jsQR.js")
    assert decoder.status_code == 200
    digest = hashlib.sha256(decoder.content).hexdigest()
    readme = (JSQR / "README.md").read_text("utf-8")
    assert f"| `jsQR.js` | `{digest}` |" in readme
    assert "**1.4.0**" in readme
    license_digest = hashlib.sha256((JSQR / "LICENSE").read_bytes()).hexdigest()
    assert f"| `LICENSE` | `{license_digest}` |" in readme
    assert client.get("/verify/vendor/jsqr/README.md").status_code == 404
    assert client.get("/verify/nothing.mjs").status_code == 404


def test_an_uploaded_jwt_file_is_verified(client: TestClient, kit: IssuerKit) -> None:
    valid = upload(client, "credential.jwt", kit.token().encode())
    assert valid.status_code == 200
    assert "真实有效" in valid.text
    revoked = upload(client, "x.jwt", kit.token(kit.credential(index=REVOKED_INDEX)).encode())
    assert revoked.status_code == 200
    assert "已撤销" in revoked.text
    assert "真实有效" not in revoked.text


@pytest.mark.parametrize(
    ("name", "data", "code"),
    [
        ("photo.png", b"these are holiday notes, not a picture\n", "not_a_credential"),
        ("photo.png", b"", "empty"),
        ("photo.png", PNG_SIGNATURE + b"\x00\x00\x00\x0dIHDR", "damaged"),
        ("photo.jpg", b"\xff\xd8\xff\xe0" + b"\x00" * 64, "damaged"),
        ("c.pdf", b"%PDF-1.7\nnot really", "damaged"),
        ("badge.svg", b"<svg xmlns='http://www.w3.org/2000/svg'/>", "no_credential"),
        ("badge.svg", b"<!DOCTYPE svg [<!ENTITY a 'b'>]><svg/>", "refused"),
        ("binary.png", bytes(range(256)) * 4, "not_a_credential"),
        ("huge.png", b"\x00" * (MAX_FILE_BYTES + 1), "too_large"),
    ],
)
def test_a_file_with_nothing_to_verify_gives_the_page_again_with_a_reason(
    client: TestClient, name: str, data: bytes, code: str
) -> None:
    answer = upload(client, name, data)
    assert answer.status_code == 422
    assert answer.headers["content-type"].startswith("text/html")
    zh, en = both(f"verify.landing.file.{code}", megabytes=8)
    assert alert_of(answer.text).startswith(zh), alert_of(answer.text)
    assert en.replace("'", "&#x27;") in alert_of(answer.text)
    assert 'name="file"' in answer.text  # try again at once


def test_a_file_over_the_limit_is_refused_with_the_limit_in_words(client: TestClient) -> None:
    just_over = upload(client, "huge.png", PNG_SIGNATURE + b"\x00" * MAX_FILE_BYTES)
    assert just_over.status_code == 422
    assert say("verify.landing.file.too_large", Lang.EN, megabytes=8) in just_over.text
    far_over = upload(client, "huger.png", PNG_SIGNATURE + b"\x00" * MAX_UPLOAD_BYTES, lang="en")
    assert far_over.status_code == 413
    assert alert_of(far_over.text) == "The file is too large: at most 8 MB"


def test_no_file_chosen_and_broken_forms(client: TestClient) -> None:
    nothing = client.post("/verify", files={"file": ("", b"", "application/octet-stream")})
    assert nothing.status_code == 422
    assert both("verify.landing.error.nothing")[0] in alert_of(nothing.text)
    other_field = client.post("/verify", files={"photo": ("a.png", b"x", "image/png")})
    assert other_field.status_code == 422
    two_files = client.post(
        "/verify", files=[("file", ("a.jwt", b"a", "text/plain")), ("file", ("b", b"b", "x/y"))]
    )
    assert two_files.status_code == 400
    assert two_files.json()["code"] == "invalid_form_body"
    torn = client.post(
        "/verify",
        content=b'--xyz\r\nContent-Disposition: form-data; name="file"',
        headers={"Content-Type": "multipart/form-data; boundary=xyz"},
    )
    assert torn.status_code == 422  # no file in it: the page again
    no_boundary = client.post(
        "/verify", content=b"abc", headers={"Content-Type": "multipart/form-data"}
    )
    assert no_boundary.status_code == 400
    not_a_form = client.post(
        "/verify", content=b"x" * (MAX_BODY_BYTES + 1), headers={"Content-Type": "text/plain"}
    )
    assert not_a_form.status_code == 413  # too large for any form: before its type is asked


def test_an_empty_paste_and_a_bad_lookup_give_the_landing_again(client: TestClient) -> None:
    empty = client.post("/verify", data={"credential": "  "}, params={"lang": "zh"})
    assert empty.status_code == 422
    assert alert_of(empty.text) == say("verify.landing.error.nothing", Lang.ZH)
    assert 'id="upload"' in empty.text


def test_every_file_error_has_words_in_both_languages() -> None:
    for code in HolderFileCode:
        error = file_error(code)
        zh, en = both(error.key, **error.values)
        assert zh, code
        assert en, code
        assert "{" not in zh + en, code


def test_the_issuer_card_is_escaped_and_names_in_the_page_language() -> None:
    card = IssuerCard("稀土<script>集团", "Rare & Earth", logo_url="/issuer/logo.png?a=1&b=2")
    page = render_landing_page(Lang.BOTH, issuer=card, error=LandingError("verify.landing.lead"))
    assert "稀土&lt;script&gt;集团" in page
    assert "Rare &amp; Earth" in page
    assert '<img class="logo" src="/issuer/logo.png?a=1&amp;b=2" alt="">' in page
    english = render_landing_page(Lang.EN, issuer=card)
    assert "Rare &amp; Earth" in english
    assert "稀土" not in english
    chinese = render_landing_page(Lang.ZH, issuer=card, lookup=True, looked_up=("TS1", '"x"'))
    assert "Rare" not in chinese
    assert "稀土&lt;script&gt;集团" in chinese
    assert 'value="&quot;x&quot;"' in chinese


def test_the_api_schema_describes_the_file_form(client: TestClient) -> None:
    operation = client.get("/openapi.json").json()["paths"]["/verify"]["post"]
    content = operation["requestBody"]["content"]
    assert set(content) == {"application/x-www-form-urlencoded", "multipart/form-data"}
    file_field = content["multipart/form-data"]["schema"]["properties"]["file"]
    assert file_field["format"] == "binary"
    assert {"413", "422"} <= set(operation["responses"])
    for method in ("get", "post"):
        parameters = client.get("/openapi.json").json()["paths"]["/verify"][method]["parameters"]
        assert [p["name"] for p in parameters] == ["lang"]
