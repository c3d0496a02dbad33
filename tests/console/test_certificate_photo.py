"""The console's certificate and its preview print the holder's photo; its badges and wallet
card do not (decision 0052)."""

from __future__ import annotations

import io

from fastapi.testclient import TestClient
from PIL import Image, ImageChops

from issuer.services import Services
from tests.console.helpers import make_user, signed_in
from tests.helpers import make_token
from tests.issuer.helpers import issue_body, load_catalog
from tests.issuer.pdf_files import image_count


def _photo() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (300, 400), (10, 200, 10)).save(out, format="JPEG")
    return out.getvalue()


def test_the_console_prints_the_photo_on_the_certificate_only(
    console: TestClient, services: Services
) -> None:
    load_catalog(services)
    api = {"Authorization": f"Bearer {make_token(services)}"}
    issued = console.post("/api/v1/credentials", json=issue_body(), headers=api).json()
    make_user(services, "admin@example.com")
    signed_in(console, "admin@example.com")
    page = f"/console/credentials/{issued['id']}"
    before = console.get(f"{page}/certificate.pdf").content
    answer = console.put("/api/v1/holders/E-0001/photo", content=_photo(), headers=api)
    assert answer.status_code == 204
    after = console.get(f"{page}/certificate.pdf")
    assert after.status_code == 200
    assert image_count(after.content) == image_count(before) + 1
    preview = Image.open(io.BytesIO(console.get(f"{page}/preview.png").content)).convert("RGB")
    bright = [channel.point(lambda v: 255 if v > 150 else 0) for channel in preview.split()]
    red, green, blue = bright
    greens = ImageChops.subtract(ImageChops.subtract(green, red), blue).histogram()[255]
    assert greens > 500  # the green photo is on the picture of the page
    card = console.get(f"{page}/card.pdf").content
    assert image_count(card) == 0
    badge = console.get(f"{page}/badge.png").content
    assert _photo()[:20] not in badge
