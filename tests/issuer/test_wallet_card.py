"""The wallet card (``card.pdf``): ID-1 size, two sides, both languages, a QR code that scans.

Read with software Tessera did not write: poppler (``pdfinfo``, ``pdftotext``, ``pdftoppm``),
zxing-cpp and ZBar (``zbarimg``) decode the back's QR code from a 300 dpi raster, and the
verifier API verifies what they read.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import zxingcpp
from fastapi.testclient import TestClient
from PIL import Image

from issuer.credentials.qr import PRINTED_QR_MM
from issuer.services import Services
from tests.issuer.helpers import issue_body, load_catalog
from tests.issuer.pdf_files import debian_tool, run

NAME = "𠮷田花子"
DPI = 300


def _issue(client: TestClient, headers: dict[str, str], services: Services) -> dict[str, Any]:
    load_catalog(services)
    holder = {"name": NAME, "employee_number": "E-0001"}
    response = client.post("/api/v1/credentials", json=issue_body(holder=holder), headers=headers)
    assert response.status_code == 201, response.text
    issued: dict[str, Any] = response.json()
    return issued


def test_wallet_card_is_id1_with_both_languages_and_a_qr_that_verifies(
    client: TestClient, services: Services, admin_headers: dict[str, str], tmp_path: Path
) -> None:
    pdfinfo, pdftoppm, zbarimg = (
        debian_tool("pdfinfo"),
        debian_tool("pdftoppm"),
        debian_tool("zbarimg"),
    )
    pdftotext = debian_tool("pdftotext")
    issued = _issue(client, admin_headers, services)
    response = client.get(f"/api/v1/credentials/{issued['id']}/card.pdf", headers=admin_headers)
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/pdf"
    assert response.headers["cache-control"] == "private, no-store"
    assert (
        f'filename="{issued["number"]}-E-0001.card.pdf"' in response.headers["content-disposition"]
    )
    (tmp_path / "card.pdf").write_bytes(response.content)

    info = run(pdfinfo, "card.pdf", cwd=tmp_path)
    assert re.search(r"^Pages:\s+2$", info, re.MULTILINE)
    size = re.search(r"Page size:\s+([\d.]+) x ([\d.]+) pts", info)
    assert size is not None
    width_mm, height_mm = (float(v) / 72 * 25.4 for v in size.groups())
    assert abs(width_mm - 85.60) < 0.05
    assert abs(height_mm - 53.98) < 0.05

    front = run(pdftotext, "-f", "1", "-l", "1", "-enc", "UTF-8", "card.pdf", "-", cwd=tmp_path)
    for text in (NAME, issued["number"], "稀土湿法冶炼工", "Rare Earth Hydrometallurgy Operator"):
        assert text in front
    for text in ("高级工", "Senior", "Occupation", "2026-10-14", "Valid until", "长期有效"):
        assert text in front
    issuer_zh, _, issuer_en = services.settings.issuer_name.partition(" / ")
    assert issuer_zh.strip() in front
    assert issuer_en.strip() in front
    back = run(pdftotext, "-f", "2", "-l", "2", "-enc", "UTF-8", "card.pdf", "-", cwd=tmp_path)
    assert "Scan to verify" in back
    assert issued["number"] in back

    run(pdftoppm, "-f", "2", "-l", "2", "-r", str(DPI), "-gray", "-png", "-singlefile",
        "card.pdf", "back", cwd=tmp_path)  # fmt: skip
    with Image.open(tmp_path / "back.png") as image:
        page = image.convert("L")
    [found] = zxingcpp.read_barcodes(
        page, formats=zxingcpp.BarcodeFormats(zxingcpp.BarcodeFormat.QRCode)
    )
    assert found.text == issued["qr_text"]
    corners = found.position
    side_px = (
        (corners.top_right.x - corners.top_left.x)
        + (corners.bottom_right.x - corners.bottom_left.x)
    ) / 2
    assert abs(side_px / DPI * 25.4 - PRINTED_QR_MM) < 1.0  # the scannable printed size
    zbar = run(
        zbarimg, "--quiet", "--raw", "-Sdisable", "-Sqrcode.enable", "back.png", cwd=tmp_path
    )
    assert zbar.strip() == issued["qr_text"]

    result = client.post("/api/v1/verify", json={"credential": found.text}).json()
    assert result["verified"] is True


def test_holders_share_page_offers_the_card_and_a_stranger_gets_nothing(
    client: TestClient, services: Services, admin_headers: dict[str, str]
) -> None:
    issued = _issue(client, admin_headers, services)
    made = client.post(f"/api/v1/credentials/{issued['id']}/share-links", headers=admin_headers)
    path = urlsplit(made.json()["url"]).path
    assert f'href="{path}/card.pdf"' in client.get(path).text
    card = client.get(f"{path}/card.pdf")
    assert card.status_code == 200
    assert card.content.startswith(b"%PDF")
    assert client.get(f"/api/v1/credentials/{issued['id']}/card.pdf").status_code == 401
    assert client.get("/s/not-a-real-token-at-all-000000000/card.pdf").status_code == 404
