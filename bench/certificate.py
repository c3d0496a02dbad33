"""Benchmark: what the issuer's profile and a holder's photo add to rendering a certificate.

Run: .venv/bin/python bench/certificate.py [--rounds 7]

Renders one certificate plain (the baseline, as before decision 0052), with the profile's
logo and seal (1,200 x 1,200 pixel PNGs with transparency, as an upload may be), with a
holder's photo, and with all of them, in the same run (timeit, best of ``--rounds`` interleaved
rounds of 10 pages each), and the first page after a new seal is uploaded (its one-time decoding).
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime as dt
import functools
import io
import time
import timeit

from PIL import Image, ImageDraw

from issuer.credentials.holder_photo import clean_photo
from issuer.documents.certificate import render_certificate_pdf
from issuer.documents.credential_document import CredentialDocument
from issuer.documents.print_image import prepared_image

PAGES = 10


def _png(colour: tuple[int, int, int, int], seed: int) -> bytes:
    image = Image.new("RGBA", (1200, 1200), (0, 0, 0, 0))
    draw = ImageDraw.Draw(image)
    draw.ellipse((40, 40, 1160, 1160), outline=colour, width=60)
    draw.regular_polygon((600, 600, 220 + seed), 5, fill=colour)
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()


def _photo() -> bytes:
    image = Image.new("RGB", (3000, 4000), (120, 160, 200))
    ImageDraw.Draw(image).ellipse((800, 700, 2200, 2500), fill=(230, 200, 170))
    out = io.BytesIO()
    image.save(out, format="JPEG", quality=90)
    return clean_photo(out.getvalue())


def _document() -> CredentialDocument:
    return CredentialDocument(
        credential_id="3f2a5b6c-1234-4abc-8def-0123456789ab",
        number="SF2026000123456",
        issuer_zh="北疆机械集团技能鉴定站",
        issuer_en="Beijiang Machinery Skills Centre",
        holder_name="欧阳明哲",
        employee_number="E-0001",
        occupation_code="6-17-05-01",
        occupation_zh="稀土冶炼工",
        occupation_en="Rare Earth Smelter",
        level_code="senior",
        level_zh="高级工",
        level_en="Senior",
        unit_zh="冶炼厂",
        unit_en="Smelter",
        achievement_name="稀土冶炼工 高级工 / Rare Earth Smelter, Senior",
        exam_date=dt.date(2026, 10, 14),
        issued_at=dt.datetime(2026, 11, 1, tzinfo=dt.UTC),
        valid_until=None,
        state="active",
        verify_url="https://certs.example.org/v/3f2a5b6c-1234-4abc-8def-0123456789ab",
        qr_text="https://certs.example.org/c#" + "7" * 700,  # a typical packed length
        jws="-",
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=7)
    args = parser.parse_args()
    plain = _document()
    seal, logo, photo = _png((200, 20, 20, 255), 0), _png((20, 60, 140, 255), 1), _photo()
    kinds = {
        "plain (baseline)": plain,
        "logo and seal": dataclasses.replace(plain, logo_png=logo, seal_png=seal),
        "photo": dataclasses.replace(plain, photo_jpeg=photo),
        "logo, seal, photo, colour": dataclasses.replace(
            plain, logo_png=logo, seal_png=seal, photo_jpeg=photo, colour="#1d4e89"
        ),
    }
    for document in kinds.values():
        render_certificate_pdf(document)  # fonts registered, images prepared
    best = dict.fromkeys(kinds, float("inf"))
    for _ in range(args.rounds):  # interleaved: a busy moment hits every kind alike
        for name, document in kinds.items():
            page = functools.partial(render_certificate_pdf, document)
            seconds = timeit.timeit(page, number=PAGES)
            best[name] = min(best[name], seconds / PAGES)
    baseline = best["plain (baseline)"]
    for name, seconds in best.items():
        print(f"{name:<28} {seconds * 1e3:6.1f} ms/page   {seconds / baseline:4.2f}x")
    fresh = _png((200, 20, 20, 255), 7)  # a new upload: not in the cache
    start = time.perf_counter()
    render_certificate_pdf(dataclasses.replace(plain, seal_png=fresh))
    first = time.perf_counter() - start
    print(f"{'first page after an upload':<28} {first * 1e3:6.1f} ms/page")
    print(f"prepared images cached       {prepared_image.cache_info().currsize}")


if __name__ == "__main__":
    main()
