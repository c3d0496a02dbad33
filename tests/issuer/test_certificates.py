"""Holder documents: the PDF certificate, baked badges, share links and the import bundle."""

from __future__ import annotations

import csv
import io
import os
import re
import shutil
import subprocess
import zipfile
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import zxingcpp
from fastapi.testclient import TestClient
from PIL import Image

from issuer.campaigns.bundle import request_bundle
from issuer.campaigns.bundle_chunks import build_bundle
from issuer.campaigns.import_run import ImportRequest, run_import, start_import
from issuer.documents.badge import read_baked_png
from issuer.services import Services
from issuer.store.audit import Actor
from issuer.store.engine import session_scope
from tests.issuer.campaign_files import campaign, request_row, write_csv
from tests.issuer.helpers import issue_body, load_catalog, verify_with_jwcrypto

NAME = "欧阳明哲"


def _tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        message = f"{name} (Debian package 'poppler-utils') is not installed"
        if os.environ.get("CI"):
            pytest.fail(f"CI must run the certificate tests: {message}")
        pytest.skip(message)
    return path


def _issue(client: TestClient, headers: dict[str, str], services: Services) -> dict[str, Any]:
    load_catalog(services)
    holder = {"name": NAME, "employee_number": "E-0001"}
    response = client.post("/api/v1/credentials", json=issue_body(holder=holder), headers=headers)
    assert response.status_code == 201, response.text
    issued: dict[str, Any] = response.json()
    return issued


def _verified(client: TestClient, token: str) -> bool:
    result = client.post("/api/v1/verify", json={"credential": token}).json()
    return bool(result["verified"])


def test_certificate_pdf_has_the_chinese_name_and_a_qr_that_decodes_to_the_qr_text(
    client: TestClient, services: Services, admin_headers: dict[str, str], tmp_path: Path
) -> None:
    pdftotext, pdftoppm, pdffonts = _tool("pdftotext"), _tool("pdftoppm"), _tool("pdffonts")
    issued = _issue(client, admin_headers, services)
    response = client.get(
        f"/api/v1/credentials/{issued['id']}/certificate.pdf", headers=admin_headers
    )
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/pdf"
    (tmp_path / "c.pdf").write_bytes(response.content)

    def run(*command: str) -> str:
        done = subprocess.run(command, cwd=tmp_path, capture_output=True, check=True, timeout=60)
        return done.stdout.decode()

    text = run(pdftotext, "-enc", "UTF-8", "c.pdf", "-")
    assert NAME in text
    assert issued["number"] in text
    assert "高级工" in text
    assert "Senior" in text
    fonts = run(pdffonts, "c.pdf")
    font_lines = [line for line in fonts.splitlines()[2:] if line.strip()]
    assert font_lines, fonts
    assert all(re.search(r"\byes\s+yes\b", line) for line in font_lines), fonts
    run(pdftoppm, "-r", "150", "-gray", "-png", "-singlefile", "c.pdf", "page")
    page = Image.open(tmp_path / "page.png")
    decoded = [
        r.text
        for r in zxingcpp.read_barcodes(
            page, formats=zxingcpp.BarcodeFormats(zxingcpp.BarcodeFormat.QRCode)
        )
    ]
    assert decoded == [issued["qr_text"]]


def test_baked_png_and_svg_carry_a_credential_that_verifies(
    client: TestClient, services: Services, admin_headers: dict[str, str]
) -> None:
    issued = _issue(client, admin_headers, services)
    png = client.get(f"/api/v1/credentials/{issued['id']}/badge.png", headers=admin_headers)
    assert png.status_code == 200
    assert png.headers["content-type"] == "image/png"
    Image.open(io.BytesIO(png.content)).verify()  # a well-formed PNG (CRCs included)
    [baked] = read_baked_png(png.content)  # exactly one openbadgecredential chunk
    assert baked == issued["credential"]
    assert png.content.count(b"iTXtopenbadgecredential\x00\x00\x00") == 1  # uncompressed
    jwks = client.get("/.well-known/jwks.json").json()
    _header, payload = verify_with_jwcrypto(baked, jwks)
    assert "OpenBadgeCredential" in payload["type"]
    assert _verified(client, baked)

    svg = client.get(f"/api/v1/credentials/{issued['id']}/badge.svg", headers=admin_headers)
    assert svg.headers["content-type"].startswith("image/svg+xml")
    assert 'xmlns:openbadges="https://purl.imsglobal.org/ob/v3p0"' in svg.text
    [in_svg] = re.findall(r'<openbadges:credential verify="([^"]+)"', svg.text)
    assert in_svg == issued["credential"]
    assert _verified(client, in_svg)


def test_share_link_page_downloads_linkedin_and_revocation(
    client: TestClient, services: Services, admin_headers: dict[str, str]
) -> None:
    issued = _issue(client, admin_headers, services)
    created = client.post(f"/api/v1/credentials/{issued['id']}/share-links", headers=admin_headers)
    assert created.status_code == 201
    url = created.json()["url"]
    path = urlsplit(url).path
    assert len(path.rsplit("/", 1)[1]) >= 43  # 256 random bits
    page = client.get(path)
    assert page.status_code == 200
    assert NAME in page.text
    assert "Add to LinkedIn" in page.text
    # Scripts only from this server's files (CSP script-src 'self'), never inline.
    assert re.findall(r"<script[^>]*>", page.text) == ['<script src="/s/share.js" defer>']
    assert not re.search(r'(src|href)="//', page.text)
    linkedin = re.search(r'href="(https://www\.linkedin\.com/profile/add\?[^"]+)"', page.text)
    assert linkedin is not None
    query = parse_qs(urlsplit(linkedin.group(1).replace("&amp;", "&")).query)
    assert query["startTask"] == ["CERTIFICATION_NAME"]
    assert query["certUrl"] == [issued["links"]["verify"]]
    assert query["certId"] == [issued["number"]]
    jwt = client.get(f"{path}/credential.jwt")
    assert jwt.text == issued["credential"]
    assert read_baked_png(client.get(f"{path}/badge.png").content) == [issued["credential"]]
    assert client.get(f"{path}/certificate.pdf").content.startswith(b"%PDF")

    link_id = created.json()["id"]
    revoked = client.post(
        f"/api/v1/credentials/{issued['id']}/share-links/{link_id}/revoke", headers=admin_headers
    )
    assert revoked.status_code == 200
    assert revoked.json()["revoked_at"]
    assert client.get(path).status_code == 410  # Gone: tests/issuer/test_share_pages.py
    assert client.get(f"{path}/credential.jwt").status_code == 410
    assert client.get("/s/not-a-real-token-at-all-000000000").status_code == 404


def test_share_page_escapes_holder_values(
    client: TestClient, services: Services, admin_headers: dict[str, str]
) -> None:
    load_catalog(services)
    holder = {"name": '<script>alert("x")</script>', "employee_number": "E-9"}
    issued = client.post(
        "/api/v1/credentials", json=issue_body(holder=holder), headers=admin_headers
    ).json()
    url = client.post(
        f"/api/v1/credentials/{issued['id']}/share-links", headers=admin_headers
    ).json()["url"]
    page = client.get(urlsplit(url).path).text
    assert "<script>" not in page
    assert "&lt;script&gt;" in page


def test_bundle_zip_holds_every_holders_files_and_a_neutralised_manifest(
    client: TestClient, services: Services, admin_headers: dict[str, str], tmp_path: Path
) -> None:
    load_catalog(services)
    rows = [request_row(r) for r in campaign()[:5]]
    rows[0][0] = '=HYPERLINK("http://evil.example","x")'
    path = write_csv(tmp_path / "c.csv", rows)
    request = ImportRequest(path=path, filename="c.csv", dry_run=False, actor=Actor("test"))
    with session_scope(services.sessions) as session:
        job = start_import(session, request, max_rows=100, now=services.clock())
    run_import(services, job.id, request)
    with session_scope(services.sessions) as session:
        request_bundle(session, job.id)
    build_bundle(services, job.id, actor=Actor("test"), workers=2)
    response = client.get(f"/api/v1/imports/{job.id}/bundle.zip", headers=admin_headers)
    assert response.status_code == 200
    archive = zipfile.ZipFile(io.BytesIO(response.content))
    names = archive.namelist()
    assert len(names) == 5 * 3 + 1
    assert "manifest.csv" in names
    manifest = list(csv.reader(io.StringIO(archive.read("manifest.csv").decode("utf-8-sig"))))
    assert manifest[0][:3] == ["holder", "employee_number", "certificate_number"]
    assert manifest[1][0] == '\'=HYPERLINK("http://evil.example","x")'  # shown as text
    share = urlsplit(manifest[2][6]).path
    assert client.get(share).status_code == 200
    for name in names:
        if name.endswith(".jwt"):
            assert _verified(client, archive.read(name).decode())
        if name.endswith(".pdf"):
            assert archive.read(name).startswith(b"%PDF")
    report = client.get(f"/api/v1/imports/{job.id}/report.csv", headers=admin_headers)
    assert report.status_code == 200
    lines = list(csv.reader(io.StringIO(report.content.decode("utf-8-sig"))))
    assert [line[1] for line in lines[1:]] == ["issued"] * 5
