"""The certificate dressed by the issuer's profile: logo, seal over the name, colour, the number
and the verify address as text (decision 0052); the colour's checks in the API and the CLI."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pypdfium2
import pytest
from fastapi.testclient import TestClient
from PIL import Image, ImageDraw

from issuer.config import Settings
from issuer.credentials.colour import HOUSE_COLOUR, check_colour, contrast_on_white
from issuer.errors import InvalidInputError
from issuer.services import Services
from tests.issuer.helpers import issue_body, load_catalog, run_cli
from tests.issuer.pdf_files import debian_tool, image_count, pages_of_words, run
from verifier.holder_files import PDFIUM_LOCK

COLOUR = "#1d4e89"


def _png(size: tuple[int, int], colour: tuple[int, int, int, int]) -> bytes:
    image = Image.new("RGBA", size, (0, 0, 0, 0))
    ImageDraw.Draw(image).ellipse((4, 4, size[0] - 4, size[1] - 4), fill=colour)
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()


def _issue(client: TestClient, services: Services, headers: dict[str, str]) -> dict[str, Any]:
    load_catalog(services)
    issued = client.post("/api/v1/credentials", json=issue_body(), headers=headers)
    assert issued.status_code == 201, issued.text
    body: dict[str, Any] = issued.json()
    return body


def _certificate(client: TestClient, credential_id: str, headers: dict[str, str]) -> bytes:
    pdf = client.get(f"/api/v1/credentials/{credential_id}/certificate.pdf", headers=headers)
    assert pdf.status_code == 200
    return pdf.content


def _pixel(pdf: bytes, x_mm: float, y_mm: float) -> tuple[int, int, int]:
    """The colour PDFium paints at (x, y) millimetres from the page's top-left corner."""
    scale = 4.0
    with PDFIUM_LOCK:
        document = pypdfium2.PdfDocument(pdf)
        try:
            image = document[0].render(scale=scale).to_pil().convert("RGB")
        finally:
            document.close()
    points = 72 / 25.4
    rgb: tuple[int, int, int] = image.getpixel(
        (round(x_mm * points * scale), round(y_mm * points * scale))
    )
    return rgb


def test_the_certificate_prints_the_number_and_verify_address_as_text(
    client: TestClient, services: Services, admin_headers: dict[str, str], tmp_path: Path
) -> None:
    issued = _issue(client, services, admin_headers)
    (tmp_path / "c.pdf").write_bytes(_certificate(client, issued["id"], admin_headers))
    text = run(debian_tool("pdftotext"), "-enc", "UTF-8", "c.pdf", "-", cwd=tmp_path)
    assert issued["number"] in text
    verify_url = issued["links"]["verify"]
    assert verify_url == f"https://tessera.test/v/{issued['id']}"
    assert verify_url in text
    assert "扫码或访问以上网址核验 / Scan or visit to verify" in text
    [page] = pages_of_words(tmp_path / "c.pdf")
    [url] = [w for w in page if w.text == verify_url]
    [scan] = [w for w in page if w.text == "扫码或访问以上网址核验"]
    qr_bottom = 842 - 32 * 72 / 25.4  # the QR symbol's lower edge, from the top
    assert qr_bottom < url.y_min < scan.y_min  # under the code, then the line that names it
    assert client.get(f"/v/{issued['id']}").status_code == 200  # the printed address works


def test_logo_seal_and_colour_from_the_profile_are_on_the_certificate(
    client: TestClient, services: Services, admin_headers: dict[str, str], tmp_path: Path
) -> None:
    issued = _issue(client, services, admin_headers)
    plain = _certificate(client, issued["id"], admin_headers)
    assert image_count(plain) == 0
    red = _pixel(plain, 12, 150)  # the outer frame's line, left edge
    assert abs(red[0] - 0x8C) < 40, red  # the house colour
    assert red[1] < 60, red
    seal = _png((800, 800), (200, 20, 20, 255))
    logo = _png((400, 200), (20, 90, 40, 255))
    assert client.put("/api/v1/profile/seal", content=seal, headers=admin_headers).is_success
    assert client.put("/api/v1/profile/logo", content=logo, headers=admin_headers).is_success
    changed = client.put("/api/v1/profile", json={"colour": COLOUR}, headers=admin_headers)
    assert changed.status_code == 200
    assert changed.json()["colour"] == COLOUR
    dressed = _certificate(client, issued["id"], admin_headers)
    assert image_count(dressed) == 2
    frame = _pixel(dressed, 12, 150)
    assert all(abs(a - b) < 30 for a, b in zip(frame, (0x1D, 0x4E, 0x89), strict=True)), frame
    (tmp_path / "c.pdf").write_bytes(dressed)
    images = run(debian_tool("pdfimages"), "-list", "c.pdf", cwd=tmp_path).splitlines()[2:]
    kinds = sorted(line.split()[2] for line in images)
    assert kinds == ["image", "image", "smask", "smask"]  # both keep their transparency
    sizes = [int(line.split()[3]) for line in images]
    assert max(sizes) <= 240  # reduced to print size (200 dpi), not the 800 px uploaded
    # The seal is stamped over the end of the issuer's name: red between its letters.
    [page] = pages_of_words(tmp_path / "c.pdf")
    [last] = [w for w in page if w.text == "Centre"]  # the English name's last word
    mm = 25.4 / 72
    stamped = _pixel(dressed, (last.x_min + last.x_max) / 2 * mm, last.y_min * mm - 1.5)
    assert stamped[0] > 120, stamped
    assert stamped[1] < 90, stamped
    back = client.put("/api/v1/profile", json={"colour": ""}, headers=admin_headers)
    assert back.json()["colour"] is None


@pytest.mark.parametrize("colour", ["#ffff00", "#cccccc", "red", "#12345", "#1234567", "#gggggg"])
def test_an_unreadable_or_malformed_colour_is_refused_and_changes_nothing(
    client: TestClient, admin_headers: dict[str, str], colour: str
) -> None:
    client.put("/api/v1/profile", json={"colour": COLOUR}, headers=admin_headers)
    answer = client.put("/api/v1/profile", json={"colour": colour}, headers=admin_headers)
    assert answer.status_code == 422, answer.text
    assert answer.json()["code"] == "invalid_colour"
    assert client.get("/api/v1/profile", headers=admin_headers).json()["colour"] == COLOUR


def test_contrast_is_wcags() -> None:
    assert contrast_on_white("#000000") == pytest.approx(21.0)
    assert contrast_on_white("#ffffff") == pytest.approx(1.0)
    assert contrast_on_white("#767676") == pytest.approx(4.54, abs=0.01)  # the known edge
    assert check_colour("#767676") == "#767676"
    with pytest.raises(InvalidInputError) as refused:
        check_colour("#777777")  # 4.48:1
    assert refused.value.code == "invalid_colour"
    assert check_colour(HOUSE_COLOUR.upper()) == HOUSE_COLOUR


def test_the_cli_sets_and_clears_the_colour(
    settings: Settings,
    services: Services,  # noqa: ARG001 (migrates the database, creates the signing key)
) -> None:
    status, output = run_cli(settings, "profile", "set", "--colour", "#0B5D1E")
    assert status == 0, output
    assert "colour: #0b5d1e" in output
    status, output = run_cli(settings, "profile", "set", "--colour", "#fafad2")
    assert status == 1
    assert "too pale" in output
    assert "colour: #0b5d1e" in run_cli(settings, "profile", "show")[1]
    status, output = run_cli(settings, "profile", "set", "--clear-colour")
    assert status == 0, output
    assert "colour: -" in output
